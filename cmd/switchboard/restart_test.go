package main

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/events"
	"github.com/switchboard-cc/switchboard/events/sqlite"
)

// A crash leaves calls open in the log; the next serve closes them with
// by=system reason=restart at their last event, leaves ARI calls (Asterisk
// keeps them and the transport re-adopts them) and ended calls alone.
func TestServeClosesCallsLeftOpenByACrash(t *testing.T) {
	dir := t.TempDir()
	t0 := time.Now().UTC().Add(-time.Hour).Truncate(time.Millisecond)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	st, err := sqlite.OpenDir(context.Background(), dir, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	crashed := []events.Event{
		{Time: at(0), CallID: "sip-open", Type: events.CallStart, Data: map[string]string{"transport": "sip"}},
		{Time: at(1), CallID: "ari-open", Type: events.CallStart, Data: map[string]string{"transport": "ari"}},
		{Time: at(2), CallID: "done", Type: events.CallStart, Data: map[string]string{"transport": "sip"}},
		{Time: at(5), CallID: "sip-open", Type: events.QueueEnter, Node: "billing", Queue: "billing"},
		{Time: at(9), CallID: "done", Type: events.CallEnd, Data: map[string]string{"by": "caller"}},
		{Time: at(20), CallID: "sip-open", Type: events.QueueConnect, Node: "billing", Queue: "billing", Agent: "1001"},
	}
	if err := st.Append(context.Background(), crashed); err != nil {
		t.Fatal(err)
	}
	st.Close()

	_, stop := startServe(t, testConfigDir(t), dir)
	stop()

	var ends []events.Event
	for _, e := range readEvents(t, dir) {
		if e.Type == events.CallEnd {
			ends = append(ends, e)
		}
	}
	if len(ends) != 2 {
		t.Fatalf("call.end events %v; want the old one and one for sip-open", ends)
	}
	e := ends[1]
	if e.CallID != "sip-open" || e.Data["by"] != "system" || e.Data["reason"] != "restart" || !e.Time.Equal(at(20)) || e.Node != "billing" {
		t.Errorf("call.end = %+v; want sip-open by=system reason=restart at its last event (%v) at billing", e, at(20))
	}

	// A second start finds nothing more to close.
	n, err := closeInterruptedCalls(context.Background(), events.NewLog(append(crashed, e)...), events.Discard, time.Now(), slog.New(slog.DiscardHandler))
	if err != nil || n != 0 {
		t.Errorf("closeInterruptedCalls after the close: %d, %v; want 0", n, err)
	}
}
