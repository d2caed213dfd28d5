package eventstest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/events"
)

// ContractStore is what every event store offers the Writer, reports and
// the API.
type ContractStore interface {
	events.Store
	events.Reader
	events.Counter
	CallEvents(ctx context.Context, callID string) ([]events.Event, error)
}

var t0 = time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)

// TestStore is the contract every event store passes (events/sqlite and
// events/postgres run it). open returns a new, empty store; closing it is
// open's business (t.Cleanup).
func TestStore(t *testing.T, open func(t *testing.T) ContractStore) {
	t.Run("RoundTrip", func(t *testing.T) { testRoundTrip(t, open(t)) })
	t.Run("Batches", func(t *testing.T) { testBatches(t, open(t)) })
	t.Run("Data", func(t *testing.T) { testData(t, open(t)) })
	t.Run("HostileBytes", func(t *testing.T) { testHostileBytes(t, open(t)) })
	t.Run("ScanStops", func(t *testing.T) { testScanStops(t, open(t)) })
	t.Run("Writer", func(t *testing.T) { testWriter(t, open(t)) })
}

func scanAll(t *testing.T, s ContractStore, from, to time.Time) []events.Event {
	t.Helper()
	var got []events.Event
	if err := s.Scan(context.Background(), from, to, func(e events.Event) error { got = append(got, e); return nil }); err != nil {
		t.Fatalf("Scan: %v", err)
	}
	return got
}

// Events come back in time order, ties in append order (also across
// batches), over [from, to); Seq grows in append order.
func testRoundTrip(t *testing.T, s ContractStore) {
	ctx := context.Background()
	in := []events.Event{
		{Time: t0.Add(2 * time.Second), CallID: "c1", Type: events.QueueEnter, Node: "billing", Queue: "billing", Data: map[string]string{"position": "1", "priority": "0"}},
		{Time: t0, CallID: "c1", Type: events.CallStart, Data: map[string]string{"from": "+8613800000000", "to": "96069", "weird": "a&b=c%d"}},
		{Time: t0.Add(time.Second + 1), Type: events.AgentState, Agent: "1001", Data: map[string]string{"state": "ready"}},
		{Time: t0.Add(2 * time.Second), CallID: "c1", Type: events.QueueConnect, Queue: "billing", Agent: "1001"},
	}
	if err := s.Append(ctx, in[:2]); err != nil {
		t.Fatal(err)
	}
	if err := s.Append(ctx, in[2:]); err != nil {
		t.Fatal(err)
	}
	got := scanAll(t, s, time.Time{}, time.Time{})
	want := []events.Event{in[1], in[2], in[0], in[3]}
	if len(got) != len(want) {
		t.Fatalf("Scan returned %d events; want %d", len(got), len(want))
	}
	seqOf := make(map[int]uint64) // append position -> Seq
	for i, pos := range []int{1, 2, 0, 3} {
		g := got[i]
		seqOf[pos] = g.Seq
		g.Seq = 0
		if !reflect.DeepEqual(g, want[i]) {
			t.Errorf("event %d = %+v; want %+v", i, g, want[i])
		}
	}
	for pos := 1; pos < len(in); pos++ {
		if seqOf[pos] <= seqOf[pos-1] {
			t.Errorf("Seq of append %d = %d, not above append %d's %d", pos, seqOf[pos], pos-1, seqOf[pos-1])
		}
	}
	for _, c := range []struct {
		from, to time.Time
		want     int
	}{
		{t0, t0.Add(time.Second + 1), 1},          // to is exclusive
		{t0.Add(time.Second + 1), time.Time{}, 3}, // from is inclusive, open end
		{time.Time{}, t0.Add(2 * time.Second), 2},
		{t0.Add(3 * time.Second), time.Time{}, 0},
	} {
		n, err := s.Count(ctx, c.from, c.to)
		if err != nil || n != int64(c.want) {
			t.Errorf("Count(%v, %v) = %d, %v; want %d", c.from, c.to, n, err, c.want)
		}
		if got := scanAll(t, s, c.from, c.to); len(got) != c.want {
			t.Errorf("Scan(%v, %v) gave %d events; want %d", c.from, c.to, len(got), c.want)
		}
	}
	call, err := s.CallEvents(ctx, "c1")
	if err != nil || len(call) != 3 || call[0].Type != events.CallStart || call[2].Type != events.QueueConnect {
		t.Errorf("CallEvents(c1) = %v, %v; want call.start, queue.enter, queue.connect", call, err)
	}
}

// Batches of every size arrive whole and in order.
func testBatches(t *testing.T, s ContractStore) {
	ctx := context.Background()
	for _, n := range []int{1, 127, 128, 129, 1000, 5000} {
		id := fmt.Sprint("n", n)
		batch := make([]events.Event, n)
		for i := range batch {
			batch[i] = events.Event{Time: t0.Add(time.Duration(i % 50)), Type: events.IVRNode, CallID: id, Data: map[string]string{"i": strconv.Itoa(i)}}
		}
		if err := s.Append(ctx, batch); err != nil {
			t.Fatalf("Append(%d): %v", n, err)
		}
		got, err := s.CallEvents(ctx, id)
		if err != nil || len(got) != n {
			t.Fatalf("Append(%d) stored %d, %v", n, len(got), err)
		}
		// Time order first, then append order among equal times.
		prev := -1
		for _, e := range got {
			i, _ := strconv.Atoi(e.Data["i"])
			if prev >= 0 && i%50 == prev%50 && i < prev {
				t.Fatalf("Append(%d): event %d after %d at the same time", n, i, prev)
			}
			prev = i
		}
	}
}

// Data keys and values come back exactly, whatever characters they hold.
func testData(t *testing.T, s ContractStore) {
	ctx := context.Background()
	cases := []map[string]string{
		nil,
		{"a": ""},
		{"k": "v", "x=y": "1&2", "pct": "100%", "uni": "供暖", "q": `"quoted" \back\ {}`, "nl": "a\nb\tc"},
	}
	for i, d := range cases {
		if err := s.Append(ctx, []events.Event{{Time: t0, CallID: "d" + strconv.Itoa(i), Type: events.CallStart, Data: d}}); err != nil {
			t.Fatal(err)
		}
		got, err := s.CallEvents(ctx, "d"+strconv.Itoa(i))
		if err != nil || len(got) != 1 {
			t.Fatalf("CallEvents: %v, %v", got, err)
		}
		if !reflect.DeepEqual(got[0].Data, d) && !(len(d) == 0 && len(got[0].Data) == 0) {
			t.Errorf("Data %q came back as %q", d, got[0].Data)
		}
	}
}

// Caller-controlled text (SIP headers, digits, lookups) may hold any bytes.
// A store must accept the event (never fail the batch, which the Writer
// would retry for ever, stopping the log) and keep the readable part.
func testHostileBytes(t *testing.T, s ContractStore) {
	ctx := context.Background()
	bad := "x\x00y\xff\xfez"
	batch := []events.Event{
		{Time: t0, CallID: "h1", Type: events.CallStart, Data: map[string]string{"from": bad, bad: "v"}},
		{Time: t0.Add(time.Second), CallID: "h1", Type: events.QueueEnter, Queue: bad, Agent: bad, Node: bad},
		{Time: t0.Add(2 * time.Second), CallID: "h1" + bad, Type: events.CallEnd},
	}
	if err := s.Append(ctx, batch); err != nil {
		t.Fatalf("Append with NUL and invalid UTF-8: %v", err)
	}
	got := scanAll(t, s, time.Time{}, time.Time{})
	if len(got) != len(batch) {
		t.Fatalf("stored %d events; want %d", len(got), len(batch))
	}
	for _, v := range []string{got[0].Data["from"], got[1].Queue, got[1].Agent} {
		if len(v) < 3 || v[0] != 'x' || v[len(v)-1] != 'z' {
			t.Errorf("hostile value came back as %q; want its readable part kept", v)
		}
	}
}

// An error from the callback stops the scan and comes back as it was.
func testScanStops(t *testing.T, s ContractStore) {
	ctx := context.Background()
	batch := make([]events.Event, 10)
	for i := range batch {
		batch[i] = events.Event{Time: t0.Add(time.Duration(i)), Type: events.IVRNode}
	}
	if err := s.Append(ctx, batch); err != nil {
		t.Fatal(err)
	}
	stop := errors.New("enough")
	n := 0
	err := s.Scan(ctx, time.Time{}, time.Time{}, func(events.Event) error {
		if n++; n == 3 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || n != 3 {
		t.Errorf("Scan = %v after %d events; want the callback's error after 3", err, n)
	}
}

// The Writer in front of the store: everything emitted is there after
// Close, none dropped.
func testWriter(t *testing.T, s ContractStore) {
	ctx := context.Background()
	w := events.NewWriter(s, events.WriterConfig{Batch: 100, MaxWait: time.Second})
	for i := range 1000 {
		w.Emit(ctx, events.Event{Time: t0.Add(time.Duration(i) * time.Millisecond), Type: events.IVRNode, CallID: "c", Data: map[string]string{"i": strconv.Itoa(i)}})
	}
	if err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if st := w.Stats(); st.Written != 1000 || st.Dropped != 0 {
		t.Errorf("Stats = %+v; want 1000 written, 0 dropped", st)
	}
	got, err := s.CallEvents(ctx, "c")
	if err != nil || len(got) != 1000 {
		t.Fatalf("CallEvents = %d events, %v; want 1000", len(got), err)
	}
	for i, e := range got {
		if e.Data["i"] != strconv.Itoa(i) {
			t.Fatalf("event %d has i=%s", i, e.Data["i"])
		}
	}
}
