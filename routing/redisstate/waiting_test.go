package redisstate

import (
	"context"
	"slices"
	"testing"
	"time"
)

// A group's line across nodes is ordered by priority, then place; a
// callback keeps its caller's earlier place.
func TestLineOrder(t *testing.T) {
	ctx := context.Background()
	c := newCluster(t, Options{})
	a, b := c.node("a"), c.node("b")
	t0 := time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
	for _, w := range []struct {
		s *Store
		w Waiting
	}{
		{a, Waiting{CallID: "late", Group: "billing", EnqueuedAt: t0.Add(30 * time.Second)}},
		{b, Waiting{CallID: "early", Group: "billing", EnqueuedAt: t0.Add(10 * time.Second)}},
		{a, Waiting{CallID: "vip", Group: "billing", Priority: 5, EnqueuedAt: t0.Add(40 * time.Second)}},
		{b, Waiting{CallID: "cb", Group: "billing", EnqueuedAt: t0, Callback: true, Number: "+8611"}},
		{b, Waiting{CallID: "low", Group: "billing", Priority: -1, EnqueuedAt: t0}},
		{a, Waiting{CallID: "other", Group: "repair", EnqueuedAt: t0}},
	} {
		if err := w.s.Enqueue(ctx, w.w); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{"vip", "cb", "early", "late", "low"}
	if got := must[[]string](t)(a.Line(ctx, "billing")); !slices.Equal(got, want) {
		t.Fatalf("line %v; want %v", got, want)
	}
	pos, total, err := b.Position(ctx, "billing", "late")
	if err != nil || pos != 4 || total != 5 {
		t.Fatalf("position of late = %d/%d, %v; want 4/5", pos, total, err)
	}
	if left := must[bool](t)(a.LeaveLine(ctx, "early")); !left {
		t.Fatal("early was not in line")
	}
	if left := must[bool](t)(a.LeaveLine(ctx, "early")); left {
		t.Fatal("early left twice")
	}
	if pos, _, _ := b.Position(ctx, "billing", "late"); pos != 3 {
		t.Fatalf("position of late after early left = %d; want 3", pos)
	}
	if pos, total, err := b.Position(ctx, "billing", "gone"); pos != 0 || err != nil {
		t.Fatalf("position of a call not in line = %d/%d, %v", pos, total, err)
	}
}

// When a node dies, its waiting callbacks keep their place and a live node
// adopts them; its callers on the line (gone with the node) are recorded
// as lost, so every call is accounted for.
func TestDeadNodesCallsAccountedFor(t *testing.T) {
	ctx := context.Background()
	c := newCluster(t, Options{DeadAfter: 300 * time.Millisecond, Lease: time.Minute})
	a, b := c.node("a"), c.node("b")
	t0 := time.Now().Add(-time.Minute)
	must[Beat](t)(a.Heartbeat(ctx, nil))
	for _, w := range []Waiting{
		{CallID: "cb1", Group: "billing", EnqueuedAt: t0, Callback: true, Number: "+8611"},
		{CallID: "live1", Group: "billing", EnqueuedAt: t0.Add(time.Second)},
		{CallID: "cb2", Group: "repair", Priority: 2, EnqueuedAt: t0.Add(2 * time.Second), Callback: true, Number: "+8622"},
	} {
		if err := a.Enqueue(ctx, w); err != nil {
			t.Fatal(err)
		}
	}
	must[Beat](t)(b.Heartbeat(ctx, nil))
	if err := b.Enqueue(ctx, Waiting{CallID: "live2", Group: "billing", EnqueuedAt: t0.Add(500 * time.Millisecond)}); err != nil {
		t.Fatal(err)
	}
	r := reapUntilDead(t, b)
	slices.Sort(r.Orphaned)
	if !slices.Equal(r.Nodes, []string{"a"}) || !slices.Equal(r.Orphaned, []string{"cb1", "cb2"}) ||
		!slices.Equal(r.LostCalls, []LostCall{{Node: "a", CallID: "live1", Group: "billing"}}) {
		t.Fatalf("reaped %+v", r)
	}
	if got := must[[]string](t)(b.Line(ctx, "billing")); !slices.Equal(got, []string{"cb1", "live2"}) {
		t.Fatalf("billing line after a died: %v; want cb1 (its place kept), live2", got)
	}
	adopted := must[[]Waiting](t)(b.Adopt(ctx, 10))
	want := []Waiting{
		{CallID: "cb2", Group: "repair", Priority: 2, EnqueuedAt: time.UnixMilli(t0.Add(2 * time.Second).UnixMilli()), Callback: true, Number: "+8622", Node: "b"},
		{CallID: "cb1", Group: "billing", EnqueuedAt: time.UnixMilli(t0.UnixMilli()), Callback: true, Number: "+8611", Node: "b"},
	}
	if !slices.EqualFunc(adopted, want, func(x, y Waiting) bool { return x == y }) {
		t.Fatalf("adopted %+v\nwant %+v", adopted, want)
	}
	if again := must[[]Waiting](t)(b.Adopt(ctx, 10)); len(again) != 0 {
		t.Fatalf("adopted twice: %+v", again)
	}
	if lost := must[[]LostCall](t)(b.LostCalls(ctx)); len(lost) != 1 || lost[0].CallID != "live1" {
		t.Fatalf("lost calls record %+v", lost)
	}
	// b dies too: the callbacks it adopted go up for adoption again.
	c2 := c.node("c")
	r = reapUntilDead(t, c2)
	slices.Sort(r.Orphaned)
	if !slices.Equal(r.Orphaned, []string{"cb1", "cb2"}) {
		t.Fatalf("after b died: %+v", r)
	}
}

// reapUntilDead beats and reaps as live's reaper does until a node is
// declared dead, and returns that reap.
func reapUntilDead(t *testing.T, live *Store) Reaped {
	t.Helper()
	ctx := context.Background()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); {
		must[Beat](t)(live.Heartbeat(ctx, nil))
		if r := must[Reaped](t)(live.Reap(ctx)); r.Nodes != nil {
			return r
		}
		time.Sleep(50 * time.Millisecond) // the reaper's period
	}
	t.Fatal("no node declared dead in 20 s")
	return Reaped{}
}

// The record of lost callers is bounded (newest kept), while every lost
// caller is still handed to the reaper, which logs each one.
func TestLostCallsRecordIsBounded(t *testing.T) {
	ctx := context.Background()
	c := newCluster(t, Options{DeadAfter: 300 * time.Millisecond, Lease: time.Minute, LostKept: 2})
	t0 := time.Now().Add(-time.Minute)
	a := c.node("a")
	must[Beat](t)(a.Heartbeat(ctx, nil))
	for i, id := range []string{"a1", "a2", "a3"} {
		if err := a.Enqueue(ctx, Waiting{CallID: id, Group: "billing", EnqueuedAt: t0.Add(time.Duration(i) * time.Second)}); err != nil {
			t.Fatal(err)
		}
	}
	b := c.node("b")
	must[Beat](t)(b.Heartbeat(ctx, nil))
	if r := reapUntilDead(t, b); len(r.LostCalls) != 3 {
		t.Fatalf("reaped %d lost callers; want all 3 for the log", len(r.LostCalls))
	}
	if err := b.Enqueue(ctx, Waiting{CallID: "b1", Group: "billing", EnqueuedAt: t0}); err != nil {
		t.Fatal(err)
	}
	if r := reapUntilDead(t, c.node("c")); len(r.LostCalls) != 1 {
		t.Fatalf("reaped %+v; want b1 lost", r.LostCalls)
	}
	lost := must[[]LostCall](t)(b.LostCalls(ctx))
	if len(lost) != 2 || lost[1].CallID != "b1" {
		t.Fatalf("lost calls record %+v; want 2, the newest b1", lost)
	}
}
