package redisstate

import (
	"context"
	"fmt"
	"math/rand"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/events"
	"github.com/switchboard-cc/switchboard/routing"
)

// board is the test's view of every agent across nodes: which call each
// one is ringing or talking to. Two calls at once is a double booking.
type board struct {
	mu      sync.Mutex
	busy    map[string]string
	doubles []string
	served  map[string]bool
}

func (b *board) take(agent, call string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if other, ok := b.busy[agent]; ok {
		b.doubles = append(b.doubles, fmt.Sprintf("%s offered %s while holding %s", agent, call, other))
	}
	b.busy[agent] = call
}

func (b *board) drop(agent, call string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.busy[agent] == call {
		delete(b.busy, agent)
	}
}

func (b *board) answered(call string) {
	b.mu.Lock()
	b.served[call] = true
	b.mu.Unlock()
}

// recorder keeps events, for accounting.
type recorder struct {
	mu  sync.Mutex
	evs []events.Event
}

func (r *recorder) Emit(_ context.Context, e events.Event) {
	r.mu.Lock()
	r.evs = append(r.evs, e)
	r.mu.Unlock()
}

func (r *recorder) exits() map[string]events.Type {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]events.Type{}
	for _, e := range r.evs {
		switch e.Type {
		case events.QueueConnect, events.QueueAbandon, events.QueueTimeout, events.QueueClosed:
			out[e.CallID] = e.Type
		}
	}
	return out
}

type testNode struct {
	name    string
	acd     *routing.ACD
	cluster *Cluster
	rec     *recorder
}

func clusterConfig(agents int) routing.Config {
	cfg := routing.Config{Groups: map[string]routing.GroupConfig{
		"billing": {Skills: map[string]int{"billing": 1}, RingTimeout: routing.Duration(5 * time.Second)},
		"repair":  {Skills: map[string]int{"repair": 1}, RingTimeout: routing.Duration(5 * time.Second)},
	}}
	for i := range agents {
		skills := map[string]int{"billing": 1}
		if i%2 == 0 {
			skills["repair"] = 1
		}
		cfg.Agents = append(cfg.Agents, routing.AgentConfig{ID: agentID(i), Skills: skills, State: "ready",
			Endpoint: "sip:" + agentID(i) + "@proxy"})
	}
	return cfg
}

func startNode(t *testing.T, c *cluster, name string, cfg routing.Config, cbs func(routing.CallbackDue)) *testNode {
	t.Helper()
	n := &testNode{name: name, rec: &recorder{}}
	n.cluster = NewCluster(c.node(name), nil)
	acd, err := routing.New(cfg, routing.Options{Claims: n.cluster, Events: n.cluster.Sink(n.rec), Callbacks: cbs})
	if err != nil {
		t.Fatal(err)
	}
	n.acd = acd
	if err := n.cluster.Start(context.Background(), acd); err != nil {
		t.Fatal(err)
	}
	return n
}

// kill stops the node as SIGKILL would: no more heartbeats, nothing
// released, nothing handed on.
func (n *testNode) kill() {
	n.cluster.cancel()
	<-n.cluster.done
}

// drive plays one caller on a node: waits for offers, answers each after a
// short ring (or misses it now and then), talks briefly and hangs up.
func drive(ctx context.Context, b *board, tk *routing.Ticket, call string, rng *rand.Rand) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-tk.Exited():
			return
		case o := <-tk.Offers():
			agent := o.Agents[0].AgentID
			b.take(agent, call)
			if rng.Intn(8) == 0 {
				b.drop(agent, call)
				tk.Missed(o, map[string]string{agent: "decline"})
				continue
			}
			tk.Answered(o, agent)
			b.answered(call)
			time.Sleep(time.Duration(rng.Intn(5)) * time.Millisecond) // talk
			b.drop(agent, call)
			tk.Finish("caller")
			return
		}
	}
}

// Three nodes share six agents through Redis while randomized callers
// arrive at each; one node is killed mid-run. No agent is ever offered two
// calls at once, every call on the live nodes is answered, agents the dead
// node held go back to work within the bound, its waiting callback is
// adopted and served by a live node, and its caller on the line is
// recorded as lost — every call accounted for.
func TestClusterOfACDs(t *testing.T) {
	if testing.Short() {
		t.Skip("cluster run")
	}
	c := newCluster(t, Options{DeadAfter: 600 * time.Millisecond, Lease: 5 * time.Second})
	cfg := clusterConfig(6)
	b := &board{busy: map[string]string{}, served: map[string]bool{}}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	var dueMu sync.Mutex
	dueBy := map[string]string{} // callback call ID -> node that dialled it
	callbacksOn := func(node string) func(routing.CallbackDue) {
		return func(d routing.CallbackDue) {
			dueMu.Lock()
			dueBy[d.Request.CallID] = node
			dueMu.Unlock()
			go drive(ctx, b, d.Ticket, d.Request.CallID, rand.New(rand.NewSource(1)))
		}
	}
	nodes := []*testNode{
		startNode(t, c, "n1", cfg, callbacksOn("n1")),
		startNode(t, c, "n2", cfg, callbacksOn("n2")),
		startNode(t, c, "n3", cfg, callbacksOn("n3")),
	}
	defer func() {
		for _, n := range nodes[:2] {
			n.cluster.Close(context.Background())
		}
	}()

	var wg sync.WaitGroup
	callsOn := map[string][]string{}
	place := func(n *testNode, id string, seed int64) {
		group := []string{"billing", "repair"}[seed%2]
		tk, err := n.acd.Enqueue(ctx, routing.Request{CallID: id, Group: group, Priority: int(seed % 3)})
		if err != nil {
			t.Errorf("enqueue %s on %s: %v", id, n.name, err)
			return
		}
		callsOn[n.name] = append(callsOn[n.name], id)
		wg.Add(1)
		go func() { defer wg.Done(); drive(ctx, b, tk, id, rand.New(rand.NewSource(seed))) }()
	}
	seed := int64(0)
	start := time.Now()
	for round := range 20 {
		for _, n := range nodes {
			seed++
			place(n, fmt.Sprintf("%s-c%d", n.name, round), seed)
		}
	}

	wg.Wait()
	t.Logf("first %d calls done after %v", seed, time.Since(start))

	// Node n3 holds an agent on a call that never finishes, then every
	// agent goes on a break (set on n1, shared with all), then n3 gets a
	// caller on the line and a callback, and dies.
	n1, n3 := nodes[0], nodes[2]
	stuck, err := n3.acd.Enqueue(ctx, routing.Request{CallID: "n3-stuck", Group: "billing", Priority: 9})
	if err != nil {
		t.Fatal(err)
	}
	var stuckAgent string
	select {
	case o := <-stuck.Offers():
		stuckAgent = o.Agents[0].AgentID
		b.take(stuckAgent, "n3-stuck")
		stuck.Answered(o, stuckAgent)
	case <-ctx.Done():
		t.Fatal("n3's priority call was never offered")
	}
	for _, s := range n1.acd.Agents() {
		if err := n1.acd.NotReady(ctx, s.ID, "test", "break"); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, ctx, "the break shared with n3", func() bool {
		for _, s := range n3.acd.Agents() {
			if s.Presence != routing.NotReady {
				return false
			}
		}
		return true
	})
	if _, err := n3.acd.Enqueue(ctx, routing.Request{CallID: "n3-caller", Group: "repair"}); err != nil {
		t.Fatal(err)
	}
	if err := n3.acd.RequestCallback(ctx, routing.Request{CallID: "n3-cb", Group: "repair"}, "+8611"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "n3's waiting calls shared", func() bool {
		line, _ := c.node("probe").Line(ctx, "repair")
		return len(line) == 2
	})
	killed := time.Now()
	n3.kill()
	b.drop(stuckAgent, "n3-stuck") // its call died with it
	for _, s := range n1.acd.Agents() {
		if err := n1.acd.Ready(ctx, s.ID, "test"); err != nil {
			t.Fatal(err)
		}
	}

	// The stuck agent comes back within DeadAfter + a beat, and the
	// callback is adopted and served by a live node.
	waitFor(t, ctx, "the dead node's agent released", func() bool {
		node, _, _ := c.node("probe").Holder(ctx, stuckAgent)
		return node != "n3"
	})
	if took := time.Since(killed); took > 600*time.Millisecond+time.Second {
		t.Errorf("agent %s released %v after the kill; want within dead_after plus a beat", stuckAgent, took)
	}
	waitFor(t, ctx, "the dead node's callback served", func() bool {
		b.mu.Lock()
		defer b.mu.Unlock()
		return b.served["n3-cb"]
	})
	dueMu.Lock()
	if by := dueBy["n3-cb"]; by != "n1" && by != "n2" {
		t.Errorf("callback dialled by %q; want a live node", by)
	}
	dueMu.Unlock()
	more := []string{}
	for i, n := range nodes[:2] {
		id := fmt.Sprintf("%s-after", n.name)
		seed++
		place(n, id, int64(i))
		more = append(more, id)
	}
	wg.Wait()

	b.mu.Lock()
	if len(b.doubles) > 0 {
		t.Errorf("double bookings: %v", b.doubles)
	}
	b.mu.Unlock()
	// Every call on a live node was answered; n3's calls before the kill
	// too; its caller on the line is closed as lost by a live node.
	exits := map[string]events.Type{}
	for _, n := range nodes {
		for id, typ := range n.rec.exits() {
			exits[id] = typ
		}
	}
	for node, ids := range callsOn {
		for _, id := range ids {
			if exits[id] != events.QueueConnect {
				t.Errorf("%s call %s left with %q; want queue.connect", node, id, exits[id])
			}
		}
	}
	if exits["n3-caller"] != events.QueueAbandon {
		t.Errorf("n3's caller on the line: exit %q; want queue.abandon (node_lost)", exits["n3-caller"])
	}
	if exits["n3-cb"] != events.QueueConnect {
		t.Errorf("n3's callback: exit %q; want queue.connect on a live node", exits["n3-cb"])
	}
	for _, g := range []string{"billing", "repair"} {
		if line, _ := c.node("probe").Line(ctx, g); len(line) != 0 {
			t.Errorf("%s line still holds %v", g, line)
		}
	}
}

func waitFor(t *testing.T, ctx context.Context, what string, cond func() bool) {
	t.Helper()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("timed out waiting for %s", what)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// Redis restarting empty loses presence and reservations; the nodes put
// them back at their next beat, and calls are offered again.
func TestClusterSurvivesRedisLosingItsData(t *testing.T) {
	c := newCluster(t, Options{DeadAfter: 400 * time.Millisecond, Lease: 5 * time.Second})
	n := startNode(t, c, "n1", clusterConfig(2), nil)
	defer n.cluster.Close(context.Background())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	probe := c.node("probe")
	if err := probe.rdb.FlushDB(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	tk, err := n.acd.Enqueue(ctx, routing.Request{CallID: "after-flush", Group: "billing"})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case o := <-tk.Offers():
		if len(o.Agents) != 1 {
			t.Fatalf("offer %+v", o)
		}
	case <-ctx.Done():
		p, _ := probe.Presences(context.Background())
		t.Fatalf("no offer after Redis lost its data (shared presence now %v)", p)
	}
}
