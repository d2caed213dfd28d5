package routing

import (
	"context"
	"strconv"
	"time"

	"github.com/switchboard-cc/switchboard/events"
)

// The state machine keeps one invariant between decisions: no free agent
// is eligible for a waiting call. It is restored after every change that
// could break it — a call joins a line (arrival, miss, overflow step: the
// call looks for an agent) or an agent becomes free (the agent looks for a
// call) — so each decision only looks at the heads of a few pools.

// set changes an agent's presence and activity together. It is the only
// place either changes; it keeps the logged-in counts and the ready indexes
// in step with them.
func (a *ACD) set(ag *agent, p Presence, reason string, act Activity) {
	if p == LoggedOut && act != Idle {
		panic("routing: an agent can only log out when idle")
	}
	if was, now := ag.presence != LoggedOut, p != LoggedOut; was != now {
		d := 1
		if !now {
			d = -1
		}
		for _, m := range ag.memberships {
			m.pool.loggedIn += d
		}
	}
	if ag.presence != p || ag.activity != act || ag.reason != reason {
		ag.since = a.now
	}
	ag.presence, ag.reason, ag.activity = p, reason, act
	if act == Idle && a.claims != nil {
		a.unclaim(ag)
	}
	a.reindex(ag)
	a.touchAgent(ag)
	if len(a.subs) > 0 {
		for _, m := range ag.memberships {
			for _, g := range m.pool.baseOf {
				a.touchGroup(g)
			}
		}
	}
}

// reindex puts the agent in or takes it out of the ready indexes of its
// pools, according to the state machine.
func (a *ACD) reindex(ag *agent) {
	free := ag.free(a.now)
	if free == ag.available {
		return
	}
	ag.available = free
	for _, m := range ag.memberships {
		if free {
			m.pool.agents.push(m)
		} else {
			m.pool.agents.remove(m)
		}
	}
}

// settle lets each free agent of ags look for a waiting call.
func (a *ACD) settle(ctx context.Context, ags ...*agent) {
	for _, ag := range ags {
		a.matchAgent(ctx, ag)
	}
}

// matchAgent offers the agent the best waiting call among all its pools —
// highest priority, then longest waiting — so an agent in several groups
// serves them fairly.
func (a *ACD) matchAgent(ctx context.Context, ag *agent) {
	for ag.available {
		best := ag.pickCall()
		if best == nil {
			return
		}
		a.offer(ctx, best, ag)
	}
}

// pickCall is the agent-side decision: the head of each of the agent's
// pools' lines, best first. It looks at one call per pool, never at all.
func (ag *agent) pickCall() *entry {
	var best *entry
	for _, m := range ag.memberships {
		if len(m.pool.calls) > 0 {
			if e := m.pool.calls[0]; best == nil || e.t.ahead(best.t) {
				best = e
			}
		}
	}
	return best
}

// matchCall offers t to a free agent of its own line if there is one, else
// of the overflow groups' lines in step order.
func (a *ACD) matchCall(ctx context.Context, t *Ticket) {
	if t.state != waiting || t.held {
		return
	}
	// An offer refused by Claims leaves the call waiting and takes the
	// agent out of reach, so look again until offered or out of agents.
	for t.state == waiting {
		e := t.pickLine()
		if e == nil {
			return
		}
		a.offer(ctx, e, nil)
	}
}

// pickLine is the call-side decision: the first of t's lines with a free
// agent (whose pool heap holds the strategy's choice at its head).
func (t *Ticket) pickLine() *entry {
	for _, e := range t.entries {
		if len(e.pool.agents) > 0 {
			return e
		}
	}
	return nil
}

// offer reserves agents of e's pool for e's call: only, when an agent is
// looking for a call; else the head by strategy, or every free agent for
// ring_all.
func (a *ACD) offer(ctx context.Context, e *entry, only *agent) {
	t, p, g := e.t, e.pool, e.group
	off := &offer{t: t, group: g, pool: p, at: a.now}
	switch {
	case only != nil:
		off.one[0] = only
		off.agents = off.one[:]
	case p.strategy == RingAll:
		off.agents = make([]*agent, len(p.agents))
		for i, m := range p.agents {
			off.agents[i] = m.ag
		}
	default:
		off.one[0] = p.agents[0].ag
		off.agents = off.one[:]
	}
	if a.claims != nil {
		kept := make([]*agent, 0, len(off.agents))
		for _, ag := range off.agents {
			if a.claim(ag, t) {
				kept = append(kept, ag)
			}
		}
		if len(kept) == 0 {
			return // every agent is another node's: the caller looks again
		}
		off.agents = kept
	}
	agents := off.agents
	eps := off.oneEP[:]
	if len(agents) > 1 {
		eps = make([]Endpoint, len(agents))
	}
	a.leaveLines(t)
	t.offerCount++
	off.pub = Offer{ID: t.req.CallID + "#" + strconv.Itoa(t.offerCount), Group: g.name, Agents: eps, RingTimeout: g.ringTimeout, off: off}
	p.rrSeq++
	for i, ag := range agents {
		eps[i] = ag.endpoint()
		ag.offer = off
		a.set(ag, ag.presence, ag.reason, Reserved)
		if m := p.members[ag]; m != nil {
			m.rr = p.rrSeq // out of the index now, so the key may change
		}
		a.emit(ctx, events.Event{CallID: t.req.CallID, Type: events.AgentOffer, Queue: t.group.name, Agent: ag.id,
			Data: map[string]string{"offer": off.pub.ID, "via": g.name, "ring_timeout_ms": ms(g.ringTimeout)}})
	}
	t.state = offered
	t.offer = off
	off.expires = deadline{kind: dueReservation, t: t, off: off}
	a.schedule(&off.expires, a.now.Add(g.ringTimeout+ReservationGrace))
	t.drainOffer() // only the current offer matters
	t.offers <- off.pub
	if t.req.Callback && a.callbacks != nil {
		due, hook := CallbackDue{Number: t.number, Request: t.req, Offer: off.pub, Ticket: t}, a.callbacks
		a.after = append(a.after, func() { hook(due) })
	}
	a.touchGroup(t.group)
}

// reservationLapsed handles a transport that never reported on an offer:
// every agent counts as missed by timeout.
func (a *ACD) reservationLapsed(t *Ticket, off *offer) {
	if t.offer != off {
		return
	}
	a.log.Warn("offer reservation lapsed without a report", "call_id", t.req.CallID, "offer", off.pub.ID)
	misses := make(map[string]string, len(off.agents))
	for _, ag := range off.agents {
		misses[ag.id] = "timeout"
	}
	a.missed(context.Background(), t, misses)
}

// endOffer ends t's current reservation; the caller moves the agents on.
func (a *ACD) endOffer(t *Ticket) {
	off := t.offer
	a.cancel(&off.expires)
	for _, ag := range off.agents {
		ag.offer = nil
	}
	t.offer = nil
	t.drainOffer()
}

// drainOffer takes an offer nobody read out of the channel, so a reader
// never acts on one that is over.
func (t *Ticket) drainOffer() {
	select {
	case <-t.offers:
	default:
	}
}

// release frees a reserved agent without penalty.
func (a *ACD) release(ctx context.Context, ag *agent) {
	a.set(ag, ag.presence, ag.reason, Idle)
	a.logoutIfPending(ctx, ag)
}

// miss records a missed offer: the agent rests for the group's retry time,
// or after max_misses in a row goes not_ready(no_answer).
func (a *ACD) miss(ctx context.Context, ag *agent, off *offer, reason string) {
	a.emit(ctx, events.Event{CallID: off.t.req.CallID, Type: events.AgentNoAnswer, Queue: off.t.group.name, Agent: ag.id,
		Data: map[string]string{"reason": reason, "ring_ms": ms(a.now.Sub(off.at)), "offer": off.pub.ID}})
	ag.misses++
	if ag.presence == Ready && ag.misses >= off.group.maxMisses {
		ag.misses = 0
		a.set(ag, NotReady, "no_answer", Idle)
		a.emit(ctx, events.Event{Type: events.AgentState, Agent: ag.id,
			Data: map[string]string{"state": "not_ready", "reason": "no_answer", "by": "system"}})
	} else {
		ag.restUntil = a.now.Add(off.group.retry)
		a.schedule(&ag.rest, ag.restUntil)
		a.set(ag, ag.presence, ag.reason, Idle)
	}
	a.logoutIfPending(ctx, ag)
}

// connect records that ag answered t.
func (a *ACD) connect(ctx context.Context, t *Ticket, ag *agent, via *group, ring time.Duration) {
	g := t.group
	a.cancel(&t.maxWait)
	a.cancel(&t.nextStep)
	t.state = connected
	t.agent = ag
	t.exit = Answered
	delete(g.waiting, t)
	ag.call = t
	ag.answeredAt = a.now
	ag.calls++
	ag.misses = 0
	ag.wrapGroup = via
	a.set(ag, ag.presence, ag.reason, OnCall)
	wait := a.now.Sub(t.entered)
	g.stats.answer(a.now, wait, g.sl)
	data := map[string]string{"wait_ms": ms(wait), "ring_ms": ms(ring)}
	if via != g {
		data["via"] = via.name
	}
	if t.req.Callback {
		data["callback"] = "1"
	}
	a.emit(ctx, events.Event{CallID: t.req.CallID, Type: events.QueueConnect, Queue: g.name, Agent: ag.id, Data: data})
	a.touchGroup(g)
	close(t.exited)
}

// finish ends t's conversation; its agent wraps up.
func (a *ACD) finish(ctx context.Context, t *Ticket, by string) {
	ag := t.agent
	t.state = finished
	delete(a.tickets, t.req.CallID)
	ag.talk += a.now.Sub(ag.answeredAt)
	a.log.Debug("conversation ended", "call_id", t.req.CallID, "agent", ag.id, "by", by)
	ag.wrapStart = a.now
	if wrap := ag.wrapGroup.wrapUp; wrap > 0 {
		a.set(ag, ag.presence, ag.reason, WrapUp)
		a.schedule(&ag.wrap, a.now.Add(wrap))
		return
	}
	a.set(ag, ag.presence, ag.reason, WrapUp)
	a.endWrap(ctx, ag)
}

// endWrap ends an agent's after-call work; a logout asked during the call
// takes effect now.
func (a *ACD) endWrap(ctx context.Context, ag *agent) {
	a.cancel(&ag.wrap)
	t := ag.call
	ag.call = nil
	a.emit(ctx, events.Event{CallID: t.req.CallID, Type: events.AgentWrapupEnd, Queue: t.group.name, Agent: ag.id,
		Data: map[string]string{"wrap_ms": ms(a.now.Sub(ag.wrapStart))}})
	ag.idleSince = a.now
	a.set(ag, ag.presence, ag.reason, Idle)
	a.logoutIfPending(ctx, ag)
	a.settle(ctx, ag)
}

// logoutIfPending applies a logout asked while the agent was busy.
func (a *ACD) logoutIfPending(ctx context.Context, ag *agent) {
	if !ag.logoutPending || ag.activity != Idle {
		return
	}
	a.logout(ctx, ag, ag.logoutBy, ag.logoutWhy)
}
