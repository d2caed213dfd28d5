package kamailio

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/routing"
)

// The device gate fed by Kamailio's location table: an agent with no phone
// registered at Kamailio is parked not_ready(phone_unavailable) and offered
// no call; registering makes the agent ready (and the waiting call is
// offered), un-registering and expiry park the agent again; while
// Kamailio's RPC is down nobody is parked.
func TestWatchGatesAgentsByKamailioRegistrations(t *testing.T) {
	k := kamailioForTest(t)
	loc, err := NewLocation(k.RPCURL(), 0)
	if err != nil {
		t.Fatal(err)
	}
	acd, err := routing.New(routing.Config{
		Groups: map[string]routing.GroupConfig{"g": {}},
		Agents: []routing.AgentConfig{
			{ID: "1001", Endpoint: "sip:1001@kamailio", State: "ready"},
			{ID: "1002", Endpoint: "sip:1002@kamailio", State: "ready"},
		},
		NotReadyReasons: []string{routing.ReasonPhoneUnavailable},
	}, routing.Options{})
	if err != nil {
		t.Fatal(err)
	}
	gate := routing.NewSharedDeviceGate(acd, nil)
	var logged bytes.Buffer
	w := &Watch{Location: loc, OnAvailability: gate.Changed, Log: slog.New(slog.NewTextHandler(&logged, nil)), Agents: func() []string {
		var ids []string
		for _, a := range acd.Agents() {
			ids = append(ids, a.ID)
		}
		return ids
	}}
	ctx := context.Background()
	state := func(id string) string {
		a, err := acd.Agent(id)
		if err != nil {
			t.Fatal(err)
		}
		if a.Reason != "" {
			return a.Presence.String() + "(" + a.Reason + ")"
		}
		return a.Presence.String()
	}
	parked := routing.NotReady.String() + "(" + routing.ReasonPhoneUnavailable + ")"
	poll := func(want1001, want1002 string) {
		t.Helper()
		if !w.Once(ctx) {
			t.Fatal("Kamailio's RPC not read")
		}
		if s1, s2 := state("1001"), state("1002"); s1 != want1001 || s2 != want1002 {
			t.Fatalf("agents 1001 %s, 1002 %s; want %s, %s", s1, s2, want1001, want1002)
		}
	}

	p := newPhone(t, k)
	p.register("1002", 300)
	ready := routing.Ready.String()
	poll(parked, ready) // 1001 has no phone at Kamailio

	// A call for 1001 alone (1002 busy elsewhere) waits, unoffered.
	if err := acd.NotReady(ctx, "1002", "1002", routing.ReasonPhoneUnavailable); err != nil {
		t.Fatal(err)
	}
	tk, err := acd.Enqueue(ctx, routing.Request{CallID: "c1", Group: "g", Skills: map[string]int{}})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case o := <-tk.Offers():
		t.Fatalf("offered %v with no phone registered", o.Agents)
	default:
	}
	p.register("1001", 300)
	w.Once(ctx)
	select {
	case o := <-tk.Offers():
		if len(o.Agents) != 1 || o.Agents[0].AgentID != "1001" {
			t.Fatalf("offer %+v; want 1001", o.Agents)
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("1001 registered (%s): no offer", state("1001"))
	}
	tk.Abandon()
	poll(ready, ready) // 1002: parked by "another node", back through the shared gate

	// 1001 refreshes for one second only, then stops: parked once it
	// expires.
	p.register("1001", 1)
	eventually(t, "1001 not parked after its registration expired", func() bool {
		w.Once(ctx)
		return state("1001") == parked
	})
	p.register("1001", 300)
	poll(ready, ready)
	p.register("1002", 0)
	poll(ready, parked)

	// Kamailio's RPC down: everyone stays as last known.
	k.Stop()
	for range 2 {
		if w.Once(ctx) {
			t.Fatal("poll succeeded with Kamailio stopped")
		}
	}
	if n := strings.Count(logged.String(), "registrar rpc unreachable"); n != 1 {
		t.Errorf("outage logged %d times over two failed polls; want once:\n%s", n, logged.String())
	}
	if s1, s2 := state("1001"), state("1002"); s1 != ready || s2 != parked {
		t.Fatalf("with Kamailio down: 1001 %s, 1002 %s; want kept %s, %s", s1, s2, ready, parked)
	}
}
