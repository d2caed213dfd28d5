package jsonl

import (
	"bytes"
	"context"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/events"
)

var t0 = time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)

func sample() []events.Event {
	return []events.Event{
		{Time: t0, CallID: "c1", Type: events.CallStart, Data: map[string]string{"from": "+86<1>", "to": "96069"}},
		{Time: t0.Add(time.Second), CallID: "c1", Type: events.IVRNode, Node: "main_menu", Data: map[string]string{"node_type": "menu"}},
		{Time: t0.Add(2 * time.Second), Type: events.AgentState, Agent: "a1", Data: map[string]string{"state": "ready"}},
	}
}

func TestExportImportRoundTrip(t *testing.T) {
	ctx := context.Background()
	src := events.NewLog(sample()...)
	var buf bytes.Buffer
	n, err := Export(ctx, src, time.Time{}, time.Time{}, &buf)
	if err != nil || n != 3 {
		t.Fatalf("Export = %d, %v", n, err)
	}
	if !strings.Contains(buf.String(), `"from":"+86<1>"`) {
		t.Errorf("export escaped HTML or lost data: %s", buf.String())
	}
	dst := events.NewLog()
	if n, err := Import(ctx, &buf, dst, 2); err != nil || n != 3 {
		t.Fatalf("Import = %d, %v", n, err)
	}
	if got, want := dst.Events(), src.Events(); !reflect.DeepEqual(got, want) {
		t.Errorf("round trip = %+v; want %+v", got, want)
	}
}

func TestDecodeErrorsNameTheLine(t *testing.T) {
	for in, want := range map[string]string{
		"# comment\n{\"ts\":\"2026-11-02T08:00:00Z\",\"type\":\"call.start\"}\n{bad\n": "line 3",
		"{\"type\":\"call.start\"}\n": "line 1: event needs ts and type",
	} {
		err := Decode(strings.NewReader(in), func(events.Event) error { return nil })
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Decode(%q) = %v; want %q", in, err, want)
		}
	}
}

func TestFileStoreAndScan(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "events.jsonl")
	f, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := events.NewWriter(f, events.WriterConfig{})
	for _, e := range sample() {
		w.Emit(ctx, e)
	}
	if err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}
	f.Close()
	var got []events.Type
	err = OpenFile(path).Scan(ctx, t0.Add(time.Second), time.Time{}, func(e events.Event) error {
		got = append(got, e.Type)
		return nil
	})
	if err != nil || !reflect.DeepEqual(got, []events.Type{events.IVRNode, events.AgentState}) {
		t.Errorf("Scan from 1 s = %v, %v", got, err)
	}

	// A file that goes back in time is refused, not misread.
	bad := filepath.Join(t.TempDir(), "bad.jsonl")
	g, _ := Create(bad)
	evs := sample()
	evs[0], evs[2] = evs[2], evs[0]
	g.Append(ctx, evs)
	g.Close()
	if err := OpenFile(bad).Scan(ctx, time.Time{}, time.Time{}, func(events.Event) error { return nil }); err == nil ||
		!strings.Contains(err.Error(), "not in time order") {
		t.Errorf("Scan of unordered file = %v; want a time-order error", err)
	}
}
