package main

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/internal/clock"
	"github.com/switchboard-cc/switchboard/ivr"
	"github.com/switchboard-cc/switchboard/routing"
	"github.com/switchboard-cc/switchboard/sip"
	"github.com/switchboard-cc/switchboard/sip/b2bua"
)

func callbackACD(t *testing.T, hook func(routing.CallbackDue)) *routing.ACD {
	t.Helper()
	acd, err := routing.New(routing.Config{
		Skills: []string{"billing"},
		Groups: map[string]routing.GroupConfig{"billing": {Skills: map[string]int{"billing": 1}}},
		Agents: []routing.AgentConfig{{ID: "1001", Endpoint: "sip:1001@127.0.0.1", Skills: map[string]int{"billing": 5}, State: "ready"}},
	}, routing.Options{Clock: clock.NewVirtual(time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)), Callbacks: hook})
	if err != nil {
		t.Fatal(err)
	}
	return acd
}

// With a trunk the engine's callback requests reach the ACD; without one
// they are refused as closed.
func TestCallbackDialingRouter(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	for _, tc := range []struct {
		name   string
		trunk  sip.TrunkConfig
		closed bool
	}{
		{"no trunk", sip.TrunkConfig{}, true},
		{"trunk", sip.TrunkConfig{URI: "sip:{number}@127.0.0.1:5070"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newCallbackDialing(tc.trunk, log)
			acd := callbackACD(t, nil)
			err := c.router(acd).RequestCallback(context.Background(), routing.Request{CallID: "c1", Group: "billing"}, "13800138000")
			if got := errors.Is(err, ivr.ErrQueueClosed); got != tc.closed {
				t.Errorf("RequestCallback: %v; want closed=%v", err, tc.closed)
			}
		})
	}
}

// A callback due with no dialer gives the reserved agent back at once.
func TestCallbackDueWithoutDialerReleasesAgent(t *testing.T) {
	c := newCallbackDialing(sip.TrunkConfig{}, slog.New(slog.DiscardHandler))
	acd := callbackACD(t, c.due)
	if err := acd.RequestCallback(context.Background(), routing.Request{CallID: "c1", Group: "billing"}, "13800138000"); err != nil {
		t.Fatal(err)
	}
	a, err := acd.Agent("1001")
	if err != nil || a.Activity != routing.Idle {
		t.Errorf("agent after a callback nobody can dial: %+v, %v; want idle", a, err)
	}
	if g, _ := acd.Group("billing"); g.Waiting != 0 {
		t.Errorf("%d still waiting; want the callback dropped", g.Waiting)
	}
}

// Transfers pass through to the rules when no callback is involved.
func TestCallbackDialingTransfersPassThrough(t *testing.T) {
	c := newCallbackDialing(sip.TrunkConfig{}, slog.New(slog.DiscardHandler))
	called := false
	f := c.transfers(func(context.Context, b2bua.TransferRequest) error { called = true; return nil })
	if err := f(context.Background(), b2bua.TransferRequest{CallID: "c1", Kind: b2bua.TransferQueue, Target: "billing"}); err != nil || !called {
		t.Errorf("transfer: %v, rules asked %v", err, called)
	}
}

// Toll fraud: an anonymous caller's From (or digits) chooses the callback
// number, so with a trunk the dial plan is checked when the caller asks:
// international numbers are refused by default, and the flow hears why.
func TestCallbackDialPlanRefusesWhenAsked(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	for _, tc := range []struct {
		trunk   sip.TrunkConfig
		number  string
		refused bool
	}{
		{sip.TrunkConfig{URI: "sip:{number}@127.0.0.1:5070"}, "+88213000999", true},
		{sip.TrunkConfig{URI: "sip:{number}@127.0.0.1:5070"}, "0090012345678", true},
		{sip.TrunkConfig{URI: "sip:{number}@127.0.0.1:5070"}, "13800138000", false},
		{sip.TrunkConfig{URI: "sip:{number}@127.0.0.1:5070", Allow: []string{"_+882."}}, "+88213000999", false},
	} {
		c := newCallbackDialing(tc.trunk, log)
		acd := callbackACD(t, nil)
		err := c.router(acd).RequestCallback(context.Background(), routing.Request{CallID: "c1", Group: "billing"}, tc.number)
		if got := errors.Is(err, ivr.ErrNumberRefused); got != tc.refused {
			t.Errorf("allow %v: RequestCallback(%s) = %v; want refused=%v", tc.trunk.Allow, tc.number, err, tc.refused)
		}
		if g, _ := acd.Group("billing"); tc.refused && g.Waiting != 0 {
			t.Errorf("a refused callback to %s waits in line", tc.number)
		}
	}
}
