package events

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"
)

// gatedStore blocks every Append until the test opens the gate, so tests
// control exactly when the store is slow.
type gatedStore struct {
	Log
	gate chan struct{}
}

func (g *gatedStore) Append(ctx context.Context, batch []Event) error {
	<-g.gate
	return g.Log.Append(ctx, batch)
}

var _ Store = (*gatedStore)(nil)

func ev(i int) Event {
	return Event{Time: time.Unix(int64(1_800_000_000+i), 0).UTC(), Type: IVRNode, CallID: "c", Data: map[string]string{"i": strconv.Itoa(i)}}
}

func TestWriterFlushAcknowledges(t *testing.T) {
	ctx := context.Background()
	log := NewLog()
	w := NewWriter(log, WriterConfig{Batch: 7, FlushInterval: time.Hour})
	defer w.Close(ctx)
	for i := range 100 {
		w.Emit(ctx, ev(i))
	}
	if err := w.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	got := log.Events()
	if len(got) != 100 {
		t.Fatalf("after Flush the store holds %d events; want 100", len(got))
	}
	for i, e := range got {
		if e.Data["i"] != strconv.Itoa(i) {
			t.Fatalf("event %d is %s; want emit order", i, e.Data["i"])
		}
	}
	if st := w.Stats(); st.Emitted != 100 || st.Written != 100 || st.Pending != 0 || st.Batches < 15 {
		t.Errorf("Stats = %+v; want 100 emitted and written in batches of 7", st)
	}
}

func TestWriterEmitNeverBlocksOnSlowStore(t *testing.T) {
	ctx := context.Background()
	store := &gatedStore{gate: make(chan struct{})}
	w := NewWriter(store, WriterConfig{Buffer: 10, Batch: 5, MaxWait: time.Millisecond})
	// The store is stuck: the loop holds at most one batch, the buffer the rest.
	start := time.Now()
	for i := range 50 {
		w.Emit(ctx, ev(i))
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("50 Emits against a stuck store took %v; Emit must not block", d)
	}
	st := w.Stats()
	if st.Emitted != 10 || st.Dropped != 40 || st.Waits != 40 {
		t.Errorf("Stats = %+v; want 10 accepted, 40 waited and dropped", st)
	}
	close(store.gate)
	if err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if n := store.Len(); n != 10 {
		t.Errorf("store holds %d; want the 10 accepted events", n)
	}
}

func TestWriterWaitsForRoomWithinMaxWait(t *testing.T) {
	ctx := context.Background()
	store := &gatedStore{gate: make(chan struct{})}
	w := NewWriter(store, WriterConfig{Buffer: 4, Batch: 4, MaxWait: time.Minute})
	for i := range 4 {
		w.Emit(ctx, ev(i))
	}
	done := make(chan struct{})
	go func() {
		w.Emit(ctx, ev(4)) // buffer full: waits for room
		close(done)
	}()
	for w.Stats().Waits == 0 {
		time.Sleep(time.Millisecond) // poll a counter, not a timing guess
	}
	close(store.gate) // the store catches up; the waiting Emit gets room
	<-done
	if err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if st := w.Stats(); st.Dropped != 0 || st.Written != 5 || st.Waits != 1 {
		t.Errorf("Stats = %+v; want 5 written, 1 wait, 0 dropped", st)
	}
}

func TestWriterRetriesFailedBatches(t *testing.T) {
	ctx := context.Background()
	log := NewLog()
	log.FailNext = 2
	w := NewWriter(log, WriterConfig{Batch: 50})
	for i := range 20 {
		w.Emit(ctx, ev(i))
	}
	if err := w.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if n, st := log.Len(), w.Stats(); n != 20 || st.WriteErrors != 2 {
		t.Errorf("store holds %d after 2 failures, Stats = %+v; want all 20, 2 write errors", n, st)
	}
	w.Close(ctx)
}

func TestWriterFlushReportsStuckStore(t *testing.T) {
	log := NewLog()
	log.FailNext = 1 << 30
	w := NewWriter(log, WriterConfig{})
	w.Emit(context.Background(), ev(1))
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if err := w.Flush(ctx); !errors.Is(err, ErrInjected) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Flush against a failing store = %v; want deadline and the store error", err)
	}
	cctx, ccancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer ccancel()
	if err := w.Close(cctx); err == nil {
		t.Error("Close with an unwritable event returned nil; want an error naming the loss")
	}
}

func TestWriterCloseFlushesAndRejects(t *testing.T) {
	ctx := context.Background()
	log := NewLog()
	w := NewWriter(log, WriterConfig{FlushInterval: time.Hour})
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 250 {
				w.Emit(ctx, ev(g*1000+i))
			}
		}()
	}
	wg.Wait()
	if err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if n := log.Len(); n != 1000 {
		t.Errorf("Close left %d of 1000 events in the store", n)
	}
	if err := w.EmitSync(ctx, ev(9)); !errors.Is(err, ErrClosed) {
		t.Errorf("EmitSync after Close = %v; want ErrClosed", err)
	}
	if st := w.Stats(); st.Dropped != 1 {
		t.Errorf("Dropped after Close = %d; want 1", st.Dropped)
	}
}

func TestEmitSyncIsDurableOnReturn(t *testing.T) {
	ctx := context.Background()
	log := NewLog()
	w := NewWriter(log, WriterConfig{FlushInterval: time.Hour})
	defer w.Close(ctx)
	for i := range 3 {
		if err := w.EmitSync(ctx, ev(i)); err != nil {
			t.Fatal(err)
		}
		if n := log.Len(); n != i+1 {
			t.Fatalf("after EmitSync %d the store holds %d", i, n)
		}
	}
}

func TestEmitKeepsEventOfCancelledCall(t *testing.T) {
	log := NewLog()
	w := NewWriter(log, WriterConfig{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // the call hung up; its call.end must still be recorded
	w.Emit(ctx, Event{Type: CallEnd, CallID: "c"})
	if err := w.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := log.Events()
	if len(got) != 1 || got[0].Time.IsZero() {
		t.Errorf("store = %+v; want the call.end with a timestamp", got)
	}
}

func TestLogScanRange(t *testing.T) {
	l := NewLog(ev(3), ev(1), ev(2), ev(5))
	var got []string
	err := l.Scan(context.Background(), ev(1).Time, ev(5).Time, func(e Event) error {
		got = append(got, e.Data["i"])
		return nil
	})
	if err != nil || len(got) != 3 || got[0] != "1" || got[2] != "3" {
		t.Errorf("Scan([1,5)) = %v, %v; want [1 2 3]", got, err)
	}
	if n, _ := l.Count(context.Background(), time.Time{}, time.Time{}); n != 4 {
		t.Errorf("Count = %d; want 4", n)
	}
}
