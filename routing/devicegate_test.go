package routing

import "testing"

// TestDeviceGate: a ready agent whose phone goes away is parked
// not_ready(phone_unavailable) and made ready when it comes back; an agent
// not ready for another reason, or whose state someone changed meanwhile,
// is left alone.
func TestDeviceGate(t *testing.T) {
	type step struct {
		available bool
		by        func(h *harness) // a change by someone else before the phone event; nil: none
	}
	cases := []struct {
		name     string
		start    string
		steps    []step
		presence Presence
		reason   string
	}{
		{"ready agent parked", "ready", []step{{available: false}}, NotReady, ReasonPhoneUnavailable},
		{"parked agent back", "ready", []step{{available: false}, {available: true}}, Ready, ""},
		{"not ready stays", "not_ready", []step{{available: false}, {available: true}}, NotReady, "login"},
		{"agent chose a break meanwhile", "ready", []step{
			{available: false},
			{available: true, by: func(h *harness) { h.must(h.acd.NotReady(h.ctx, "a1", "a1", "break")) }},
		}, NotReady, "break"},
		{"phone back twice", "ready", []step{{available: false}, {available: true}, {available: true}}, Ready, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, Config{
				Groups:          map[string]GroupConfig{"g": {}},
				Agents:          []AgentConfig{ag("a1", nil, tc.start)},
				NotReadyReasons: []string{"break", ReasonPhoneUnavailable},
			})
			gate := NewDeviceGate(h.acd, nil)
			for _, s := range tc.steps {
				if s.by != nil {
					s.by(h)
				}
				gate.Changed("a1", s.available, "test")
			}
			gate.Changed("nobody", false, "test") // not in the roster: ignored
			got := h.agentState("a1")
			if got.Presence != tc.presence || got.Reason != tc.reason {
				t.Errorf("agent is %s(%s); want %s(%s)", got.Presence, got.Reason, tc.presence, tc.reason)
			}
		})
	}
}

// TestSharedDeviceGate: in a cluster, a gate brings back an agent another
// node's gate parked (the presence arrived from the cluster), but not an
// agent not ready for a reason of their own.
func TestSharedDeviceGate(t *testing.T) {
	for _, tc := range []struct {
		reason string
		want   Presence
	}{
		{ReasonPhoneUnavailable, Ready},
		{"break", NotReady},
	} {
		h := newHarness(t, Config{
			Groups:          map[string]GroupConfig{"g": {}},
			Agents:          []AgentConfig{ag("a1", nil, "ready")},
			NotReadyReasons: []string{"break", ReasonPhoneUnavailable},
		})
		h.must(h.acd.NotReady(h.ctx, "a1", "cluster", tc.reason)) // parked by another node
		NewDeviceGate(h.acd, nil).Changed("a1", true, "registered")
		if got := h.agentState("a1"); got.Presence != NotReady {
			t.Errorf("%s: a node's own gate made the agent %s; want it left alone", tc.reason, got.Presence)
		}
		NewSharedDeviceGate(h.acd, nil).Changed("a1", true, "registered")
		if got := h.agentState("a1"); got.Presence != tc.want {
			t.Errorf("%s: shared gate left the agent %s(%s); want %s", tc.reason, got.Presence, got.Reason, tc.want)
		}
	}
}

func TestCheckTransfer(t *testing.T) {
	h := newHarness(t, Config{Groups: map[string]GroupConfig{"billing": {}, "outage": {}}})
	cases := []struct {
		to AgentTransfer
		ok bool
	}{
		{AgentTransfer{Group: "outage"}, true},
		{AgentTransfer{Group: "sales"}, false},
		{AgentTransfer{Number: "+861012345678"}, true},
		{AgentTransfer{}, false},
		{AgentTransfer{Group: "outage", Number: "100"}, false},
	}
	for _, tc := range cases {
		tc.to.CallID = "c1"
		if err := h.acd.CheckTransfer(tc.to); (err == nil) != tc.ok {
			t.Errorf("%+v: err %v; want ok=%v", tc.to, err, tc.ok)
		}
	}
}
