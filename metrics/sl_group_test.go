package metrics_test

import (
	"context"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/events"
	"github.com/switchboard-cc/switchboard/metrics"
)

// Each group's visits count against its own service-level threshold, as
// logged with queue.enter: the wallboard tile, report and API agree. A
// visit without one (an older log) uses Options.SLThreshold; a forced
// threshold applies to all.
func TestServiceLevelPerGroupThreshold(t *testing.T) {
	t0 := time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	call := func(id, queue, slMs string, wait int) []events.Event {
		enter := map[string]string{}
		if slMs != "" {
			enter["sl_within_ms"] = slMs
		}
		return []events.Event{
			{Time: at(0), CallID: id, Type: events.CallStart},
			{Time: at(1), CallID: id, Type: events.QueueEnter, Queue: queue, Data: enter},
			{Time: at(1 + wait), CallID: id, Type: events.QueueConnect, Queue: queue, Agent: "a-" + id},
			{Time: at(100), CallID: id, Type: events.CallEnd, Data: map[string]string{"by": "caller"}},
		}
	}
	var evs []events.Event
	evs = append(evs, call("b1", "billing", "60000", 30)...) // within billing's 60 s
	evs = append(evs, call("o1", "outage", "10000", 15)...)  // late for outage's 10 s
	evs = append(evs, call("x1", "old", "", 15)...)          // no threshold logged: 20 s
	for _, tc := range []struct {
		force bool
		want  map[string]int // queue -> answered within T
	}{
		{false, map[string]int{"billing": 1, "outage": 0, "old": 1}},
		{true, map[string]int{"billing": 0, "outage": 1, "old": 1}},
	} {
		res, err := metrics.Compute(context.Background(), events.NewLog(evs...), time.Time{}, time.Time{},
			metrics.Options{SLThreshold: 20 * time.Second, ForceSLThreshold: tc.force})
		if err != nil {
			t.Fatal(err)
		}
		totals := res.QueueTotals()
		for q, want := range tc.want {
			if got := totals[q].AnsweredWithin; got != want {
				t.Errorf("force=%v: %s answered within T = %d; want %d", tc.force, q, got, want)
			}
		}
	}
}
