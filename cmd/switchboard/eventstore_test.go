package main

import (
	"context"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/events"
	"github.com/switchboard-cc/switchboard/events/jsonl"
	"github.com/switchboard-cc/switchboard/events/postgres"
	"github.com/switchboard-cc/switchboard/internal/testsvc"
)

// With events.store set to a PostgreSQL URL, serve writes its event log
// there (a cluster's nodes share it), and report reads it back with
// --store URL giving the same report as from the SQLite file.
func TestEventLogInPostgreSQL(t *testing.T) {
	ctx := context.Background()
	pg := testsvc.PostgreSQLForTest(t, testsvc.PostgreSQLOptions{})

	// report --store postgres://… equals report --data DIR on the same day.
	url, err := pg.CreateDatabase(ctx)
	if err != nil {
		t.Fatal(err)
	}
	st, err := postgres.Open(ctx, url, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(fixtureDay)
	if err != nil {
		t.Fatal(err)
	}
	_, err = jsonl.Import(ctx, f, st, 0)
	f.Close()
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	dir := fixtureDataDir(t)
	for _, format := range []string{"json", "jsonl", "queue_log"} {
		code, fromPG, errs := runCLI(t, "report", "--store", url, "--tz", "UTC", "--format", format)
		if code != 0 {
			t.Fatalf("report --store %s: exit %d: %s", url, code, errs)
		}
		code, fromSQLite, errs := runCLI(t, "report", "--data", dir, "--tz", "UTC", "--format", format)
		if code != 0 {
			t.Fatalf("report --data: exit %d: %s", code, errs)
		}
		if fromPG != fromSQLite || len(fromPG) < 100 {
			t.Errorf("--format %s: report from PostgreSQL:\n%s\ndiffers from SQLite's:\n%s", format, fromPG, fromSQLite)
		}
	}
	if code, _, errs := runCLI(t, "report", "--data", pg.URL("postgres")); code == 0 {
		t.Error("report on a database without an event log succeeded; want an error")
	} else if errs == "" {
		t.Error("report on a database without an event log failed silently")
	}

	// serve with events.store: the writer's events land in PostgreSQL.
	url2, err := pg.CreateDatabase(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := loadConfig("")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Data, cfg.Events.Store = t.TempDir(), url2
	srv, err := newServer(ctx, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := srv.store.(*postgres.Store); !ok {
		srv.close(ctx)
		t.Fatalf("serve's store is %T; want *postgres.Store", srv.store)
	}
	at := time.Now().UTC()
	srv.sink.Emit(ctx, events.Event{Time: at, CallID: "pg-1", Type: events.CallStart, Data: map[string]string{"to": "96069"}})
	srv.sink.Emit(ctx, events.Event{Time: at.Add(time.Second), CallID: "pg-1", Type: events.CallEnd, Data: map[string]string{"by": "caller"}})
	srv.close(ctx) // flushes the writer
	if _, err := os.Stat(cfg.Data + "/events.db"); !os.IsNotExist(err) {
		t.Errorf("serve with events.store wrote events.db in the data folder too (%v)", err)
	}
	other, err := postgres.Open(ctx, url2, postgres.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	got, err := other.CallEvents(ctx, "pg-1")
	if err != nil || len(got) != 2 || got[0].Type != events.CallStart || got[1].Type != events.CallEnd {
		t.Errorf("events of pg-1 in PostgreSQL = %v, %v; want call.start, call.end", got, err)
	}
}
