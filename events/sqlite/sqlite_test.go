package sqlite

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/events"
	"github.com/switchboard-cc/switchboard/events/eventstest"
)

var t0 = time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)

func openTemp(t testing.TB, opt Options) *Store {
	t.Helper()
	s, err := OpenDir(context.Background(), t.TempDir(), opt)
	if err != nil {
		t.Fatalf("OpenDir: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestAppendScanRoundTrip(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t, Options{})
	in := []events.Event{
		{Time: t0.Add(2 * time.Second), CallID: "c1", Type: events.QueueEnter, Node: "billing", Queue: "billing", Data: map[string]string{"position": "1", "priority": "0"}},
		{Time: t0, CallID: "c1", Type: events.CallStart, Data: map[string]string{"from": "+8613800000000", "to": "96069", "weird": "a&b=c%d"}},
		{Time: t0.Add(time.Second), Type: events.AgentState, Agent: "1001", Data: map[string]string{"state": "ready"}},
		{Time: t0.Add(2 * time.Second), CallID: "c1", Type: events.QueueConnect, Queue: "billing", Agent: "1001"},
	}
	if err := s.Append(ctx, in); err != nil {
		t.Fatal(err)
	}
	var got []events.Event
	if err := s.Scan(ctx, time.Time{}, time.Time{}, func(e events.Event) error { got = append(got, e); return nil }); err != nil {
		t.Fatal(err)
	}
	// Time order, ties in append order; Seq is the append position.
	want := []events.Event{in[1], in[2], in[0], in[3]}
	wantSeq := []uint64{2, 3, 1, 4}
	for i := range want {
		want[i].Seq = wantSeq[i]
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Errorf("event %d = %+v; want %+v", i, got[i], want[i])
		}
	}
	// Range is [from, to).
	n, err := s.Count(ctx, t0.Add(time.Second), t0.Add(2*time.Second))
	if err != nil || n != 1 {
		t.Errorf("Count([1s,2s)) = %d, %v; want 1", n, err)
	}
	call, err := s.CallEvents(ctx, "c1")
	if err != nil || len(call) != 3 || call[0].Type != events.CallStart {
		t.Errorf("CallEvents(c1) = %v, %v; want 3 events starting with call.start", call, err)
	}
}

func TestBulkAndRemainderRows(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t, Options{Synchronous: "NORMAL"})
	for _, n := range []int{1, bulkRows - 1, bulkRows, 3*bulkRows + 7} {
		batch := make([]events.Event, n)
		for i := range batch {
			batch[i] = events.Event{Time: t0.Add(time.Duration(i)), Type: events.IVRNode, CallID: fmt.Sprint("n", n), Data: map[string]string{"i": strconv.Itoa(i)}}
		}
		if err := s.Append(ctx, batch); err != nil {
			t.Fatalf("Append(%d): %v", n, err)
		}
		got, err := s.CallEvents(ctx, fmt.Sprint("n", n))
		if err != nil || len(got) != n {
			t.Fatalf("Append(%d) stored %d, %v", n, len(got), err)
		}
		for i, e := range got {
			if e.Data["i"] != strconv.Itoa(i) {
				t.Fatalf("Append(%d) event %d has i=%s", n, i, e.Data["i"])
			}
		}
	}
}

func TestDataEncoding(t *testing.T) {
	for _, d := range []map[string]string{
		nil,
		{"a": ""},
		{"k": "v", "x=y": "1&2", "pct": "100%", "uni": "供暖"},
	} {
		got, err := decodeData([]byte(encodeData(d)))
		if err != nil || !reflect.DeepEqual(got, d) && !(len(d) == 0 && len(got) == 0) {
			t.Errorf("decode(encode(%v)) = %v, %v", d, got, err)
		}
	}
	for _, bad := range []string{"novalue", "a=%4", "a=%zz"} {
		if _, err := decodeData([]byte(bad)); err == nil {
			t.Errorf("decodeData(%q) succeeded; want error", bad)
		}
	}
}

func TestOpenRejects(t *testing.T) {
	ctx := context.Background()
	if _, err := Open(ctx, filepath.Join(t.TempDir(), "x.db"), Options{Synchronous: "OFF"}); err == nil {
		t.Error("Open with synchronous OFF succeeded; want error (it can lose acknowledged events)")
	}
	if _, err := OpenDir(ctx, filepath.Join(t.TempDir(), "missing"), Options{ReadOnly: true}); err == nil {
		t.Error("OpenDir(missing, ReadOnly) succeeded; want error")
	}
}

// The writer in front of a real SQLite file: everything emitted is there
// after Close, in order.
func TestWriterIntoSQLite(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t, Options{})
	w := events.NewWriter(s, events.WriterConfig{Batch: 100})
	for i := range 1000 {
		w.Emit(ctx, events.Event{Time: t0.Add(time.Duration(i) * time.Millisecond), Type: events.IVRNode, CallID: "c", Data: map[string]string{"i": strconv.Itoa(i)}})
	}
	if err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if st := w.Stats(); st.Written != 1000 || st.Dropped != 0 {
		t.Errorf("Stats = %+v; want 1000 written, 0 dropped", st)
	}
	n, _ := s.Count(ctx, time.Time{}, time.Time{})
	if n != 1000 {
		t.Errorf("Count = %d; want 1000", n)
	}
}

const crashEnv = "SWITCHBOARD_SQLITE_CRASH_DIR"

// TestCrashKeepsAcknowledged re-runs this test binary as a child that
// streams events through a Writer into SQLite and prints "ack N" after
// each Flush returns. The parent kills it with SIGKILL mid-stream, then
// reopens the file: it must open cleanly and hold every acknowledged event.
func TestCrashKeepsAcknowledged(t *testing.T) {
	if dir := os.Getenv(crashEnv); dir != "" {
		eventstest.CrashChild(context.Background(), func(ctx context.Context) (events.Store, error) {
			return OpenDir(ctx, dir, Options{Synchronous: "NORMAL"})
		})
		return
	}
	if testing.Short() {
		t.Skip("spawns a child process")
	}
	dir := t.TempDir()
	acked := eventstest.KillMidStream(t, "TestCrashKeepsAcknowledged", crashEnv, dir)

	ctx := context.Background()
	s, err := OpenDir(ctx, dir, Options{})
	if err != nil {
		t.Fatalf("reopen after SIGKILL: %v", err)
	}
	defer s.Close()
	var check string
	if err := s.db.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
		t.Fatalf("integrity_check = %q, %v", check, err)
	}
	eventstest.CheckAcknowledged(t, s, acked, false)
}

// TestContract is the contract every event store passes.
func TestContract(t *testing.T) {
	eventstest.TestStore(t, func(t *testing.T) eventstest.ContractStore { return openTemp(t, Options{Synchronous: "NORMAL"}) })
}
