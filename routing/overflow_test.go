package routing

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/events"
)

// TestNodeOverflowWidensSkills: the queue node's own steps widen the
// call's extra skills over time — english 3 for two minutes, then any
// level — keeping its place; each step is a queue.overflow event.
func TestNodeOverflowWidensSkills(t *testing.T) {
	h := newHarness(t, Config{
		Groups: map[string]GroupConfig{"support": {}},
		Agents: []AgentConfig{ag("e1", map[string]int{"english": 1}, "ready"), ag("e3", map[string]int{"english": 3}, "not_ready")},
	})
	req := Request{CallID: "c1", Group: "support", Skills: map[string]int{"english": 3},
		Overflow: []SkillStep{{After: 60 * time.Second, Skills: map[string]int{"english": 2}}, {After: 120 * time.Second, Skills: map[string]int{"english": 0}}}}
	tk, err := h.acd.Enqueue(h.ctx, req)
	if err != nil {
		t.Fatalf("Enqueue: %v", err)
	}
	h.noOffer(tk)
	h.advance(119 * time.Second)
	h.noOffer(tk) // english 2 after 60 s: e1 still short
	h.advance(time.Second)
	if got := agentIDs(h.offer(tk)); !slices.Equal(got, []string{"e1"}) {
		t.Fatalf("offer at 120 s to %v; want e1", got)
	}
	var steps []string
	for _, e := range h.rec.of(events.QueueOverflow) {
		steps = append(steps, e.Data["step"]+" "+e.Data["to"]+" "+e.Data["by"]+" "+e.Time.Sub(t0.UTC()).String())
	}
	if want := []string{"1 skills:english:2 node 1m0s", "2 skills:any node 2m0s"}; !slices.Equal(steps, want) {
		t.Errorf("overflow events %q; want %q", steps, want)
	}
	if req.Skills["english"] != 3 {
		t.Errorf("the request's skills were changed: %v", req.Skills)
	}
}

// TestNodeAndGroupOverflow: the group's steps and the node's own steps
// both apply; the call's requirement is the two merged.
func TestNodeAndGroupOverflow(t *testing.T) {
	h := newHarness(t, Config{
		Groups: map[string]GroupConfig{"billing": {Skills: map[string]int{"billing": 5},
			Overflow: []OverflowStep{{After: Duration(30 * time.Second), Skills: map[string]int{"billing": 1}}}}},
		Agents: []AgentConfig{ag("a", map[string]int{"billing": 2, "english": 2}, "ready")},
	})
	tk, err := h.acd.Enqueue(h.ctx, Request{CallID: "c1", Group: "billing", Skills: map[string]int{"english": 4},
		Overflow: []SkillStep{{After: 90 * time.Second, Skills: map[string]int{"english": 2}}}})
	if err != nil {
		t.Fatalf("Enqueue: %v", err)
	}
	h.advance(89 * time.Second)
	h.noOffer(tk) // billing 1 since 30 s, but english still 4
	h.advance(time.Second)
	if got := agentIDs(h.offer(tk)); !slices.Equal(got, []string{"a"}) {
		t.Fatalf("offer at 90 s to %v; want a", got)
	}
}

// TestLaterStepsKeepTheQueueOpen: "nobody who could take the call" counts
// the agents a later overflow step (the group's or the node's) would
// admit; it is refused only when no step would admit anyone logged in, and
// leaves with Closed when the last such agent logs out.
func TestLaterStepsKeepTheQueueOpen(t *testing.T) {
	english3 := GroupConfig{Skills: map[string]int{"english": 3}}
	widening := GroupConfig{Skills: map[string]int{"english": 3}, Overflow: []OverflowStep{{After: Duration(120 * time.Second), Skills: map[string]int{"english": 1}}}}
	toOperators := GroupConfig{Skills: map[string]int{"english": 3}, Overflow: []OverflowStep{{After: Duration(120 * time.Second), Groups: []string{"operator"}}}}
	nodeSteps := []SkillStep{{After: 120 * time.Second, Skills: map[string]int{"english": 1}}}
	for _, tc := range []struct {
		name     string
		group    GroupConfig
		skills   map[string]int
		steps    []SkillStep
		agents   []AgentConfig
		admitted bool
	}{
		{"group step widens to the level-2 agent", widening, nil, nil,
			[]AgentConfig{ag("e2", map[string]int{"english": 2}, "ready")}, true},
		{"node step widens to the level-2 agent", GroupConfig{}, map[string]int{"english": 3}, nodeSteps,
			[]AgentConfig{ag("e2", map[string]int{"english": 2}, "ready")}, true},
		{"an overflow group has an agent logged in", toOperators, nil, nil,
			[]AgentConfig{ag("op", map[string]int{"operator": 1}, "not_ready")}, true},
		{"no step would admit anyone", english3, nil, nil,
			[]AgentConfig{ag("e2", map[string]int{"english": 2}, "ready")}, false},
		{"the step still asks more than anyone has", GroupConfig{}, map[string]int{"english": 3}, []SkillStep{{After: time.Minute, Skills: map[string]int{"english": 2}}},
			[]AgentConfig{ag("e1", map[string]int{"english": 1}, "ready")}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, Config{
				Groups: map[string]GroupConfig{"english": tc.group, "operator": {Skills: map[string]int{"operator": 1}}},
				Agents: tc.agents,
			})
			tk, err := h.acd.Enqueue(h.ctx, Request{CallID: "c1", Group: "english", Skills: tc.skills, Overflow: tc.steps})
			if !tc.admitted {
				if !errors.Is(err, ErrClosed) {
					t.Fatalf("Enqueue: %v; want ErrClosed", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Enqueue: %v; want the call to wait for its overflow step", err)
			}
			h.noOffer(tk)
			// The agent a later step needs logs out: the call leaves.
			h.must(h.acd.Logout(h.ctx, tc.agents[0].ID, "sup", "shift"))
			if !exited(tk) || tk.Exit() != Closed {
				t.Errorf("after the last agent a step would admit logged out: exit %v; want closed", tk.Exit())
			}
		})
	}
}

// TestRequestStepsChecked: a request's own steps must be in order and only
// lower skills it requires.
func TestRequestStepsChecked(t *testing.T) {
	h := newHarness(t, Config{Groups: map[string]GroupConfig{"g": {}}, Agents: []AgentConfig{ag("a", nil, "ready")}})
	sk := map[string]int{"english": 3}
	for _, tc := range []struct {
		steps []SkillStep
		want  string
	}{
		{[]SkillStep{{After: time.Minute, Skills: map[string]int{"english": 1}}, {After: time.Minute, Skills: map[string]int{"english": 0}}}, "must be later"},
		{[]SkillStep{{After: time.Minute, Skills: map[string]int{"french": 1}}}, "not required"},
		{[]SkillStep{{After: time.Minute, Skills: map[string]int{"english": 4}}}, "not between 0 and the current 3"},
		{[]SkillStep{{After: time.Minute}}, "no skills"},
	} {
		_, err := h.acd.Enqueue(h.ctx, Request{CallID: "c", Group: "g", Skills: sk, Overflow: tc.steps})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("steps %v: %v; want an error with %q", tc.steps, err, tc.want)
		}
	}
}
