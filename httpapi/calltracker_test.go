package httpapi

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/events"
)

func TestCallTracker(t *testing.T) {
	t0 := time.Date(2026, 11, 23, 2, 0, 0, 0, time.UTC)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	ev := func(s int, typ events.Type, mods ...func(*events.Event)) events.Event {
		e := events.Event{Time: at(s), CallID: "c1", Type: typ}
		for _, m := range mods {
			m(&e)
		}
		return e
	}
	node := func(n, typ string) func(*events.Event) {
		return func(e *events.Event) {
			e.Node, e.Data = n, map[string]string{"node_type": typ, "flow": "heating-hotline"}
		}
	}
	queue := func(q string) func(*events.Event) { return func(e *events.Event) { e.Queue = q } }
	agent := func(a string) func(*events.Event) { return func(e *events.Event) { e.Agent = a } }
	start := ev(0, events.CallStart, func(e *events.Event) {
		e.Data = map[string]string{"from": "+8613800000001", "to": "96069", "flow": "heating-hotline"}
	})
	// show renders the one call as "state node queue agent since".
	show := func(c Call) string {
		return fmt.Sprintf("%s %s %s %s %ds", c.State, c.Node, c.Queue, c.Agent, int(c.Since.Sub(t0).Seconds()))
	}
	tests := []struct {
		name   string
		events []events.Event
		want   string // "" when the call is gone
	}{
		{"in the menu", []events.Event{start, ev(1, events.IVRNode, node("check_hours", "hours")), ev(1, events.IVRNode, node("main_menu", "menu"))},
			"ivr main_menu   0s"},
		{"queued", []events.Event{start, ev(1, events.IVRNode, node("billing", "queue")), ev(2, events.QueueEnter, queue("billing"))},
			"queued billing billing  2s"},
		{"ringing", []events.Event{start, ev(2, events.QueueEnter, queue("billing")), ev(9, events.AgentOffer, queue("billing"), agent("1001"))},
			"ringing  billing 1001 9s"},
		{"no answer puts it back in line", []events.Event{start, ev(2, events.QueueEnter, queue("billing")), ev(9, events.AgentOffer, agent("1001")), ev(24, events.AgentNoAnswer, agent("1001"))},
			"queued  billing  24s"},
		{"talking", []events.Event{start, ev(2, events.QueueEnter, queue("billing")), ev(9, events.AgentOffer, agent("1001")), ev(12, events.QueueConnect, queue("billing"), agent("1001"))},
			"talking  billing 1001 12s"},
		{"hold and back", []events.Event{start, ev(12, events.QueueConnect, queue("billing"), agent("1001")), ev(30, events.CallHold), ev(50, events.CallUnhold)},
			"talking  billing 1001 50s"},
		{"timeout into self-service", []events.Event{start, ev(2, events.QueueEnter, queue("billing")), ev(182, events.QueueTimeout, queue("billing")), ev(182, events.IVRNode, node("after_hours", "menu"))},
			"ivr after_hours   182s"},
		{"ended", []events.Event{start, ev(2, events.QueueEnter, queue("billing")), ev(5, events.QueueAbandon, queue("billing")), ev(5, events.CallEnd)},
			""},
		{"a wrap-up end after the end is no ghost", []events.Event{start, ev(12, events.QueueConnect, queue("billing"), agent("1001")), ev(60, events.CallEnd), ev(75, events.AgentWrapupEnd, queue("billing"), agent("1001"))},
			""},
		{"a late hold release after the end is no ghost", []events.Event{start, ev(12, events.QueueConnect, queue("billing"), agent("1001")), ev(60, events.CallEnd), ev(60, events.CallUnhold)},
			""},
		{"a callback's dialled leg starts again under the same ID", []events.Event{start, ev(5, events.CallEnd), ev(90, events.CallStart), ev(91, events.QueueEnter, queue("billing"))},
			"queued  billing  91s"},
		{"seen mid-call after a restart", []events.Event{ev(40, events.QueueConnect, queue("billing"), agent("1002"))},
			"talking  billing 1002 40s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := NewCallTracker()
			for _, e := range tt.events {
				tr.Emit(context.Background(), e)
			}
			calls, _ := tr.LiveCalls(context.Background())
			var got []string
			for _, c := range calls {
				got = append(got, show(c))
			}
			want := []string{}
			if tt.want != "" {
				want = []string{tt.want}
			}
			if strings.Join(got, "|") != strings.Join(want, "|") {
				t.Errorf("calls = %q; want %q", got, want)
			}
		})
	}
}

func TestCallTrackerKeepsCallerDetailsAndDropsGhosts(t *testing.T) {
	t0 := time.Date(2026, 11, 23, 2, 0, 0, 0, time.UTC)
	tr := NewCallTracker()
	ctx := context.Background()
	tr.Emit(ctx, events.Event{Time: t0, CallID: "old", Type: events.CallStart, Data: map[string]string{"from": "1", "to": "96069", "flow": "f"}})
	tr.Emit(ctx, events.Event{Time: t0.Add(time.Hour), CallID: "new", Type: events.CallStart, Data: map[string]string{"from": "+8613800000002", "to": "96069", "flow": "heating-hotline"}})
	tr.Emit(ctx, events.Event{Time: t0.Add(time.Hour), Type: events.AgentState, Agent: "1001"}) // no call: ignored
	calls, _ := tr.LiveCalls(ctx)
	if len(calls) != 2 || calls[0].ID != "old" || calls[1].From != "+8613800000002" || calls[1].Flow != "heating-hotline" || calls[1].To != "96069" {
		t.Fatalf("calls = %+v; want old then new with its caller details", calls)
	}
	// Thirteen hours on, "old" never ended: it is a ghost and goes.
	tr.Emit(ctx, events.Event{Time: t0.Add(13 * time.Hour), CallID: "new", Type: events.IVRNode, Node: "menu"})
	calls, _ = tr.LiveCalls(ctx)
	if len(calls) != 1 || calls[0].ID != "new" {
		t.Errorf("calls = %+v; want only new", calls)
	}
}

// TestCallTrackerForgetsEndedCallsBeyondItsBound: the ended-call memory that
// keeps late events from raising ghosts is bounded.
func TestCallTrackerForgetsEndedCallsBeyondItsBound(t *testing.T) {
	t0 := time.Date(2026, 11, 23, 2, 0, 0, 0, time.UTC)
	tr := NewCallTracker()
	ctx := context.Background()
	for i := range rememberEnded + 100 {
		id := fmt.Sprintf("c%d", i)
		tr.Emit(ctx, events.Event{Time: t0, CallID: id, Type: events.CallStart})
		tr.Emit(ctx, events.Event{Time: t0, CallID: id, Type: events.CallEnd})
	}
	if n := tr.ended.Len(); n != rememberEnded {
		t.Errorf("remembers %d ended calls; want the bound %d", n, rememberEnded)
	}
	// The newest are remembered: a late event of the last call is ignored.
	last := fmt.Sprintf("c%d", rememberEnded+99)
	tr.Emit(ctx, events.Event{Time: t0, CallID: last, Type: events.AgentWrapupEnd, Agent: "1001"})
	if calls, _ := tr.LiveCalls(ctx); len(calls) != 0 {
		t.Errorf("calls = %+v; want none", calls)
	}
}
