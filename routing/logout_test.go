package routing

import (
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/events"
)

// TestLogoutWhileRinging: a logout (the agent's own, or a supervisor's
// forced one) while the agent's phone rings withdraws the offer at once:
// the transport is told to stop ringing, the call goes back to the head of
// the line with its place, the next agent gets it at once, and the logout
// is recorded when it was asked — not when the ring would have timed out.
func TestLogoutWhileRinging(t *testing.T) {
	for _, tc := range []struct {
		name, by string
		strategy Strategy
	}{
		{"own logout", "a1", LongestIdle},
		{"forced by a supervisor", "supervisor:mei", LongestIdle},
		{"ring_all, forced", "supervisor:mei", RingAll},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, Config{
				Groups: map[string]GroupConfig{"g": {Strategy: tc.strategy, RingTimeout: Duration(28 * time.Second)}},
				Agents: []AgentConfig{ag("a1", nil, "ready"), ag("a2", nil, "not_ready")},
			})
			c1 := h.enqueue("c1", "g", 0)
			h.advance(time.Second)
			c2 := h.enqueue("c2", "g", 0) // behind c1
			first := h.offer(c1)
			if got := agentIDs(first); len(got) != 1 || got[0] != "a1" {
				t.Fatalf("first offer to %v; want a1", got)
			}
			h.advance(3 * time.Second)
			h.must(h.acd.Logout(h.ctx, "a1", tc.by, "end_of_shift"))

			select {
			case <-first.Withdrawn():
			default:
				t.Fatal("offer not withdrawn at the logout: the transport would ring on for the whole ring timeout")
			}
			if s := h.agentState("a1"); s.Presence != LoggedOut || s.LogoutPending || s.Activity != Idle {
				t.Errorf("a1 after logout while ringing: %v/%v pending %v; want logged_out/idle at once", s.Presence, s.Activity, s.LogoutPending)
			}
			st := h.rec.of(events.AgentState)
			last := st[len(st)-1]
			if last.Agent != "a1" || last.Data["state"] != "logout" || last.Data["by"] != tc.by || !last.Time.Equal(t0.Add(4*time.Second).UTC()) {
				t.Errorf("last agent.state %+v; want a1 logout by %s at +4s", last, tc.by)
			}
			if n := len(h.rec.of(events.AgentNoAnswer)); n != 0 {
				t.Errorf("%d agent.noanswer events; a logout is not a missed call", n)
			}
			// c1 is still first in line: the next agent gets c1, not c2.
			h.must(h.acd.Ready(h.ctx, "a2", "a2"))
			o := h.offer(c1)
			if got := agentIDs(o); len(got) != 1 || got[0] != "a2" {
				t.Fatalf("second offer of c1 to %v; want a2", got)
			}
			h.noOffer(c2)
			if !c1.EnqueuedAt().Equal(t0) {
				t.Errorf("c1's place %v; want its enqueue time %v", c1.EnqueuedAt(), t0)
			}
			// A report on the withdrawn offer is ignored.
			c1.Missed(first, map[string]string{"a1": "timeout"})
			c1.Answered(o, "a2")
			if c1.Exit() != Answered {
				t.Errorf("c1 exit %v; want answered by a2", c1.Exit())
			}
		})
	}
}

// TestLogoutWhileRingingOffersNextAtOnce: with another agent free the call
// is offered to them in the same instant.
func TestLogoutWhileRingingOffersNextAtOnce(t *testing.T) {
	h := newHarness(t, Config{
		Groups: map[string]GroupConfig{"g": {RingTimeout: Duration(28 * time.Second)}},
		Agents: []AgentConfig{ag("a1", nil, "ready")},
	})
	c1 := h.enqueue("c1", "g", 0)
	first := h.offer(c1)
	h.must(h.acd.AddAgent(h.ctx, ag("a2", nil, "ready"), "config")) // busy line: a2 free now
	h.must(h.acd.Logout(h.ctx, "a1", "a1", "end_of_shift"))
	o := h.offer(c1)
	if got := agentIDs(o); len(got) != 1 || got[0] != "a2" || o.ID == first.ID {
		t.Fatalf("offer after the logout: %s to %v; want a new offer to a2", o.ID, got)
	}
}

// TestLogoutWhileRingingLastAgent: when the agent ringing was the last one
// logged in who could take the call, the call leaves with Closed.
func TestLogoutWhileRingingLastAgent(t *testing.T) {
	h := newHarness(t, Config{
		Groups: map[string]GroupConfig{"g": {}},
		Agents: []AgentConfig{ag("a1", nil, "ready")},
	})
	c1 := h.enqueue("c1", "g", 0)
	h.offer(c1)
	h.must(h.acd.Logout(h.ctx, "a1", "a1", "end_of_shift"))
	if !exited(c1) || c1.Exit() != Closed {
		t.Errorf("c1 exit %v; want closed (nobody left to take it)", c1.Exit())
	}
}
