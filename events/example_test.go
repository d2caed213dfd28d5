package events_test

import (
	"context"
	"fmt"
	"time"

	"github.com/switchboard-cc/switchboard/events"
)

// A Writer in front of a store: Emit never waits on the disk; Flush makes
// what was emitted durable; Close flushes the rest.
func ExampleWriter() {
	ctx := context.Background()
	store := events.NewLog() // serve uses events/sqlite
	w := events.NewWriter(store, events.WriterConfig{})
	w.Emit(ctx, events.Event{Type: events.CallStart, CallID: "c1", Time: time.Now().UTC()})
	if err := w.Flush(ctx); err != nil { // c1's call.start is acknowledged
		panic(err)
	}
	if err := w.Close(ctx); err != nil {
		panic(err)
	}
	st := w.Stats()
	fmt.Println(store.Len(), "stored,", st.Dropped, "dropped")
	// Output: 1 stored, 0 dropped
}
