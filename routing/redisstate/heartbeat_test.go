package redisstate

import (
	"context"
	"slices"
	"testing"
	"time"
)

// A node that stops beating (killed) has its reservations released by a
// live node's reaper within DeadAfter plus a reap interval, after which
// the agents can be reserved again; the dead node learns it was reaped.
func TestDeadNodeReleasedInBoundedTime(t *testing.T) {
	ctx := context.Background()
	const deadAfter, reapEvery = 600 * time.Millisecond, 100 * time.Millisecond
	c := newCluster(t, Options{DeadAfter: deadAfter, Lease: 30 * time.Second})
	a, b := c.node("a"), c.node("b")
	for _, id := range []string{"1001", "1002", "1003"} {
		must[bool](t)(a.SetPresence(ctx, id, "ready"))
	}
	held := map[string]string{"1001": "ca1", "1002": "ca2"}
	must[Beat](t)(a.Heartbeat(ctx, nil))
	for agent, call := range held {
		if got := must[Outcome](t)(a.Reserve(ctx, agent, call)); got != Reserved {
			t.Fatalf("reserve %s: %s", agent, got)
		}
	}
	must[Beat](t)(a.Heartbeat(ctx, held)) // a's last sign of life
	lastBeat := time.Now()
	notices := must[<-chan Notice](t)(b.Subscribe(ctxT(t)))

	var reaped Reaped
	for reaped.Nodes == nil {
		must[Beat](t)(b.Heartbeat(ctx, nil))
		reaped = must[Reaped](t)(b.Reap(ctx))
		if time.Since(lastBeat) > 20*time.Second {
			t.Fatal("node a never reaped")
		}
		if reaped.Nodes == nil {
			time.Sleep(reapEvery) // the reaper's own period, not synchronisation
		}
	}
	took := time.Since(lastBeat)
	slices.Sort(reaped.Freed)
	if !slices.Equal(reaped.Nodes, []string{"a"}) || !slices.Equal(reaped.Freed, []string{"1001", "1002"}) {
		t.Fatalf("reaped %+v; want node a, agents 1001 and 1002", reaped)
	}
	if took < deadAfter {
		t.Fatalf("reaped after %v, before dead_after %v", took, deadAfter)
	}
	if bound := deadAfter + reapEvery + time.Second; took > bound {
		t.Fatalf("released after %v; want within %v", took, bound)
	}
	waitNotice(t, notices, Notice{Kind: "free", Agent: "1001"})
	if got := must[Outcome](t)(a.Reserve(ctx, "1003", "ca3")); got != NodeIsDead {
		t.Fatalf("the reaped node reserved: %s", got)
	}
	if got := must[Outcome](t)(b.Reserve(ctx, "1001", "cb1")); got != Reserved {
		t.Fatalf("a freed agent: %s", got)
	}
	// Node a was only paused: its next beat learns it was reaped, and that
	// 1001 is now another call's (1002, still free, is taken back).
	beat := must[Beat](t)(a.Heartbeat(ctx, held))
	if !beat.WasDead || !slices.Equal(beat.Conflicts, []string{"1001"}) {
		t.Fatalf("beat after reap = %+v; want WasDead, conflict on 1001", beat)
	}
	if h := must[[2]string](t)(holder(ctx, b, "1002")); h != [2]string{"a", "ca2"} {
		t.Fatalf("1002 held by %v; want a/ca2 taken back", h)
	}
}

// A heartbeat releases the reservations the node no longer holds (a
// Release lost on the way), and renews the others.
func TestHeartbeatHealsLostReleases(t *testing.T) {
	ctx := context.Background()
	c := newCluster(t, Options{})
	a, b := c.node("a"), c.node("b")
	must[bool](t)(a.SetPresence(ctx, "1001", "ready"))
	must[bool](t)(a.SetPresence(ctx, "1002", "ready"))
	must[Beat](t)(a.Heartbeat(ctx, nil))
	must[Outcome](t)(a.Reserve(ctx, "1001", "c1"))
	must[Outcome](t)(a.Reserve(ctx, "1002", "c2"))
	if beat := must[Beat](t)(a.Heartbeat(ctx, map[string]string{"1002": "c2"})); beat.WasDead || len(beat.Conflicts) > 0 {
		t.Fatalf("beat: %+v", beat)
	}
	if h := must[[2]string](t)(holder(ctx, b, "1001")); h != [2]string{} {
		t.Fatalf("1001 still held by %v after a beat without it", h)
	}
	if h := must[[2]string](t)(holder(ctx, b, "1002")); h != [2]string{"a", "c2"} {
		t.Fatalf("1002 held by %v", h)
	}
}

// A clean shutdown hands everything on at once.
func TestLeaveHandsOnAtOnce(t *testing.T) {
	ctx := context.Background()
	c := newCluster(t, Options{DeadAfter: time.Hour, Lease: 2 * time.Hour})
	a := c.node("a")
	must[bool](t)(a.SetPresence(ctx, "1001", "ready"))
	must[Beat](t)(a.Heartbeat(ctx, nil))
	must[Outcome](t)(a.Reserve(ctx, "1001", "c1"))
	r := must[Reaped](t)(a.Leave(ctx))
	if !slices.Equal(r.Nodes, []string{"a"}) || !slices.Equal(r.Freed, []string{"1001"}) {
		t.Fatalf("leave: %+v", r)
	}
}
