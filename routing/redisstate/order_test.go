package redisstate

import (
	"context"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/routing"
)

// orderCase sets up the shared lines (nodes a and b alive, agent x ready)
// before node b claims x for its call cb in group billing.
type orderCase struct {
	name  string
	setup func(t *testing.T, ctx context.Context, a, b, ghost *Store)
	cb    Waiting // b's call (its EnqueuedAt defaults to at+1s)
	want  Outcome
}

var at = time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)

func enqueueOn(t *testing.T, ctx context.Context, s *Store, w Waiting) {
	t.Helper()
	if w.EnqueuedAt.IsZero() {
		w.EnqueuedAt = at
	}
	if w.Group == "" {
		w.Group = "billing"
	}
	if err := s.Enqueue(ctx, w); err != nil {
		t.Fatal(err)
	}
}

// A claim is deferred only for a better-placed call the agent could take
// that waits on another live node and rings nobody.
func TestReserveInOrder(t *testing.T) {
	ctx := context.Background()
	cases := []orderCase{
		{name: "earlier call on another node", want: Deferred,
			setup: func(t *testing.T, ctx context.Context, a, b, _ *Store) {
				enqueueOn(t, ctx, a, Waiting{CallID: "ca"})
			}},
		{name: "no other call", want: Reserved},
		{name: "later call on another node", want: Reserved, cb: Waiting{EnqueuedAt: at.Add(-time.Second)},
			setup: func(t *testing.T, ctx context.Context, a, b, _ *Store) {
				enqueueOn(t, ctx, a, Waiting{CallID: "ca"})
			}},
		{name: "later call of higher priority on another node", want: Deferred, cb: Waiting{EnqueuedAt: at.Add(-time.Minute)},
			setup: func(t *testing.T, ctx context.Context, a, b, _ *Store) {
				enqueueOn(t, ctx, a, Waiting{CallID: "ca", Priority: 1})
			}},
		{name: "same place on another node", want: Reserved, cb: Waiting{EnqueuedAt: at},
			setup: func(t *testing.T, ctx context.Context, a, b, _ *Store) {
				enqueueOn(t, ctx, a, Waiting{CallID: "ca"})
			}},
		{name: "earlier call placed within the grace on another node", want: Reserved,
			cb: Waiting{EnqueuedAt: time.Now().Add(orderGrace / 2)},
			setup: func(t *testing.T, ctx context.Context, a, b, _ *Store) {
				enqueueOn(t, ctx, a, Waiting{CallID: "ca", EnqueuedAt: time.Now()})
			}},
		{name: "earlier call of this node", want: Reserved,
			setup: func(t *testing.T, ctx context.Context, a, b, _ *Store) {
				enqueueOn(t, ctx, b, Waiting{CallID: "b-first"})
			}},
		{name: "earlier call in a group the agent does not serve", want: Reserved,
			setup: func(t *testing.T, ctx context.Context, a, b, _ *Store) {
				enqueueOn(t, ctx, a, Waiting{CallID: "ca", Group: "sales"})
			}},
		{name: "earlier call in the agent's other group", want: Deferred,
			setup: func(t *testing.T, ctx context.Context, a, b, _ *Store) {
				enqueueOn(t, ctx, a, Waiting{CallID: "ca", Group: "repair"})
			}},
		{name: "earlier call on a node that is not alive", want: Reserved,
			setup: func(t *testing.T, ctx context.Context, a, b, ghost *Store) {
				enqueueOn(t, ctx, ghost, Waiting{CallID: "cg"})
			}},
		{name: "earlier call ringing another agent", want: Reserved,
			setup: func(t *testing.T, ctx context.Context, a, b, _ *Store) {
				enqueueOn(t, ctx, a, Waiting{CallID: "ca"})
				must[bool](t)(a.SetPresence(ctx, "y", "ready"))
				if out := must[Outcome](t)(a.ReserveInOrder(ctx, "y", "ca", Score(0, at), []string{"billing"})); out != Reserved {
					t.Fatalf("a's claim of y: %s", out)
				}
			}},
		{name: "earlier call whose agent rang out", want: Deferred,
			setup: func(t *testing.T, ctx context.Context, a, b, _ *Store) {
				enqueueOn(t, ctx, a, Waiting{CallID: "ca"})
				must[bool](t)(a.SetPresence(ctx, "y", "ready"))
				must[Outcome](t)(a.ReserveInOrder(ctx, "y", "ca", Score(0, at), []string{"billing"}))
				if !must[bool](t)(a.Release(ctx, "y", "ca")) {
					t.Fatal("a's release of y refused")
				}
			}},
		{name: "earlier call behind a ringing one", want: Deferred,
			setup: func(t *testing.T, ctx context.Context, a, b, _ *Store) {
				enqueueOn(t, ctx, a, Waiting{CallID: "ringing", EnqueuedAt: at.Add(-time.Second)})
				enqueueOn(t, ctx, a, Waiting{CallID: "ca"})
				must[bool](t)(a.SetPresence(ctx, "y", "ready"))
				must[Outcome](t)(a.ReserveInOrder(ctx, "y", "ringing", Score(0, at), []string{"billing"}))
			}},
	}
	c := newCluster(t, Options{})
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c.opt.Prefix = "order" + string(rune('a'+i)) + ":"
			a, b, ghost := c.node("a"), c.node("b"), c.node("ghost")
			for _, s := range []*Store{a, b} {
				if _, err := s.Heartbeat(ctx, nil); err != nil {
					t.Fatal(err)
				}
			}
			must[bool](t)(b.SetPresence(ctx, "x", "ready"))
			notices, err := b.Subscribe(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if tc.setup != nil {
				tc.setup(t, ctx, a, b, ghost)
			}
			cb := tc.cb
			if cb.EnqueuedAt.IsZero() {
				cb.EnqueuedAt = at.Add(time.Second)
			}
			cb.CallID, cb.Group = "cb", "billing"
			enqueueOn(t, ctx, b, cb)
			got := must[Outcome](t)(b.ReserveInOrder(ctx, "x", "cb", Score(cb.Priority, cb.EnqueuedAt), []string{"billing", "repair"}))
			if got != tc.want {
				t.Fatalf("b's claim of x: %s; want %s", got, tc.want)
			}
			if got != Deferred {
				return
			}
			// Node a is told to offer x its call.
			timeout := time.After(10 * time.Second)
			for {
				select {
				case n := <-notices:
					if n.Kind != "yield" {
						continue
					}
					if n.Agent != "x" || n.Node != "a" || n.Call != "ca" {
						t.Fatalf("notice %+v; want x yielded to a's ca", n)
					}
					return
				case <-timeout:
					t.Fatal("no yield notice")
				}
			}
		})
	}
}

// The deferral is bounded: within the window only a call placed no worse
// than the one the agent was deferred to gets it; after the window the
// next claim goes through, and the next time the agent is free the order
// counts again.
func TestDeferralBounded(t *testing.T) {
	ctx := context.Background()
	const window = 150 * time.Millisecond
	c := newCluster(t, Options{YieldWindow: window})
	a, b := c.node("a"), c.node("b")
	for _, s := range []*Store{a, b} {
		if _, err := s.Heartbeat(ctx, nil); err != nil {
			t.Fatal(err)
		}
	}
	must[bool](t)(b.SetPresence(ctx, "x", "ready"))
	enqueueOn(t, ctx, a, Waiting{CallID: "ca"})
	enqueueOn(t, ctx, a, Waiting{CallID: "ca-later", EnqueuedAt: at.Add(2 * time.Second)})
	enqueueOn(t, ctx, b, Waiting{CallID: "cb", EnqueuedAt: at.Add(time.Second)})
	groups := []string{"billing"}
	claim := func(s *Store, call string, place time.Time) Outcome {
		t.Helper()
		return must[Outcome](t)(s.ReserveInOrder(ctx, "x", call, Score(0, place), groups))
	}
	start := time.Now()
	if out := claim(b, "cb", at.Add(time.Second)); out != Deferred {
		t.Fatalf("b's claim: %s; want deferred to a's earlier call", out)
	}
	// Node a offers x a worse call of its own (say its caller of ca let x
	// ring out before): refused too within the window, with no second
	// notice, so the nodes cannot bounce x between them.
	if out := claim(a, "ca-later", at.Add(2*time.Second)); out != Deferred {
		t.Fatalf("a's claim for its later call: %s; want deferred within the window", out)
	}
	var got Outcome
	for got = claim(b, "cb", at.Add(time.Second)); got == Deferred; got = claim(b, "cb", at.Add(time.Second)) {
		if time.Since(start) > 10*window+5*time.Second {
			t.Fatal("b's claim still deferred long after the window")
		}
		time.Sleep(window / 10) // polling a server-side clock
	}
	if got != Reserved {
		t.Fatalf("b's claim after the window: %s", got)
	}
	// Redis's clock counts whole milliseconds: allow one.
	if took := time.Since(start); took < window-time.Millisecond {
		t.Fatalf("granted after %v, inside the %v window", took, window)
	}
	// Freed again, x is deferred to a's waiting call again.
	must[bool](t)(b.Release(ctx, "x", "cb"))
	if out := claim(b, "cb", at.Add(time.Second)); out != Deferred {
		t.Fatalf("b's claim of x freed again: %s; want deferred", out)
	}
	// a's call gets x within the window.
	if out := claim(a, "ca", at); out != Reserved {
		t.Fatalf("a's claim for the call x was deferred to: %s", out)
	}
}

// One agent is deferred to each better-placed call, no more: the next
// free agent goes on. Agents deferred to a call are free for others at
// once when that call rings an agent, or leaves its line: a "retry"
// notice tells the node whose claim was deferred, and the next claim is
// not deferred to it.
func TestDeferralEndsWhenTheCallIsServed(t *testing.T) {
	ctx := context.Background()
	c := newCluster(t, Options{YieldWindow: time.Hour})
	a, b := c.node("a"), c.node("b")
	for _, s := range []*Store{a, b} {
		if _, err := s.Heartbeat(ctx, nil); err != nil {
			t.Fatal(err)
		}
	}
	for _, ag := range []string{"w", "x", "y", "z"} {
		must[bool](t)(b.SetPresence(ctx, ag, "ready"))
	}
	notices, err := b.Subscribe(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	enqueueOn(t, ctx, a, Waiting{CallID: "ca"})
	enqueueOn(t, ctx, a, Waiting{CallID: "ca2", EnqueuedAt: at.Add(time.Millisecond)})
	enqueueOn(t, ctx, b, Waiting{CallID: "cb", EnqueuedAt: at.Add(time.Second)})
	groups := []string{"billing"}
	claim := func(s *Store, agent, call string, place time.Time) Outcome {
		t.Helper()
		return must[Outcome](t)(s.ReserveInOrder(ctx, agent, call, Score(0, place), groups))
	}
	yielded := func(agent, call string) {
		t.Helper()
		if out := claim(b, agent, "cb", at.Add(time.Second)); out != Deferred {
			t.Fatalf("b's claim of %s: %s; want deferred to %s", agent, out, call)
		}
		if got, _ := b.rdb.HGet(ctx, b.yieldKey(agent), "call").Result(); got != call {
			t.Fatalf("%s deferred to %q; want %s", agent, got, call)
		}
	}
	yielded("x", "ca")
	yielded("y", "ca2")
	if out := claim(b, "z", "cb", at.Add(time.Second)); out != Reserved {
		t.Fatalf("b's claim of z: %s; want reserved (both better calls have an agent deferred to them)", out)
	}
	freed := func(want string) {
		t.Helper()
		timeout := time.After(10 * time.Second)
		for {
			select {
			case n := <-notices:
				if n.Kind == "retry" {
					if n.Agent != want || n.Node != "b" {
						t.Fatalf("retry notice %+v; want %s for b", n, want)
					}
					return
				}
			case <-timeout:
				t.Fatalf("no retry notice for %s", want)
			}
		}
	}
	// ca rings w: x is free for cb at once, though the window lasts an hour.
	if out := claim(a, "w", "ca", at); out != Reserved {
		t.Fatalf("a's claim of w for ca: %s", out)
	}
	freed("x")
	if out := claim(b, "x", "cb", at.Add(time.Second)); out != Reserved {
		t.Fatalf("b's claim of x after ca rings: %s; want reserved", out)
	}
	// ca2 leaves the line (its caller hung up): y is free, and cb gets it.
	if !must[bool](t)(a.LeaveLine(ctx, "ca2")) {
		t.Fatal("ca2 was not in line")
	}
	freed("y")
	if out := claim(b, "y", "cb", at.Add(time.Second)); out != Reserved {
		t.Fatalf("b's claim of y after ca2 left: %s; want reserved", out)
	}
}

// node a's caller enqueued first, node b's later; the agent is freed and
// node b hears first: node a's caller gets the agent all the same.
func TestClusterKeepsCallOrderAcrossNodes(t *testing.T) {
	// A long yield window: node a is told to take the agent however slow
	// this machine is; a short dead_after would reap the probe holding x.
	c := newCluster(t, Options{DeadAfter: 10 * time.Second, Lease: 30 * time.Second, YieldWindow: 10 * time.Second})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cfg := clusterConfig(1)
	x := agentID(0)
	na, nb := startNode(t, c, "a", cfg, nil), startNode(t, c, "b", cfg, nil)
	defer na.cluster.Close(context.Background())
	defer nb.cluster.Close(context.Background())
	probe := c.node("probe")
	if _, err := probe.Heartbeat(ctx, nil); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "x ready in Redis", func() bool {
		p, _ := probe.Presences(ctx)
		return p[x] == "ready"
	})
	// x talks on another node's call; both nodes' calls wait for it.
	if out := must[Outcome](t)(probe.Reserve(ctx, x, "elsewhere")); out != Reserved {
		t.Fatalf("probe's reservation of x: %s", out)
	}
	enqueued := time.Now()
	first, err := na.acd.Enqueue(ctx, routing.Request{CallID: "a-first", Group: "billing"})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "a-first in the shared line", func() bool {
		line, _ := probe.Line(ctx, "billing")
		return len(line) == 1
	})
	waitFor(t, ctx, "a-first in line longer than the grace", func() bool { return time.Since(enqueued) > orderGrace+5*time.Millisecond })
	later, err := nb.acd.Enqueue(ctx, routing.Request{CallID: "b-later", Group: "billing"})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "b-later in the shared line", func() bool {
		line, _ := probe.Line(ctx, "billing")
		return len(line) == 2
	})
	// x's call ends; node b hears of it first.
	if err := probe.rdb.Del(ctx, probe.reservationKey(x)).Err(); err != nil {
		t.Fatal(err)
	}
	nb.acd.AgentFreed(ctx, x)
	select {
	case o := <-first.Offers():
		if o.Agents[0].AgentID != x {
			t.Fatalf("a-first offered %v", o.Agents)
		}
	case o := <-later.Offers():
		t.Fatalf("b-later (enqueued after a-first) was offered %s first", o.Agents[0].AgentID)
	case <-ctx.Done():
		t.Fatal("no offer")
	}
	select {
	case o := <-later.Offers():
		t.Fatalf("b-later offered %s while a-first rings it", o.Agents[0].AgentID)
	default:
	}
}

// Node a's caller let the agent ring out (the agent now rests on node a,
// which cannot offer it again soon); node b's later call gets the agent
// after a bounded deferral instead of waiting for a's caller.
func TestClusterDefersAtMostBriefly(t *testing.T) {
	const window = 200 * time.Millisecond
	c := newCluster(t, Options{DeadAfter: 10 * time.Second, Lease: 30 * time.Second, YieldWindow: window})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cfg := clusterConfig(1)
	billing := cfg.Groups["billing"]
	billing.Retry = routing.Duration(time.Hour)
	cfg.Groups["billing"] = billing
	x := agentID(0)
	na, nb := startNode(t, c, "a", cfg, nil), startNode(t, c, "b", cfg, nil)
	defer na.cluster.Close(context.Background())
	defer nb.cluster.Close(context.Background())
	probe := c.node("probe")
	enqueued := time.Now()
	first, err := na.acd.Enqueue(ctx, routing.Request{CallID: "a-first", Group: "billing"})
	if err != nil {
		t.Fatal(err)
	}
	var o routing.Offer
	select {
	case o = <-first.Offers():
	case <-ctx.Done():
		t.Fatal("a-first was never offered x")
	}
	first.Missed(o, map[string]string{x: "decline"})
	waitFor(t, ctx, "x released, a-first waiting again", func() bool {
		node, _, _ := probe.Holder(ctx, x)
		line, _ := probe.Line(ctx, "billing")
		ringing, _ := probe.rdb.HGet(ctx, probe.callKey("a-first"), "ringing").Int()
		return node == "" && len(line) == 1 && ringing == 0
	})
	waitFor(t, ctx, "a-first in line longer than the grace", func() bool { return time.Since(enqueued) > orderGrace+5*time.Millisecond })
	start := time.Now()
	later, err := nb.acd.Enqueue(ctx, routing.Request{CallID: "b-later", Group: "billing"})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case o := <-later.Offers():
		took := time.Since(start)
		if o.Agents[0].AgentID != x {
			t.Fatalf("b-later offered %v", o.Agents)
		}
		if took < window {
			t.Fatalf("b-later offered x after %v: not deferred to a-first", took)
		}
		t.Logf("b-later offered x %v after it arrived (yield window %v, claim retry %v)", took, window, routing.ClaimRetry)
	case <-ctx.Done():
		t.Fatal("b-later never offered x: the deferral is not bounded")
	}
	if exit := first.Exit(); exit != 0 {
		t.Fatalf("a-first left: %v", exit)
	}
}
