package events

import "testing"

func TestEndedCalls(t *testing.T) {
	ev := func(typ Type, id string) Event { return Event{Type: typ, CallID: id} }
	type step struct {
		mark string // Mark this ID, or
		ev   Event  // ask Late for this event
		late bool
	}
	tests := []struct {
		name  string
		limit int
		steps []step
	}{
		{"an event after the end is late", 4, []step{
			{mark: "a"},
			{ev: ev(AgentWrapupEnd, "a"), late: true},
			{ev: ev(CallEnd, "a"), late: true},
			{ev: ev(CallHold, "b"), late: false},
		}},
		{"call.start reopens the ID (a callback's dialled leg)", 4, []step{
			{mark: "a"},
			{ev: ev(CallStart, "a"), late: false},
			{ev: ev(QueueConnect, "a"), late: false},
			{mark: "a"},
			{ev: ev(CallEnd, "a"), late: true},
		}},
		{"the oldest end is forgotten beyond the limit", 2, []step{
			{mark: "a"}, {mark: "b"}, {mark: "c"},
			{ev: ev(CallEnd, "a"), late: false},
			{ev: ev(CallEnd, "b"), late: true},
			{ev: ev(CallEnd, "c"), late: true},
		}},
		{"an ID ended twice keeps its newer slot", 2, []step{
			{mark: "a"},
			{ev: ev(CallStart, "a")},
			{mark: "a"}, // ring: a, a
			{mark: "b"}, // ring: b, a — the older slot of a went
			{ev: ev(IVRNode, "a"), late: true},
			{ev: ev(IVRNode, "b"), late: true},
		}},
		{"events without a call ID are never late", 2, []step{
			{mark: ""},
			{ev: ev(AgentState, ""), late: false},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := NewEndedCalls(tt.limit)
			for i, s := range tt.steps {
				if s.ev.Type == "" {
					e.Mark(s.mark)
					continue
				}
				if got := e.Late(s.ev); got != s.late {
					t.Errorf("step %d: Late(%s %q) = %v, want %v", i, s.ev.Type, s.ev.CallID, got, s.late)
				}
			}
		})
	}
}

func TestEndedCallsStayBounded(t *testing.T) {
	e := NewEndedCalls(3)
	for _, id := range []string{"a", "b", "c", "d", "e", "e", "f"} {
		e.Mark(id)
	}
	if e.Len() != 3 || !e.Ended("d") || !e.Ended("e") || !e.Ended("f") || e.Ended("c") {
		t.Errorf("len %d; d %v e %v f %v c %v; want 3 and only the newest three",
			e.Len(), e.Ended("d"), e.Ended("e"), e.Ended("f"), e.Ended("c"))
	}
}
