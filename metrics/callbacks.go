package metrics

import (
	"time"

	"github.com/switchboard-cc/switchboard/events"
)

// Callbacks (virtual hold). The caller asks for a callback and hangs up;
// the ACD keeps their place (queue.enter with Data callback=1, under the
// caller's call ID); at the head of the line the dialler calls the customer
// on the trunk (call.start with Data direction=outbound, kind=callback,
// same call ID) and the callback's queue.connect follows. So:
//
//   - the dialled leg is not an inbound call: no traffic, outcome,
//     containment or repeat caller; it is counted in CallbackStats and in
//     the day's callbacks dialled and connected;
//   - the callback's visit is not abandoned when the caller hangs up: it
//     ends when the callback is answered, times out, or leaves the line
//     because the customer was not reached (or it was cancelled), which
//     counts as abandoned until a retry takes the place back;
//   - a callback asked in the same call after a timeout or a closing, for
//     the same queue within keptPlace, takes the place the caller left, as
//     the ACD does: the earlier visit's count is taken back and the visit
//     goes on, so its wait runs from the caller's first queue.enter.

// keptPlace mirrors routing's rememberPlace: how long after a timeout or a
// closing the ACD lets a callback asked in the same call take the place.
const keptPlace = 30 * time.Minute

// CallbackStats counts callbacks (virtual hold) over the range.
type CallbackStats struct {
	Requested int `json:"requested"` // callback.requested: callbacks booked in the IVR
	Dialled   int `json:"dialled"`   // customer calls placed (each attempt)
	Connected int `json:"connected"` // callbacks answered by an agent
	Dropped   int `json:"dropped"`   // left the line unanswered: customer not reached and not retried (yet), or cancelled
	Waiting   int `json:"waiting"`   // still in line at the end of the range
}

// callbackEvent folds e in when it belongs to a callback's dialled leg or
// queue visit rather than to an inbound call, and reports whether it did.
func (c *Computer) callbackEvent(e events.Event) bool {
	id := e.CallID
	switch e.Type {
	case events.CallStart:
		if !events.Outbound(e) {
			return false
		}
		c.dialledStart(e)
	case events.CallEnd:
		if len(c.dialled) == 0 {
			return false
		}
		leg := c.dialled[id]
		if leg == nil {
			return false
		}
		if _, inbound := c.calls[id]; inbound && !events.EndsDialledLeg(e) {
			return false
		}
		if leg.seg != nil {
			c.endSegment(leg, e.Time, false)
		}
		delete(c.dialled, id)
	case events.CallHold, events.CallUnhold, events.CallTransfer:
		if len(c.dialled) == 0 {
			return false
		}
		leg := c.dialled[id]
		if leg == nil || leg.seg == nil {
			return false
		}
		c.segmentEvent(leg, e)
	case events.QueueEnter, events.QueueConnect, events.QueueAbandon, events.QueueTimeout,
		events.QueueOverflow, events.QueueClosed:
		if e.Data["callback"] != "1" {
			return false
		}
		c.callbackQueue(e)
	default:
		return false
	}
	return true
}

func (c *Computer) dialledStart(e events.Event) {
	if old := c.dialled[e.CallID]; old != nil && old.seg != nil {
		c.endSegment(old, e.Time, false) // the last attempt never ended
	}
	c.dialled[e.CallID] = &callState{start: e.Time, hasStart: true}
	if e.Data["kind"] == "callback" {
		c.callbacks.Dialled++
		c.day(e.Time).CallbacksDialled++
	}
}

// callbackQueue folds a queue event of a callback's visit.
func (c *Computer) callbackQueue(e events.Event) {
	id, ts := e.CallID, e.Time
	v := c.cbVisits[id]
	switch e.Type {
	case events.QueueEnter:
		c.callbackEnter(e)
	case events.QueueConnect:
		delete(c.cbVisits, id)
		if v == nil { // its queue.enter is outside the range
			v = &visit{queue: e.Queue, enter: ts, slot: c.slot(ts)}
		}
		c.countExit(v, ts, exitAnswered, e.Agent)
		leg := c.dialled[id]
		if leg == nil { // the transport wrote no call.start: its call.end ends this
			leg = &callState{}
			c.dialled[id] = leg
		}
		c.startSegment(leg, v.queue, e.Agent, v.slot, ts)
		c.callbacks.Connected++
		c.day(ts).CallbacksConnected++
	case events.QueueOverflow:
		if v != nil && v.queue == e.Queue {
			v.overflowed = true
		}
	case events.QueueAbandon, events.QueueTimeout, events.QueueClosed:
		if v == nil {
			return
		}
		delete(c.cbVisits, id)
		kind := exitAbandon
		switch e.Type {
		case events.QueueTimeout:
			kind = exitTimeout
		case events.QueueClosed:
			kind = exitClosed
		}
		x := c.countExit(v, ts, kind, "")
		if kind == exitAbandon {
			// Not reached (or cancelled): dropped unless the dialler
			// puts it back in line, at its place, after a pause.
			c.cbLeft[id] = &x
			c.callbacks.Dropped++
		}
	}
}

// callbackEnter opens a callback's visit, or lets it go on at the place a
// visit of the same call left in the same queue.
func (c *Computer) callbackEnter(e events.Event) {
	id, ts := e.CallID, e.Time
	if old := c.cbVisits[id]; old != nil {
		// In line again without an exit event: as for inbound calls.
		c.countExit(old, ts, exitOverflow, "")
	}
	var v *visit
	if x := c.cbLeft[id]; x != nil && x.visit.queue == e.Queue {
		// A retry after the customer was not reached.
		c.uncount(x)
		c.callbacks.Dropped--
		v = x.visit
	}
	delete(c.cbLeft, id)
	if cs := c.calls[id]; cs != nil {
		if x := cs.left; v == nil && x != nil && x.visit.queue == e.Queue && ts.Sub(x.at) <= keptPlace {
			// Asked after a timeout or a closing (the after-hours menu):
			// the callback takes the place the caller left.
			c.uncount(x)
			v = x.visit
		}
		cs.left, cs.callback = nil, true
	}
	if v == nil {
		v = &visit{queue: e.Queue, enter: ts, slot: c.slot(ts)}
	}
	c.cbVisits[id] = v
}
