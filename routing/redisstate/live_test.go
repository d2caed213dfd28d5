package redisstate

import (
	"context"
	"slices"
	"testing"
	"time"
)

// A dead node's calls in progress are handed to the reaper as cut (once,
// and not the callers already recorded lost from its lines); calls it
// ended are not; a node that leaves cleanly cuts none.
func TestReapCutsTheDeadNodesLiveCalls(t *testing.T) {
	ctx := context.Background()
	c := newCluster(t, Options{DeadAfter: 300 * time.Millisecond, Lease: 30 * time.Second})
	a, b, d := c.node("a"), c.node("b"), c.node("d")
	for _, n := range []*Store{a, b, d} {
		must[Beat](t)(n.Heartbeat(ctx, nil))
	}
	for _, id := range []string{"talking", "in-flow", "waiting", "ended"} {
		if err := a.CallStarted(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.Enqueue(ctx, Waiting{CallID: "waiting", Group: "billing", EnqueuedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if err := a.CallsEnded(ctx, []string{"ended"}); err != nil {
		t.Fatal(err)
	}
	if err := d.CallStarted(ctx, "on-d"); err != nil {
		t.Fatal(err)
	}
	if live := must[[]string](t)(a.LiveCalls(ctx, "a")); len(live) != 3 {
		t.Fatalf("a's live calls %v; want 3", live)
	}
	// d leaves cleanly: nothing of it is cut.
	if r := must[Reaped](t)(d.Leave(ctx)); len(r.CutCalls) != 0 || !slices.Equal(r.Nodes, []string{"d"}) {
		t.Fatalf("clean leave reaped %+v; want node d, no call cut", r)
	}

	var r Reaped
	deadline := time.Now().Add(20 * time.Second)
	for r.Nodes == nil {
		must[Beat](t)(b.Heartbeat(ctx, nil))
		r = must[Reaped](t)(b.Reap(ctx))
		if time.Now().After(deadline) {
			t.Fatal("node a never reaped")
		}
		if r.Nodes == nil {
			time.Sleep(50 * time.Millisecond) // the reaper's own period, not synchronisation
		}
	}
	want := []LostCall{{Node: "a", CallID: "in-flow"}, {Node: "a", CallID: "talking"}}
	if !slices.Equal(r.CutCalls, want) {
		t.Errorf("cut calls %+v; want %+v", r.CutCalls, want)
	}
	if len(r.LostCalls) != 1 || r.LostCalls[0].CallID != "waiting" {
		t.Errorf("lost calls %+v; want the waiting one", r.LostCalls)
	}
	if live := must[[]string](t)(b.LiveCalls(ctx, "a")); len(live) != 0 {
		t.Errorf("a's live calls after the reap: %v; want none", live)
	}
	if again := must[Reaped](t)(b.Reap(ctx)); len(again.CutCalls) != 0 {
		t.Errorf("a second reap cut %+v again", again.CutCalls)
	}
}
