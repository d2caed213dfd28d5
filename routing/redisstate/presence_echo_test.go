package redisstate

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/routing"
)

// TestAppliedPresenceIsNotEchoedStale: a node applying another node's
// "ready" to a logged-out agent logs them in first (not_ready:login), then
// makes them ready. Its writer, woken by that first step, must not publish
// the passing not_ready back over the shared "ready": every node would
// then settle on not_ready (seen as TestServeClusterSharesAgents failing
// under load, node b "not_ready" for 15 s). The writer runs here exactly
// in that window, from the ACD's change callback.
func TestAppliedPresenceIsNotEchoedStale(t *testing.T) {
	c := newCluster(t, Options{DeadAfter: 2 * time.Second, Lease: 5 * time.Second})
	cfg := clusterConfig(1)
	cfg.Agents[0].State = "logged_out"
	id := cfg.Agents[0].ID
	b := startNode(t, c, "b", cfg, nil)
	t.Cleanup(func() { b.cluster.Close(context.Background()) })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	var once sync.Once
	unsubscribe := b.acd.Subscribe(func(ch routing.Change) {
		s, err := b.acd.Agent(id)
		if err != nil || s.Presence != routing.NotReady {
			return
		}
		once.Do(func() { b.cluster.publishPresence(ctx, id) })
	})
	defer unsubscribe()

	a := c.node("a")
	if _, err := a.SetPresence(ctx, id, "ready"); err != nil { // agent made ready on node a
		t.Fatal(err)
	}
	settled := func() (local, shared string) {
		s, err := b.acd.Agent(id)
		if err != nil {
			t.Fatal(err)
		}
		p, err := a.Presences(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return presenceOf(s), p[id]
	}
	waitFor(t, ctx, "node b to apply the shared presence", func() bool {
		local, _ := settled()
		return local != "logged_out"
	})
	// Let node b's writer run what it queued, then look again.
	done := make(chan struct{})
	b.cluster.enqueue(func(context.Context) { close(done) })
	<-done
	if local, shared := settled(); local != "ready" || shared != "ready" {
		t.Errorf("agent %s: node b %q, shared %q; want ready on both (set on node a)", id, local, shared)
	}
}
