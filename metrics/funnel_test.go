package metrics

import (
	"maps"
	"testing"

	"github.com/switchboard-cc/switchboard/events"
)

// TestFunnelCountsOnlyValidChoices: a key that is no option of the menu
// (result=invalid) is counted as invalid, not as a choice; an hours node's
// branch is counted by its result.
func TestFunnelCountsOnlyValidChoices(t *testing.T) {
	node := func(s int, call, name, typ string, kv ...string) events.Event {
		ev := e(s, events.IVRNode, call, "", "", append([]string{"node_type", typ, "flow", "f"}, kv...)...)
		ev.Node = name
		return ev
	}
	digits := func(s int, call, name string, kv ...string) events.Event {
		ev := e(s, events.IVRDigits, call, "", "", kv...)
		ev.Node = name
		return ev
	}
	r := run(t,
		e(0, events.CallStart, "c1", "", "", "flow", "f"),
		node(0, "c1", "hours", "hours", "result", "open"),
		node(0, "c1", "menu", "menu"),
		digits(5, "c1", "menu", "digits", "9", "stop", "max_digits", "result", "invalid"),
		digits(10, "c1", "menu", "stop", "first_digit_timeout", "result", "no_input"),
		digits(15, "c1", "menu", "digits", "1", "stop", "max_digits", "result", "ok"),
		e(20, events.CallEnd, "c1", "", "", "by", "system"),
		e(30, events.CallStart, "c2", "", "", "flow", "f"),
		node(30, "c2", "hours", "hours", "result", "closed"),
		node(30, "c2", "menu", "menu"),
		digits(35, "c2", "menu", "digits", "2", "stop", "max_digits"), // recorded before results existed
		e(40, events.CallEnd, "c2", "", "", "by", "system"),
	)
	stats := map[string]NodeStats{}
	for _, n := range r.Nodes {
		stats[n.Node] = n
	}
	m := stats["menu"]
	if want := map[string]int{"1": 1, "2": 1}; !maps.Equal(m.Choices, want) || m.Invalid != 1 || m.NoInput != 1 {
		t.Errorf("menu: choices %v, invalid %d, no input %d; want %v, 1, 1", m.Choices, m.Invalid, m.NoInput, want)
	}
	if want := map[string]int{"open": 1, "closed": 1}; !maps.Equal(stats["hours"].Results, want) {
		t.Errorf("hours results = %v; want %v", stats["hours"].Results, want)
	}
}
