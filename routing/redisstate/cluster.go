package redisstate

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/switchboard-cc/switchboard/events"
	"github.com/switchboard-cc/switchboard/routing"
)

// Cluster joins one node's routing.ACD to the shared state: it is the
// ACD's routing.Claims (agents are reserved in Redis before they are
// offered), it mirrors agents' presence both ways, it mirrors the node's
// waiting calls into the shared lines (through the event sink it wraps),
// and it beats, reaps dead nodes and adopts their callbacks.
//
// Build it, pass it as Options.Claims and wrap the ACD's sink with Sink,
// build the ACD, then Start.
type Cluster struct {
	store *Store
	log   *slog.Logger
	every time.Duration

	mu   sync.Mutex        // guards held, and orders claims with heartbeats
	held map[string]string // agent -> call this node holds

	pmu       sync.Mutex
	published map[string]string // agent -> presence last known shared, to skip no-op writes
	applying  map[string]int    // agent -> shared presences being applied to the ACD now

	work   chan func(context.Context) // ordered writes that must not block the ACD
	ended  chan string                // calls whose call.end was emitted (cluster_live.go)
	acked  func(context.Context) error
	acd    *routing.ACD
	sink   events.Sink
	cancel context.CancelFunc
	done   chan struct{}
}

// NewCluster wraps a Store. log may be nil.
func NewCluster(store *Store, log *slog.Logger) *Cluster {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Cluster{
		store: store, log: log.With("node", store.Node()),
		every:     store.DeadAfter() / 4,
		held:      map[string]string{},
		published: map[string]string{},
		applying:  map[string]int{},
		work:      make(chan func(context.Context), 4096),
		ended:     make(chan string, 4096),
		sink:      events.Discard,
	}
}

// claimTimeout bounds a claim's round trip: the ACD's lock is held.
const claimTimeout = 500 * time.Millisecond

// yieldMargin is added to the yield window before a deferred claim is
// tried again, so the retry finds the window spent on Redis's clock.
const yieldMargin = 10 * time.Millisecond

// Claim reserves the agent in Redis for this node's call, in order
// across nodes (ReserveInOrder): one round trip.
func (c *Cluster) Claim(r routing.ClaimRequest) bool {
	ctx, cancel := context.WithTimeout(context.Background(), claimTimeout)
	defer cancel()
	c.mu.Lock()
	defer c.mu.Unlock()
	out, err := c.store.ReserveInOrder(ctx, r.AgentID, r.CallID, Score(r.Priority, r.Place), r.Groups)
	if err != nil {
		c.log.Warn("cluster: claim failed", "agent", r.AgentID, "call_id", r.CallID, "err", err)
		return false
	}
	if out == Deferred {
		// The agent rests here; look at it again as soon as the deferral
		// may be over (rather than after routing.ClaimRetry), and earlier
		// if a "retry" notice says the better-placed call was served.
		c.log.Debug("cluster: claim deferred to a better-placed call on another node", "agent", r.AgentID, "call_id", r.CallID)
		acd, agent := c.acd, r.AgentID
		time.AfterFunc(c.store.yieldWindow+yieldMargin, func() { acd.AgentFreed(context.Background(), agent) })
	}
	if out != Reserved {
		return false
	}
	c.held[r.AgentID] = r.CallID
	return true
}

// Release gives the agent back (in the background, in order).
func (c *Cluster) Release(agentID, callID string) {
	c.mu.Lock()
	if c.held[agentID] == callID {
		delete(c.held, agentID)
	}
	c.mu.Unlock()
	c.enqueue(func(ctx context.Context) {
		if _, err := c.store.Release(ctx, agentID, callID); err != nil {
			// The next heartbeat releases it, since held no longer has it.
			c.log.Warn("cluster: release failed", "agent", agentID, "call_id", callID, "err", err)
		}
	})
}

func (c *Cluster) enqueue(f func(context.Context)) {
	select {
	case c.work <- f:
	default:
		c.log.Error("cluster: write queue full; dropping a shared-state write")
	}
}

// Sink wraps the node's event sink (the ACD's and the transports'): queue
// entries and exits are mirrored into the shared lines, call starts and
// ends into the node's live calls (cluster_live.go), then passed on.
func (c *Cluster) Sink(inner events.Sink) events.Sink {
	c.sink = inner
	return mirrorSink{c: c, inner: inner}
}

type mirrorSink struct {
	c     *Cluster
	inner events.Sink
}

func (m mirrorSink) Emit(ctx context.Context, e events.Event) {
	if e.Type == events.CallStart {
		m.c.callStarted(ctx, e.CallID) // before the log can have it
	}
	m.inner.Emit(ctx, e)
	switch e.Type {
	case events.CallEnd:
		m.c.callEnded(e.CallID)
	case events.QueueEnter:
		w := Waiting{CallID: e.CallID, Group: e.Queue, EnqueuedAt: e.Time,
			Callback: e.Data["callback"] == "1", Number: e.Data["number"]}
		w.Priority, _ = strconv.Atoi(e.Data["priority"])
		if p, err := time.Parse(time.RFC3339Nano, e.Data["place"]); err == nil {
			w.EnqueuedAt = p
		}
		m.c.enqueue(func(ctx context.Context) {
			if err := m.c.store.Enqueue(ctx, w); err != nil {
				m.c.log.Warn("cluster: mirror queue entry", "call_id", w.CallID, "err", err)
			}
		})
	case events.QueueConnect, events.QueueAbandon, events.QueueTimeout, events.QueueClosed:
		id := e.CallID
		m.c.enqueue(func(ctx context.Context) {
			if _, err := m.c.store.LeaveLine(ctx, id); err != nil {
				m.c.log.Warn("cluster: mirror queue exit", "call_id", id, "err", err)
			}
		})
	}
}

// Start joins the cluster: the node beats once (so it may reserve), takes
// the shared presence of every agent Redis knows and publishes its own for
// the others, and runs its loops until Close.
func (c *Cluster) Start(ctx context.Context, acd *routing.ACD) error {
	c.acd = acd
	if _, err := c.beat(ctx); err != nil {
		return err
	}
	lctx, cancel := context.WithCancel(context.Background())
	notices, err := c.store.Subscribe(lctx)
	if err != nil {
		cancel()
		return err
	}
	shared, err := c.store.Presences(ctx)
	if err != nil {
		cancel()
		return err
	}
	for _, s := range acd.Agents() {
		if p, ok := shared[s.ID]; ok {
			c.applyPresence(ctx, s.ID, p)
		} else if _, err := c.store.SetPresence(ctx, s.ID, presenceOf(s)); err != nil {
			cancel()
			return err
		} else {
			c.swapPublished(s.ID, presenceOf(s))
		}
	}
	unsubscribe := acd.Subscribe(func(ch routing.Change) {
		for _, id := range ch.Agents {
			c.enqueue(func(ctx context.Context) { c.publishPresence(ctx, id) })
		}
	})
	c.cancel, c.done = cancel, make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(4)
	go func() { defer wg.Done(); c.writer(lctx) }()
	go func() { defer wg.Done(); c.forgetEnded(lctx) }()
	go func() { defer wg.Done(); c.listen(lctx, notices) }()
	go func() { defer wg.Done(); c.tick(lctx) }()
	go func() { wg.Wait(); unsubscribe(); close(c.done) }()
	c.adopt(ctx)
	return nil
}

// Close leaves the cluster cleanly: pending writes are flushed, then the
// node's reservations are released and its waiting callbacks handed on at
// once.
func (c *Cluster) Close(ctx context.Context) error {
	if c.cancel == nil {
		return nil
	}
	c.cancel()
	<-c.done
	c.drain(ctx)
	_, err := c.store.Leave(ctx)
	return err
}

func (c *Cluster) writer(ctx context.Context) {
	for {
		select {
		case f := <-c.work:
			f(ctx)
		case <-ctx.Done():
			return
		}
	}
}

// drain runs the writes still queued.
func (c *Cluster) drain(ctx context.Context) {
	for {
		select {
		case f := <-c.work:
			f(ctx)
		default:
			return
		}
	}
}

func (c *Cluster) listen(ctx context.Context, notices <-chan Notice) {
	for n := range notices {
		switch n.Kind {
		case "free":
			c.acd.AgentFreed(ctx, n.Agent)
		case "yield", "retry":
			// A claim elsewhere was deferred to this node's call, or this
			// node's deferred claim may be made again.
			if n.Node == c.store.Node() {
				c.acd.AgentFreed(ctx, n.Agent)
			}
		case "presence":
			c.applyPresence(ctx, n.Agent, n.Presence)
		}
	}
}

func (c *Cluster) tick(ctx context.Context) {
	t := time.NewTicker(c.every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		b, err := c.beat(ctx)
		if err != nil {
			if ctx.Err() == nil {
				c.log.Warn("cluster: heartbeat failed", "err", err)
			}
			continue
		}
		if b.WasDead { // reaped, or Redis lost its data: put back the presence it lacks
			c.republish(ctx)
		}
		// The reap's records are stamped before it frees anything: another
		// node may offer a freed agent before the script's answer is back,
		// and the log must not show that offer before the release.
		at := time.Now().UTC()
		r, err := c.store.Reap(ctx)
		if err != nil {
			if ctx.Err() == nil {
				c.log.Warn("cluster: reap failed", "err", err)
			}
			continue
		}
		c.reaped(ctx, r, at)
		c.adopt(ctx)
	}
}

func (c *Cluster) beat(ctx context.Context) (Beat, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	b, err := c.store.Heartbeat(ctx, c.held)
	if err != nil {
		return b, err
	}
	if b.WasDead && len(c.held) > 0 {
		c.log.Error("cluster: this node had been declared dead (heartbeats late, or Redis lost its data) while holding agents")
	}
	for _, a := range b.Conflicts {
		c.log.Error("cluster: an agent this node holds was given to another node while it was declared dead", "agent", a)
	}
	return b, nil
}

// reaped records what a dead node left: its callers on the line are gone
// with it, each closed here with queue.abandon and call.end (reason
// node_lost) so every call that entered a queue leaves it; its other calls
// in progress (talking to an agent, in the flow) get call.end with the
// same reason.
func (c *Cluster) reaped(ctx context.Context, r Reaped, now time.Time) {
	if len(r.Nodes) == 0 {
		return
	}
	c.log.Warn("cluster: nodes declared dead", "nodes", r.Nodes, "agents_freed", len(r.Freed),
		"callbacks_orphaned", len(r.Orphaned), "calls_lost", len(r.LostCalls), "calls_cut", len(r.CutCalls))
	for _, lc := range r.LostCalls {
		c.sink.Emit(ctx, events.Event{Time: now, CallID: lc.CallID, Type: events.QueueAbandon, Queue: lc.Group,
			Data: map[string]string{"reason": "node_lost", "node": lc.Node}})
		c.sink.Emit(ctx, events.Event{Time: now, CallID: lc.CallID, Type: events.CallEnd,
			Data: map[string]string{"by": "system", "reason": "node_lost", "node": lc.Node}})
	}
	for _, cc := range r.CutCalls {
		c.sink.Emit(ctx, events.Event{Time: now, CallID: cc.CallID, Type: events.CallEnd,
			Data: map[string]string{"by": "system", "reason": "node_lost", "node": cc.Node, "result": "failed"}})
	}
}

// adopt takes over callbacks of dead nodes, each at its original place.
func (c *Cluster) adopt(ctx context.Context) {
	ws, err := c.store.Adopt(ctx, 100)
	if err != nil {
		c.log.Warn("cluster: adopt callbacks", "err", err)
		return
	}
	for _, w := range ws {
		req := routing.Request{CallID: w.CallID, Caller: w.Number, Group: w.Group, Priority: w.Priority, EnqueuedAt: w.EnqueuedAt}
		err := c.acd.RequestCallback(ctx, req, w.Number)
		if err != nil && !errors.Is(err, routing.ErrDuplicateCall) {
			c.log.Error("cluster: adopting a callback failed", "call_id", w.CallID, "err", err)
			continue
		}
		c.log.Info("cluster: adopted a callback", "call_id", w.CallID, "group", w.Group)
	}
}

// republish writes this node's view of every agent Redis has no presence
// for (Redis restarted empty), so claims can be granted again.
func (c *Cluster) republish(ctx context.Context) {
	shared, err := c.store.Presences(ctx)
	if err != nil {
		c.log.Warn("cluster: republish presence", "err", err)
		return
	}
	for _, s := range c.acd.Agents() {
		if _, ok := shared[s.ID]; !ok {
			p := presenceOf(s)
			if _, err := c.store.SetPresence(ctx, s.ID, p); err == nil {
				c.swapPublished(s.ID, p)
			}
		}
	}
}

// presenceOf encodes a snapshot's presence for Redis.
func presenceOf(s routing.AgentSnapshot) string {
	switch s.Presence {
	case routing.Ready:
		return "ready"
	case routing.NotReady:
		return "not_ready:" + s.Reason
	}
	return "logged_out"
}

func (c *Cluster) publishPresence(ctx context.Context, id string) {
	// The ACD is read under pmu, so it is never seen halfway through
	// applyPresence (see there).
	c.pmu.Lock()
	if c.applying[id] > 0 {
		c.pmu.Unlock()
		return // applyPresence publishes what it leaves, if it differs
	}
	s, err := c.acd.Agent(id)
	if err != nil {
		c.pmu.Unlock()
		return
	}
	p := presenceOf(s)
	if c.published[id] == p {
		c.pmu.Unlock()
		return // an activity change: presence as already shared
	}
	c.published[id] = p
	c.pmu.Unlock()
	if _, err := c.store.SetPresence(ctx, id, p); err != nil {
		c.log.Warn("cluster: publish presence", "agent", id, "err", err)
		c.swapPublished(id, "") // try again on the next change
	}
}

// swapPublished records p as the agent's shared presence and reports
// whether it differed.
func (c *Cluster) swapPublished(id, p string) bool {
	c.pmu.Lock()
	defer c.pmu.Unlock()
	if c.published[id] == p {
		return false
	}
	c.published[id] = p
	return true
}

// applyPresence makes the local ACD's presence of the agent the shared one.
// It may take two steps (a logged-out agent made ready is logged in, then
// ready): the writer, woken by the first, must not publish the passing
// not_ready:login over the shared ready, or every node settles on it. So
// publishPresence stands aside while an apply runs, and the apply queues
// one publish at its end, for what the ACD made of it (a gate may keep the
// agent not ready; a local change may have come in between).
func (c *Cluster) applyPresence(ctx context.Context, id, p string) {
	c.pmu.Lock()
	c.published[id] = p
	c.applying[id]++
	c.pmu.Unlock()
	defer func() {
		c.pmu.Lock()
		if c.applying[id]--; c.applying[id] <= 0 {
			delete(c.applying, id)
		}
		c.pmu.Unlock()
		c.enqueue(func(ctx context.Context) { c.publishPresence(ctx, id) })
	}()
	s, err := c.acd.Agent(id)
	if err != nil || presenceOf(s) == p {
		return
	}
	const by = "cluster"
	kind, reason, _ := strings.Cut(p, ":")
	if kind != "logged_out" && s.Presence == routing.LoggedOut {
		if err := c.acd.Login(ctx, id, by); err != nil {
			c.log.Warn("cluster: apply presence", "agent", id, "presence", p, "err", err)
			return
		}
	}
	switch kind {
	case "ready":
		err = c.acd.Ready(ctx, id, by)
	case "not_ready":
		err = c.acd.NotReady(ctx, id, by, reason)
	case "logged_out":
		if s.Presence != routing.LoggedOut {
			err = c.acd.Logout(ctx, id, by, "cluster")
		}
	}
	if err != nil {
		c.log.Warn("cluster: apply presence", "agent", id, "presence", p, "err", err)
	}
}
