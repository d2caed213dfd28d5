package postgres

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/events"
	"github.com/switchboard-cc/switchboard/events/eventstest"
	"github.com/switchboard-cc/switchboard/internal/testsvc"
)

// pg is one throw-away server for the package; each test has a database.
var pg testsvc.SharedPostgreSQL

func TestMain(m *testing.M) {
	code := m.Run()
	pg.Stop()
	pgDurable.Stop()
	os.Exit(code)
}

var t0 = time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)

func openDB(t testing.TB, url string, opt Options) *Store {
	t.Helper()
	s, err := Open(context.Background(), url, opt)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestContract(t *testing.T) {
	eventstest.TestStore(t, func(t *testing.T) eventstest.ContractStore { return openDB(t, pg.Database(t), Options{}) })
}

// Opening again, or from several nodes at once, applies each migration
// once; a read-only open needs the schema to be there.
func TestOpenMigratesOnce(t *testing.T) {
	ctx := context.Background()
	url := pg.Database(t)
	if _, err := Open(ctx, url, Options{ReadOnly: true}); err == nil || !strings.Contains(err.Error(), "no event log") {
		t.Fatalf("read-only Open of an empty database = %v; want 'no event log'", err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := Open(ctx, url, Options{})
			if err == nil {
				s.Close()
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("concurrent Open: %v", err)
		}
	}
	s := openDB(t, url, Options{ReadOnly: true})
	var applied int
	if err := s.pool.QueryRow(ctx, "SELECT count(*) FROM switchboard_migrations").Scan(&applied); err != nil {
		t.Fatal(err)
	}
	if applied != len(migrations) {
		t.Errorf("%d migrations recorded; want %d", applied, len(migrations))
	}
}

func TestOpenHidesPassword(t *testing.T) {
	_, err := Open(context.Background(), "postgres://u:s3cret@127.0.0.1:bad/x", Options{})
	if err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("Open(bad URL) = %v; want an error without the password", err)
	}
}

// Several nodes, each with its own Store and Writer, append at once: every
// event is there once, every Seq is unique, and each node's events keep
// their order.
func TestConcurrentNodes(t *testing.T) {
	ctx := context.Background()
	url := pg.Database(t)
	const nodes, perNode = 4, 5000
	var wg sync.WaitGroup
	errs := make(chan error, nodes)
	for n := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := Open(ctx, url, Options{})
			if err != nil {
				errs <- err
				return
			}
			defer s.Close()
			w := events.NewWriter(s, events.WriterConfig{Batch: 256, MaxWait: 10 * time.Second})
			for i := range perNode {
				w.Emit(ctx, events.Event{Time: t0.Add(time.Duration(i) * time.Millisecond), CallID: fmt.Sprintf("n%d-c%d", n, i/10),
					Type: events.IVRNode, Node: "menu", Data: map[string]string{"node": strconv.Itoa(n), "i": strconv.Itoa(i)}})
			}
			errs <- w.Close(ctx)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	s := openDB(t, url, Options{ReadOnly: true})
	seqs := make(map[uint64]bool)
	last := make(map[string]int)
	total := 0
	err := s.Scan(ctx, time.Time{}, time.Time{}, func(e events.Event) error {
		total++
		if seqs[e.Seq] {
			return fmt.Errorf("seq %d twice", e.Seq)
		}
		seqs[e.Seq] = true
		i, _ := strconv.Atoi(e.Data["i"])
		if p, ok := last[e.Data["node"]]; ok && i != p+1 {
			return fmt.Errorf("node %s: event %d after %d", e.Data["node"], i, p)
		}
		last[e.Data["node"]] = i
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if total != nodes*perNode {
		t.Errorf("stored %d events; want %d", total, nodes*perNode)
	}
}
