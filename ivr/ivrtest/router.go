package ivrtest

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/switchboard-cc/switchboard/internal/clock"
	"github.com/switchboard-cc/switchboard/ivr"
	"github.com/switchboard-cc/switchboard/routing"
)

// Queue scripts one skill group of the fake Router.
type Queue struct {
	Closed bool // Enqueue and RequestCallback fail with ErrQueueClosed
	// Offers are made one after another: each After its predecessor was
	// missed (the first After the enqueue). An offer's ID is filled in.
	Offers []ScheduledOffer
	// Exit ends the wait without an agent this long after the enqueue
	// (0: never), with ExitReason (default routing.TimedOut).
	Exit       time.Duration
	ExitReason routing.ExitReason
	// Position and EstimatedWait are what Status reports.
	Position      int
	EstimatedWait time.Duration
}

// ScheduledOffer is an offer the fake ACD makes After some waiting.
type ScheduledOffer struct {
	After  time.Duration
	Agents []string // agent IDs; Endpoint URIs are "fake:<id>"
	Ring   time.Duration
}

// Router is a scripted ivr.Router: each group behaves as its Queue says.
// It records every Ticket call in Log, so tests can check that a call left
// the queue exactly once.
type Router struct {
	Clock  clock.Clock
	Groups map[string]Queue
	// Endpoint says where an agent is rung; nil: URI "fake:<id>".
	Endpoint func(agentID string) routing.Endpoint

	mu        sync.Mutex
	log       []string
	callbacks []string
}

var _ ivr.Router = (*Router)(nil)

// Log returns what happened to tickets, e.g. "enqueue billing",
// "missed o1 a1=busy", "answered o2 a2", "finish agent", "abandon".
func (r *Router) Log() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.log...)
}

// Callbacks returns "group number" for every accepted callback request.
func (r *Router) Callbacks() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.callbacks...)
}

func (r *Router) record(s string) {
	r.mu.Lock()
	r.log = append(r.log, s)
	r.mu.Unlock()
}

func (r *Router) clk() clock.Clock {
	if r.Clock == nil {
		return clock.Real{}
	}
	return r.Clock
}

func (r *Router) Enqueue(ctx context.Context, req routing.Request) (ivr.Ticket, error) {
	q, ok := r.Groups[req.Group]
	if !ok || q.Closed {
		r.record("closed " + req.Group)
		return nil, fmt.Errorf("group %s: %w", req.Group, ivr.ErrQueueClosed)
	}
	r.record("enqueue " + req.Group)
	t := &ticket{r: r, q: q, group: req.Group, offers: make(chan routing.Offer, 1),
		exited: make(chan struct{}), start: r.clk().Now()}
	if q.Exit > 0 {
		t.exitTimer = r.clk().AfterFunc(q.Exit, func() { t.leave(q.ExitReason) })
	}
	t.mu.Lock()
	t.scheduleLocked()
	t.mu.Unlock()
	return t, nil
}

func (r *Router) RequestCallback(ctx context.Context, req routing.Request, number string) error {
	q, ok := r.Groups[req.Group]
	if !ok || q.Closed {
		return fmt.Errorf("group %s: %w", req.Group, ivr.ErrQueueClosed)
	}
	r.mu.Lock()
	r.callbacks = append(r.callbacks, req.Group+" "+number)
	r.mu.Unlock()
	return nil
}

type ticket struct {
	r      *Router
	q      Queue
	group  string
	start  time.Time
	offers chan routing.Offer
	exited chan struct{}

	mu        sync.Mutex
	next      int // next scheduled offer
	done      bool
	exit      routing.ExitReason
	timer     clock.Timer
	exitTimer clock.Timer
}

func (t *ticket) scheduleLocked() {
	if t.done || t.next >= len(t.q.Offers) {
		return
	}
	so := t.q.Offers[t.next]
	t.next++
	o := routing.Offer{ID: fmt.Sprintf("o%d", t.next), Group: t.group, RingTimeout: so.Ring}
	for _, id := range so.Agents {
		ep := routing.Endpoint{AgentID: id, URI: "fake:" + id}
		if t.r.Endpoint != nil {
			ep = t.r.Endpoint(id)
		}
		o.Agents = append(o.Agents, ep)
	}
	t.timer = t.r.clk().AfterFunc(so.After, func() {
		t.mu.Lock()
		defer t.mu.Unlock()
		if !t.done {
			t.offers <- o
		}
	})
}

func (t *ticket) leave(why routing.ExitReason) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.done {
		return
	}
	if why == 0 {
		why = routing.TimedOut
	}
	t.finishLocked(why)
	t.r.record("exit " + why.String())
	close(t.exited)
}

func (t *ticket) finishLocked(why routing.ExitReason) {
	t.done, t.exit = true, why
	if t.timer != nil {
		t.timer.Stop()
	}
	if t.exitTimer != nil {
		t.exitTimer.Stop()
	}
}

func (t *ticket) Offers() <-chan routing.Offer { return t.offers }
func (t *ticket) Exited() <-chan struct{}      { return t.exited }
func (t *ticket) Exit() routing.ExitReason {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.exit
}

func (t *ticket) Status() routing.Status {
	return routing.Status{Position: t.q.Position, EstimatedWait: t.q.EstimatedWait, Waited: t.r.clk().Now().Sub(t.start)}
}

func (t *ticket) Answered(o routing.Offer, agentID string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.finishLocked(routing.Answered)
	t.r.record("answered " + o.ID + " " + agentID)
}

func (t *ticket) Missed(o routing.Offer, misses map[string]string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.r.record("missed " + o.ID + " " + missString(misses))
	t.scheduleLocked()
}

func (t *ticket) Abandon() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.done {
		t.finishLocked(routing.Abandoned)
	}
	t.r.record("abandon")
}

func (t *ticket) Finish(by string) {
	t.r.record("finish " + by)
}

// missString lists who missed an offer and why, sorted.
func missString(m map[string]string) string {
	parts := make([]string, 0, len(m))
	for id, why := range m {
		parts = append(parts, id+"="+why)
	}
	sort.Strings(parts)
	return strings.Join(parts, " ")
}
