package routing

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/switchboard-cc/switchboard/events"
)

// Ticket is one call's place in a queue. The queue node (or, for a
// callback, the dialer) reads offers from Offers, rings the offered agents,
// and reports back with exactly one of Answered or Missed per offer; Abandon
// when the caller hangs up while waiting; Finish when the conversation ends.
// Exited is closed once the call has left the queue, for any reason, and
// Exit then says which. Every method is safe to call from any goroutine;
// reports about an offer that is no longer current are ignored.
type Ticket struct {
	acd        *ACD
	req        Request
	group      *group
	number     string // callback number
	seq        uint64
	enqueuedAt time.Time // place in line
	entered    time.Time // when this ticket joined; max wait and overflow count from here
	state      ticketState
	step       int            // group overflow steps applied
	nodeStep   int            // the request's own overflow steps applied
	skills     map[string]int // the request's extra skills at nodeStep
	entries    []*entry       // the lines the call waits in: its own pool first, then overflow groups'
	offer      *offer
	agent      *agent
	exit       ExitReason
	timedOut   bool // max wait passed while an offer was ringing
	held       bool // a callback waiting, out of every line, for its group's calendar to open
	maxWait    deadline
	nextStep   deadline
	offers     chan Offer
	exited     chan struct{}
	offerCount int
	// Inline storage for the common case of one line, so a waiting call
	// costs fewer allocations.
	ownEntry   entry
	entryArray [1]*entry
}

type ticketState uint8

const (
	waiting   ticketState = iota
	offered               // agents reserved and ringing
	connected             // answered; the conversation is on
	finished              // conversation over
	gone                  // left without an agent
)

// offer is a reservation of agents for a call.
type offer struct {
	pub     Offer
	t       *Ticket
	group   *group
	pool    *pool
	agents  []*agent
	at      time.Time
	expires deadline
	// withdrawn is closed when the offer is taken back (Offer.Withdrawn);
	// made when first asked for, or set to closed if taken back before.
	withdrawn chan struct{}
	// Inline storage for the common one-agent offer.
	one   [1]*agent
	oneEP [1]Endpoint
}

// ahead reports whether t is served before o: higher priority first, then
// the earlier place in line, then arrival order.
func (t *Ticket) ahead(o *Ticket) bool {
	if t.req.Priority != o.req.Priority {
		return t.req.Priority > o.req.Priority
	}
	if !t.enqueuedAt.Equal(o.enqueuedAt) {
		return t.enqueuedAt.Before(o.enqueuedAt)
	}
	return t.seq < o.seq
}

// Enqueue puts a call in line for req.Group. It fails with an error
// wrapping ErrUnknownGroup for a group not in the configuration, and
// ErrClosed when the group's calendar is closed or no agent who could take
// the call is logged in (the queue node's on_closed branch); both are
// recorded as queue.closed. The first offer may already be waiting on
// Offers when it returns.
func (a *ACD) Enqueue(ctx context.Context, req Request) (*Ticket, error) {
	a.lock()
	defer a.unlock()
	return a.enqueue(ctx, req, "")
}

func (a *ACD) enqueue(ctx context.Context, req Request, number string) (*Ticket, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("enqueue call %s: %w", req.CallID, err)
	}
	g, ok := a.groups[req.Group]
	if !ok {
		return nil, fmt.Errorf("enqueue call %s to %q: %w", req.CallID, req.Group, ErrUnknownGroup)
	}
	if req.CallID == "" {
		return nil, fmt.Errorf("enqueue to %q: request without a call ID", req.Group)
	}
	if _, dup := a.tickets[req.CallID]; dup {
		return nil, fmt.Errorf("enqueue call %s to %q: %w", req.CallID, req.Group, ErrDuplicateCall)
	}
	for s, l := range req.Skills {
		if l < 0 || l > MaxLevel {
			return nil, fmt.Errorf("enqueue call %s: skill %s level %d out of range 0..%d", req.CallID, s, l, MaxLevel)
		}
	}
	if err := checkSkillSteps(req.Skills, req.Overflow); err != nil {
		return nil, fmt.Errorf("enqueue call %s: %w", req.CallID, err)
	}
	if !req.Callback {
		reason := ""
		switch {
		case g.calendar != nil && !g.calendar.Status(a.now).Open:
			reason = "calendar"
		case !a.staffedEventually(g, req.Skills, req.Overflow):
			// Nobody logged in could take the call now or after any
			// later overflow step (the group's or the request's).
			reason = "no_agents"
		}
		if reason != "" {
			g.stats.closed++
			a.touchGroup(g)
			a.emit(ctx, events.Event{CallID: req.CallID, Type: events.QueueClosed, Queue: g.name, Data: map[string]string{"reason": reason}})
			return nil, fmt.Errorf("enqueue call %s to %q (%s): %w", req.CallID, g.name, reason, ErrClosed)
		}
	}
	a.seq++
	t := &Ticket{
		acd:        a,
		req:        req,
		group:      g,
		number:     number,
		seq:        a.seq,
		enqueuedAt: req.EnqueuedAt,
		entered:    a.now,
		offers:     make(chan Offer, 1),
		exited:     make(chan struct{}),
		skills:     req.Skills,
	}
	t.maxWait = deadline{kind: dueMaxWait, t: t}
	t.nextStep = deadline{kind: dueStep, t: t}
	if p, ok := a.places.take(req.CallID, a.now); ok && req.Callback && req.EnqueuedAt.IsZero() && p.group == g.name {
		// A callback asked after the caller left this line (say, on
		// timeout into the after-hours menu) keeps the caller's place.
		t.enqueuedAt = p.at
	}
	if t.enqueuedAt.IsZero() || t.enqueuedAt.After(a.now) {
		t.enqueuedAt = a.now
	}
	t.entries = a.entriesFor(t, nil)
	a.tickets[req.CallID] = t
	g.waiting[t] = struct{}{}
	g.stats.entered++
	maxWait := g.maxWait
	if req.MaxWait > 0 {
		maxWait = req.MaxWait
	} else if req.Callback {
		maxWait = 0
	}
	if maxWait > 0 {
		a.schedule(&t.maxWait, t.entered.Add(maxWait))
	}
	a.scheduleStep(t)
	position := a.newPosition(t)
	a.toLine(t)
	data := map[string]string{"priority": strconv.Itoa(req.Priority), "position": strconv.Itoa(position)}
	if req.Callback {
		data["callback"] = "1"
		data["number"] = number
	}
	if g.sl.Within > 0 {
		// The group's service-level threshold travels with the visit, so
		// every report counts it against the group's own target, whatever
		// config (or none) the report is run with.
		data["sl_within_ms"] = strconv.FormatInt(time.Duration(g.sl.Within).Milliseconds(), 10)
	}
	if !t.enqueuedAt.Equal(a.now) { // a callback keeping its caller's place
		data["place"] = t.enqueuedAt.UTC().Format(time.RFC3339Nano)
	}
	a.emit(ctx, events.Event{CallID: req.CallID, Type: events.QueueEnter, Queue: g.name, Data: data})
	a.touchGroup(g)
	a.matchCall(ctx, t)
	return t, nil
}

func joinComma(s []string) string {
	out := ""
	for i, x := range s {
		if i > 0 {
			out += ","
		}
		out += x
	}
	return out
}

func (a *ACD) maxWaitPassed(t *Ticket) {
	switch t.state {
	case waiting:
		a.leaveLines(t)
		a.leave(context.Background(), t, TimedOut)
	case offered:
		// The agents are ringing: let the offer finish. If nobody answers,
		// the call leaves then instead of going back in line.
		t.timedOut = true
	}
}

// enterLines puts t in every pool line it belongs to.
func (a *ACD) enterLines(t *Ticket) {
	for _, e := range t.entries {
		e.pool.calls.push(e)
		e.pool.byPriority[t.req.Priority]++
	}
	t.state = waiting
	t.held = false
}

// leaveLines takes t out of every pool line.
func (a *ACD) leaveLines(t *Ticket) {
	for _, e := range t.entries {
		if e.index >= 0 {
			e.pool.calls.remove(e)
			if n := e.pool.byPriority[t.req.Priority] - 1; n > 0 {
				e.pool.byPriority[t.req.Priority] = n
			} else {
				delete(e.pool.byPriority, t.req.Priority)
			}
		}
	}
}

// unstaffed reports whether no line of t has an agent logged in, now or
// after t's later overflow steps.
func (t *Ticket) unstaffed() bool {
	for _, e := range t.entries {
		if e.pool.loggedIn > 0 {
			return false
		}
	}
	steps := t.req.Overflow[t.nodeStep:]
	if t.step == len(t.group.steps) && len(steps) == 0 {
		return true // no later step
	}
	return !t.acd.staffedEventually(t.group, t.skills, steps)
}

// leave ends t's time in the queue without an agent.
func (a *ACD) leave(ctx context.Context, t *Ticket, why ExitReason) {
	g := t.group
	position := 1 // ringing: next in line
	if t.state == waiting {
		position = a.position(t) // out of the lines already; the others ahead still count
	}
	a.cancel(&t.maxWait)
	a.cancel(&t.nextStep)
	t.drainOffer()
	t.state = gone
	t.exit = why
	delete(g.waiting, t)
	delete(a.tickets, t.req.CallID)
	if why == TimedOut || why == Closed {
		// The flow goes on (after-hours menu) and may ask for a callback:
		// remember the place. An abandoning caller has hung up.
		a.places.remember(t.req.CallID, linePlace{group: g.name, at: t.enqueuedAt}, a.now)
	}
	waited := a.now.Sub(t.entered)
	var typ events.Type
	switch why {
	case Abandoned:
		typ = events.QueueAbandon
		g.stats.abandoned++
		if g.sl.Within > 0 && waited > g.sl.Within.D() {
			g.stats.abandonedAfterSL++
		}
	case TimedOut:
		typ = events.QueueTimeout
		g.stats.timedOut++
	case Closed:
		typ = events.QueueClosed
		g.stats.closed++
	}
	data := map[string]string{"wait_ms": ms(waited), "position": strconv.Itoa(position)}
	if why == Closed {
		data["reason"] = "no_agents"
	}
	if t.req.Callback {
		data["callback"] = "1"
	}
	a.emit(ctx, events.Event{CallID: t.req.CallID, Type: typ, Queue: g.name, Data: data})
	a.touchGroup(g)
	close(t.exited)
}

// Offers delivers each reservation the ACD makes for this call. Only the
// latest matters: an offer the reader never took is replaced by the next.
func (t *Ticket) Offers() <-chan Offer { return t.offers }

// Exited is closed when the call has left the queue: answered, abandoned,
// timed out, or closed (the last agent who could take it logged out).
// Exit then says why.
func (t *Ticket) Exited() <-chan struct{} { return t.exited }

// Exit says why the call left the queue; 0 while it has not.
func (t *Ticket) Exit() ExitReason {
	t.acd.lock()
	defer t.acd.unlock()
	return t.exit
}

// Status is what the caller can be told now: their position among the
// calls waiting for the same agents (1 is next), the estimated wait from
// the group's recent answers, and how long they have waited.
func (t *Ticket) Status() Status {
	a := t.acd
	a.lock()
	defer a.unlock()
	st := Status{Waited: a.now.Sub(t.entered)}
	switch t.state {
	case waiting:
		st.Position = a.position(t)
	case offered:
		st.Position = 1
	default:
		return st
	}
	st.EstimatedWait = t.group.estimate(a.now, st.Position)
	return st
}

// newPosition is the position of a call that just arrived (not yet in
// line): one plus the calls at the same or higher priority, unless its
// place is backdated (a callback), which takes a count.
func (a *ACD) newPosition(t *Ticket) int {
	own := t.entries[0].pool
	if !t.enqueuedAt.Equal(a.now) {
		n := 1
		for _, e := range own.calls {
			if e.t.ahead(t) {
				n++
			}
		}
		return n
	}
	n := 1
	for prio, c := range own.byPriority {
		if prio >= t.req.Priority {
			n += c
		}
	}
	return n
}

// position counts the calls ahead of t in its own line.
func (a *ACD) position(t *Ticket) int {
	n := 1
	for _, e := range t.entries[0].pool.calls {
		if e.t != t && e.t.ahead(t) {
			n++
		}
	}
	return n
}

// Answered reports that agentID of offer took the call; the other agents of
// a ring_all offer are released at once. An answer for an offer whose
// reservation has already lapsed is still honoured if the call is waiting
// and the agent is idle, because the conversation is real.
func (t *Ticket) Answered(o Offer, agentID string) {
	a := t.acd
	a.lock()
	defer a.unlock()
	ctx := context.Background()
	switch {
	case t.state == offered && t.offer.pub.ID == o.ID:
		off := t.offer
		var winner *agent
		for _, ag := range off.agents {
			if ag.id == agentID {
				winner = ag
			}
		}
		if winner == nil {
			a.log.Warn("answered by an agent not in the offer; ignored", "call_id", t.req.CallID, "offer", o.ID, "agent", agentID)
			return
		}
		a.endOffer(t)
		var released []*agent
		for _, ag := range off.agents {
			if ag != winner {
				a.release(ctx, ag)
				released = append(released, ag)
			}
		}
		a.connect(ctx, t, winner, off.group, a.now.Sub(off.at))
		a.settle(ctx, released...)
	case t.state == waiting:
		ag := a.agents[agentID]
		if ag == nil || ag.activity != Idle || ag.presence == LoggedOut {
			a.log.Warn("late answer for a lapsed offer; agent not idle, ignored", "call_id", t.req.CallID, "offer", o.ID, "agent", agentID)
			return
		}
		a.log.Warn("late answer for a lapsed offer; connecting", "call_id", t.req.CallID, "offer", o.ID, "agent", agentID)
		a.leaveLines(t)
		a.cancel(&ag.rest)
		ag.restUntil = time.Time{}
		a.connect(ctx, t, ag, t.group, 0)
	default:
		a.log.Debug("answer for a call no longer in line; ignored", "call_id", t.req.CallID, "offer", o.ID)
	}
}

// Missed reports that nobody of offer answered; misses maps each agent who
// was rung to why ("timeout", "busy", "decline", "unreachable"). An agent
// of the offer not in misses is released without a miss. The call goes
// back to its own place in line, or leaves with TimedOut if its max wait
// passed while it rang.
func (t *Ticket) Missed(o Offer, misses map[string]string) {
	a := t.acd
	a.lock()
	defer a.unlock()
	if t.state != offered || t.offer.pub.ID != o.ID {
		a.log.Debug("missed report for an offer no longer current; ignored", "call_id", t.req.CallID, "offer", o.ID)
		return
	}
	a.missed(context.Background(), t, misses)
}

func (a *ACD) missed(ctx context.Context, t *Ticket, misses map[string]string) {
	off := t.offer
	a.endOffer(t)
	for _, ag := range off.agents {
		if reason, ok := misses[ag.id]; ok {
			a.miss(ctx, ag, off, reason)
		} else {
			a.release(ctx, ag)
		}
	}
	if t.timedOut {
		a.leave(ctx, t, TimedOut)
		a.settle(ctx, off.agents...)
		return
	}
	a.backInLine(ctx, t)
	// Agents released without a miss look first, among all their lines, so
	// the returning call does not jump a longer-waiting one of theirs.
	a.settle(ctx, off.agents...)
	a.matchCall(ctx, t)
}

// backInLine returns a call whose offer ended unanswered to its own place,
// or lets it leave with Closed when nobody logged in could take it any
// more (the agents who could logged out, or lost the skill, while it rang),
// as leaveEmpty does for the calls in line.
func (a *ACD) backInLine(ctx context.Context, t *Ticket) {
	a.toLine(t) // same keys: the same place as before
	a.touchGroup(t.group)
	if !t.req.Callback && t.unstaffed() {
		a.leaveLines(t)
		a.leave(ctx, t, Closed)
	}
}

// Abandon reports that the caller hung up while waiting or ringing.
func (t *Ticket) Abandon() {
	a := t.acd
	a.lock()
	defer a.unlock()
	a.abandon(context.Background(), t)
}

func (a *ACD) abandon(ctx context.Context, t *Ticket) {
	switch t.state {
	case waiting:
		a.leaveLines(t)
		a.leave(ctx, t, Abandoned)
	case offered:
		off := t.offer
		a.endOffer(t)
		for _, ag := range off.agents {
			a.release(ctx, ag)
		}
		a.leave(ctx, t, Abandoned)
		a.settle(ctx, off.agents...)
	}
}

// Finish reports that the conversation ended, by "caller", "agent" or
// "system"; the agent goes to wrap-up.
func (t *Ticket) Finish(by string) {
	a := t.acd
	a.lock()
	defer a.unlock()
	if t.state != connected {
		return
	}
	a.finish(context.Background(), t, by)
}
