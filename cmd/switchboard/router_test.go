package main

import (
	"context"
	"errors"
	"testing"

	"github.com/switchboard-cc/switchboard/internal/clock"
	"github.com/switchboard-cc/switchboard/ivr"
	"github.com/switchboard-cc/switchboard/routing"
)

// Without a dialer serve refuses callbacks as closed (the flow takes
// on_fail) and the ACD never holds a place for one; queueing still works.
func TestNoCallbacksRefusesAsClosed(t *testing.T) {
	acd, err := routing.New(routing.Config{
		Skills: []string{"billing"},
		Groups: map[string]routing.GroupConfig{"billing": {Skills: map[string]int{"billing": 1}}},
		Agents: []routing.AgentConfig{{ID: "1001", Endpoint: "sip:1001@127.0.0.1", Skills: map[string]int{"billing": 5}, State: "ready"}},
	}, routing.Options{Clock: clock.NewVirtual(clock.Real{}.Now())})
	if err != nil {
		t.Fatal(err)
	}
	r := noCallbacks{acdRouter{acd}}
	ctx := context.Background()
	err = r.RequestCallback(ctx, routing.Request{CallID: "c1", Group: "billing"}, "13800138000")
	if !errors.Is(err, ivr.ErrQueueClosed) {
		t.Fatalf("RequestCallback: %v; want ErrQueueClosed", err)
	}
	if g, err := acd.Group("billing"); err != nil || g.Waiting != 0 {
		t.Errorf("billing after a refused callback: %+v, %v; want nobody waiting", g, err)
	}
	tk, err := r.Enqueue(ctx, routing.Request{CallID: "c2", Group: "billing"})
	if err != nil || tk == nil {
		t.Fatalf("Enqueue through noCallbacks: %v", err)
	}
	tk.Abandon()
}
