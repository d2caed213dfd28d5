package routing

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

// TestStrategies serves calls one after another through a group of three
// agents (a1 s:3, a2 s:9, a3 s:5, ready in roster order at the same
// instant) and checks who each strategy picks.
func TestStrategies(t *testing.T) {
	type step struct {
		talk   time.Duration // how long the picked agent talks
		before func(h *harness)
	}
	cases := []struct {
		strategy Strategy
		steps    []step
		want     []string // the agent offered each call in turn ("a1+a2" for ring_all)
	}{
		{
			// Longest idle: a1 went on break and came back later, so a2
			// and a3 have been idle longer; after their calls a1 is next.
			strategy: LongestIdle,
			steps: []step{
				{before: func(h *harness) {
					h.must(h.acd.NotReady(h.ctx, "a1", "a1", "break"))
					h.advance(10 * time.Second)
					h.must(h.acd.Ready(h.ctx, "a1", "a1"))
				}},
				{}, {}, {},
			},
			want: []string{"a2", "a3", "a1", "a2"},
		},
		{
			// Fewest calls: everyone takes one before anyone takes two.
			strategy: FewestCalls,
			steps:    []step{{}, {}, {}, {}},
			want:     []string{"a1", "a2", "a3", "a1"},
		},
		{
			// Least talk time: a2 talked least (10 s), so it gets the 4th.
			strategy: LeastTalkTime,
			steps:    []step{{talk: 60 * time.Second}, {talk: 10 * time.Second}, {talk: 30 * time.Second}, {}},
			want:     []string{"a1", "a2", "a3", "a2"},
		},
		{
			// Round robin: a1 refreshed its idle time (longest_idle would
			// now pick a2), but the rotation comes back to a1.
			strategy: RoundRobin,
			steps: []step{{}, {}, {}, {before: func(h *harness) {
				h.must(h.acd.NotReady(h.ctx, "a1", "a1", "break"))
				h.must(h.acd.Ready(h.ctx, "a1", "a1"))
			}}},
			want: []string{"a1", "a2", "a3", "a1"},
		},
		{
			// Skill level: highest level first while they are free.
			strategy: SkillLevel,
			steps: []step{{}, {before: func(h *harness) {
				h.must(h.acd.NotReady(h.ctx, "a2", "a2", "break"))
			}}, {before: func(h *harness) {
				h.must(h.acd.NotReady(h.ctx, "a3", "a3", "break"))
			}}},
			want: []string{"a2", "a3", "a1"},
		},
		{
			strategy: RingAll,
			steps:    []step{{}},
			want:     []string{"a1+a2+a3"},
		},
	}
	for _, tc := range cases {
		t.Run(string(tc.strategy), func(t *testing.T) {
			h := newHarness(t, Config{
				Groups: map[string]GroupConfig{"g": {Skills: map[string]int{"s": 1}, Strategy: tc.strategy}},
				Agents: []AgentConfig{
					ag("a1", map[string]int{"s": 3}, "ready"),
					ag("a2", map[string]int{"s": 9}, "ready"),
					ag("a3", map[string]int{"s": 5}, "ready"),
				},
			})
			var got []string
			for i, st := range tc.steps {
				if st.before != nil {
					st.before(h)
				}
				h.advance(time.Second)
				tk := h.enqueue(fmt.Sprintf("c%d", i), "g", 0)
				o := h.offer(tk)
				ids := agentIDs(o)
				got = append(got, joinPlus(ids))
				tk.Answered(o, ids[0])
				h.advance(st.talk)
				tk.Finish("caller")
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("%s picked %v; want %v", tc.strategy, got, tc.want)
			}
		})
	}
}

func joinPlus(s []string) string {
	out := ""
	for i, x := range s {
		if i > 0 {
			out += "+"
		}
		out += x
	}
	return out
}

// TestRingAllOneWinner: exactly one agent of a ring_all offer wins, the
// others are free again at once (and take the next call); a second answer
// for the same offer changes nothing.
func TestRingAllOneWinner(t *testing.T) {
	h := newHarness(t, Config{
		Groups: map[string]GroupConfig{"g": {Strategy: RingAll}},
		Agents: []AgentConfig{ag("a1", nil, "ready"), ag("a2", nil, "ready"), ag("a3", nil, "ready")},
	})
	c1 := h.enqueue("c1", "g", 0)
	o := h.offer(c1)
	if got := agentIDs(o); !slices.Equal(got, []string{"a1", "a2", "a3"}) {
		t.Fatalf("ring_all offer rings %v; want all three", got)
	}
	for _, id := range []string{"a1", "a2", "a3"} {
		if s := h.agentState(id); s.Activity != Reserved || s.CallID != "c1" {
			t.Fatalf("agent %s while ringing: %v for %q; want reserved for c1", id, s.Activity, s.CallID)
		}
	}
	c1.Answered(o, "a2")
	c1.Answered(o, "a3") // the losing phone reports late: ignored
	want := map[string]Activity{"a1": Idle, "a2": OnCall, "a3": Idle}
	for id, act := range want {
		if s := h.agentState(id); s.Activity != act {
			t.Errorf("agent %s after a2 won: %v; want %v", id, s.Activity, act)
		}
	}
	if got := c1.Exit(); got != Answered {
		t.Errorf("Exit = %v; want answered", got)
	}
	c2 := h.enqueue("c2", "g", 0)
	if got := agentIDs(h.offer(c2)); !slices.Equal(got, []string{"a1", "a3"}) {
		t.Errorf("next call rings %v; want the released a1, a3", got)
	}
	if n := len(h.rec.of("queue.connect")); n != 1 {
		t.Errorf("%d queue.connect events; want 1", n)
	}
}
