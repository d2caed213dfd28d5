package redisstate

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/events"
	"github.com/switchboard-cc/switchboard/routing"
)

// A call stays among its node's live calls until the event log has
// acknowledged its call.end; when the node dies, the node that reaps it
// ends (call.end by system, reason node_lost) every call it still had:
// the one in progress and the one whose call.end was never acknowledged,
// not the one acknowledged.
func TestClusterEndsCallsOfADeadNode(t *testing.T) {
	c := newCluster(t, Options{DeadAfter: 400 * time.Millisecond, Lease: 5 * time.Second})
	cfg := clusterConfig(1)
	called, release := make(chan struct{}, 8), make(chan struct{})
	start := func(name string, acked func(context.Context) error) *testNode {
		n := &testNode{name: name, rec: &recorder{}}
		n.cluster = NewCluster(c.node(name), nil)
		n.cluster.AckedBy(acked)
		sink := n.cluster.Sink(n.rec)
		acd, err := routing.New(cfg, routing.Options{Claims: n.cluster, Events: sink})
		if err != nil {
			t.Fatal(err)
		}
		if err := n.cluster.Start(context.Background(), acd); err != nil {
			t.Fatal(err)
		}
		n.acd = acd
		return n
	}
	a := start("a", func(ctx context.Context) error { // the log acknowledges when told to
		called <- struct{}{}
		select {
		case <-release:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	})
	b := start("b", nil)
	defer b.cluster.Close(context.Background())
	ctx := context.Background()
	sink := a.cluster.Sink(a.rec)
	emit := func(id string, typ events.Type) {
		sink.Emit(ctx, events.Event{Time: time.Now(), CallID: id, Type: typ})
	}
	live := func() []string {
		ids := must[[]string](t)(b.cluster.store.LiveCalls(ctx, "a"))
		slices.Sort(ids)
		return ids
	}
	wait := func(what string, ok func() bool) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for !ok() {
			if time.Now().After(deadline) {
				t.Fatalf("after 20s: %s", what)
			}
			time.Sleep(10 * time.Millisecond) // polling Redis
		}
	}

	emit("acked", events.CallStart)
	if got := live(); !slices.Equal(got, []string{"acked"}) {
		t.Fatalf("live calls after call.start: %v; want it there at once", got)
	}
	emit("acked", events.CallEnd)
	<-called // waiting for the log
	if got := live(); !slices.Equal(got, []string{"acked"}) {
		t.Fatalf("live calls before the call.end is acknowledged: %v; want the call still there", got)
	}
	release <- struct{}{}
	wait("the acknowledged call leaves the live calls", func() bool { return len(live()) == 0 })

	emit("talking", events.CallStart)
	emit("unacked", events.CallStart)
	emit("unacked", events.CallEnd)
	<-called
	a.kill()

	ends := func() map[string]string {
		b.rec.mu.Lock()
		defer b.rec.mu.Unlock()
		out := map[string]string{}
		for _, e := range b.rec.evs {
			if e.Type == events.CallEnd {
				out[e.CallID] = e.Data["by"] + "/" + e.Data["reason"] + "/" + e.Data["node"]
			}
		}
		return out
	}
	wait("node b ends node a's calls", func() bool { return len(ends()) >= 2 })
	want := map[string]string{"talking": "system/node_lost/a", "unacked": "system/node_lost/a"}
	if got := ends(); len(got) != 2 || got["talking"] != want["talking"] || got["unacked"] != want["unacked"] {
		t.Fatalf("call.end from the reaper: %v; want %v", got, want)
	}
}
