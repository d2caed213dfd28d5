package metrics

import (
	"time"

	"github.com/switchboard-cc/switchboard/events"
)

// Agent time: an agent's part of a call (talk, hold, after-call work) and
// their presence (login, not ready), split across intervals.

// segmentEvent folds hold, unhold and transfer into cs's agent segment.
func (c *Computer) segmentEvent(cs *callState, e events.Event) {
	ts := e.Time
	switch e.Type {
	case events.CallHold:
		if s := cs.seg; s != nil && !s.onHold {
			s.onHold, s.holdStart = true, ts
		}
	case events.CallUnhold:
		if s := cs.seg; s != nil && s.onHold {
			s.onHold = false
			s.hold += nonNeg(ts.Sub(s.holdStart))
		}
	case events.CallTransfer:
		if cs.seg != nil {
			c.endSegment(cs, ts, true)
		} else {
			cs.transferred = true
		}
	}
}

// startSegment starts agent's part of cs at ts, answered from queue in
// interval slot.
func (c *Computer) startSegment(cs *callState, queue, agent string, slot int64, ts time.Time) {
	if cs.seg != nil {
		c.endSegment(cs, ts, false)
	}
	if prev := c.acw[agent]; prev != nil {
		// A new call before any wrap-up end: that call had no ACW.
		c.handled(prev, 0)
		delete(c.acw, agent)
	}
	cs.seg = &segment{queue: queue, agent: agent, slot: slot, connect: ts}
}

// endSegment closes the agent's part of the call at ts (hang-up or
// transfer): talk and hold stop, after-call work starts.
func (c *Computer) endSegment(cs *callState, ts time.Time, transferred bool) {
	s := cs.seg
	cs.seg = nil
	s.end, s.transferred = ts, transferred
	if s.onHold {
		s.hold += nonNeg(ts.Sub(s.holdStart))
		s.onHold = false
	}
	c.span(s.queue, s.agent, s.connect, ts, addBusy)
	if prev := c.acw[s.agent]; prev != nil {
		c.handled(prev, 0)
	}
	c.acw[s.agent] = s
}

func (c *Computer) wrapupEnd(agent string, ts time.Time) {
	s := c.acw[agent]
	if s == nil {
		return
	}
	delete(c.acw, agent)
	c.span(s.queue, s.agent, s.end, ts, addBusy)
	c.handled(s, nonNeg(ts.Sub(s.end)))
}

// handled records one finished piece of agent work for AHT.
func (c *Computer) handled(s *segment, acw time.Duration) {
	b := c.bucket(s.queue, s.agent, s.slot)
	b.Handled++
	if s.transferred {
		b.Transferred++
	}
	b.Hold += s.hold
	b.Talk += nonNeg(s.end.Sub(s.connect)) - s.hold
	b.ACW += acw
}

func (c *Computer) agentState(e events.Event) {
	a := c.agents[e.Agent]
	if a == nil {
		a = &agentState{}
		c.agents[e.Agent] = a
	}
	ts := e.Time
	c.closeAgentSpan(e.Agent, a, ts)
	switch e.Data["state"] {
	case "login":
		a.loggedIn, a.notReady, a.reason = true, true, orDefault(e.Data["reason"], "login")
	case "logout":
		a.loggedIn, a.notReady = false, false
	case "ready":
		a.loggedIn, a.notReady = true, false
	case "not_ready":
		a.loggedIn, a.notReady, a.reason = true, true, orDefault(e.Data["reason"], "unspecified")
	}
	a.since = ts
}

// closeAgentSpan books the agent's time since the last state change.
func (c *Computer) closeAgentSpan(agent string, a *agentState, ts time.Time) {
	if !a.loggedIn || !ts.After(a.since) {
		return
	}
	c.span("", agent, a.since, ts, addLoggedIn)
	if a.notReady {
		reason := a.reason
		c.span("", agent, a.since, ts, func(b *bucket, d time.Duration) {
			b.NotReady += d
			if b.NotReadyBy == nil {
				b.NotReadyBy = make(map[string]time.Duration)
			}
			b.NotReadyBy[reason] += d
		})
	}
}

func addBusy(b *bucket, d time.Duration)     { b.Busy += d }
func addLoggedIn(b *bucket, d time.Duration) { b.LoggedIn += d }
