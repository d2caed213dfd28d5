package sip

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/switchboard-cc/switchboard/events"
	"github.com/switchboard-cc/switchboard/ivr"
	"github.com/switchboard-cc/switchboard/routing"
)

// Callback is the routing.Options.Callbacks hook: a callback (virtual hold)
// reached an agent, who is reserved for it. It dials the customer first;
// when they answer they hear the Connecting prompt and the reserved agent's
// phone rings, exactly as for a caller on the line (Answered, Missed,
// Finish on the ticket; after a miss the customer hears music until the
// next offer). A customer who does not answer or is busy costs the agent
// nothing: the callback leaves the line (queue.abandon), and after
// RetryAfter comes back at its original place, up to Attempts calls; then
// it is dropped (logged). It returns at once; the call runs in its own
// goroutine.
func (d *Dialer) Callback(due routing.CallbackDue) {
	d.mu.Lock()
	if d.active[due.Request.CallID] {
		// The callback in progress reads the new offer from the ticket.
		d.mu.Unlock()
		return
	}
	d.active[due.Request.CallID] = true
	d.attempts[due.Request.CallID]++
	attempt := d.attempts[due.Request.CallID]
	ctx := d.runCtx
	d.mu.Unlock()
	if ctx == nil {
		ctx = context.Background() // not serving yet: Dial fails and the callback is retried
	}
	go d.runCallback(ctx, due, attempt)
}

// Active reports whether the callback callID is being dialled or talked.
func (d *Dialer) Active(callID string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.active[callID]
}

func (d *Dialer) runCallback(ctx context.Context, due routing.CallbackDue, attempt int) {
	id, t, offer := due.Request.CallID, due.Ticket, due.Offer
	log := d.log.With("call_id", id, "number", due.Number, "group", due.Request.Group, "attempt", attempt)
	keepAttempts := false
	defer func() {
		d.mu.Lock()
		delete(d.active, id)
		if !keepAttempts {
			delete(d.attempts, id)
		}
		d.mu.Unlock()
	}()

	// The agents stay reserved for RingTimeout+ReservationGrace: the
	// customer rings for part of it, the agent for the rest.
	reserved := d.srv.now().Add(offer.RingTimeout + routing.ReservationGrace)
	agentRing := min(offer.RingTimeout, 10*time.Second)
	customerRing := min(d.cfg.RingTimeout, max(offer.RingTimeout+routing.ReservationGrace-agentRing, 5*time.Second))

	d.emit(ctx, id, events.CallStart, "", map[string]string{"from": d.cfg.From, "to": due.Number,
		"transport": "sip", "direction": "outbound", "kind": "callback", "attempt": strconv.Itoa(attempt)})
	call, err := d.Dial(ctx, id, due.Number, customerRing)
	if err != nil {
		// The agents were reserved for nothing: release them without a
		// miss and take the callback out of line.
		t.Abandon()
		reason := "failed"
		var de *DialError
		if errors.As(err, &de) {
			reason = "no_answer"
			if de.Status == 486 || de.Status == 600 || de.Status == 603 {
				reason = "busy"
			}
		}
		log.Info("callback: customer not reached", "err", err)
		d.emit(ctx, id, events.CallEnd, "", map[string]string{"result": "failed", "reason": reason, "by": ivr.BySystem, "direction": events.DirectionOutbound})
		if attempt >= d.cfg.Attempts || ctx.Err() != nil || d.requeue == nil {
			log.Warn("callback dropped: customer not reached", "attempts", attempt)
			return
		}
		keepAttempts = true
		req := due.Request
		req.EnqueuedAt = t.EnqueuedAt() // back at the original place
		d.srv.clock.AfterFunc(d.cfg.RetryAfter, func() {
			if ctx.Err() != nil {
				return
			}
			if err := d.requeue(ctx, req, due.Number); err != nil {
				log.Warn("callback dropped: cannot put it back in line", "err", err)
				d.mu.Lock()
				delete(d.attempts, id)
				d.mu.Unlock()
			}
		})
		return
	}
	hctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer func() { call.Hangup(hctx); cancel() }()
	by, reason := d.talk(ctx, call, t, offer, reserved)
	d.emit(ctx, id, events.CallEnd, "", map[string]string{"result": "completed", "reason": reason, "by": by, "direction": events.DirectionOutbound})
}

// talk connects the answered customer to the reserved agent, and to the
// next offers after a miss, until the conversation ends. It returns who
// ended the call and why, and leaves the ticket reported.
func (d *Dialer) talk(ctx context.Context, call *Outbound, t *routing.Ticket, offer routing.Offer, reserved time.Time) (by, reason string) {
	gone := func() (string, string) {
		t.Abandon()
		if lineDead(call) {
			return ivr.BySystem, reasonRTPTimeout
		}
		return ivr.ByCaller, ivr.ReasonCallerHangup
	}
	if err := call.Play(ctx, ivr.Playback{Prompts: []ivr.Prompt{{Name: "connecting", File: d.cfg.Connecting}}}); err != nil {
		if errors.Is(err, ivr.ErrHangup) {
			return gone()
		}
		t.Abandon()
		return ivr.BySystem, ivr.ReasonShutdown
	}
	for {
		// Only the current offer matters: one the ACD made after the
		// first reservation lapsed replaces it.
		select {
		case o := <-t.Offers():
			offer = o
		default:
		}
		ring := offer.RingTimeout
		if left := reserved.Sub(d.srv.now()) - time.Second; left < ring {
			ring = max(left, 2*time.Second)
		}
		o := offer
		o.RingTimeout = ring
		leg, err := connectUnlessWithdrawn(ctx, call, o)
		var missed *ivr.ConnectError
		switch {
		case errors.As(err, &missed):
			t.Missed(offer, missed.Misses)
		case err != nil && errors.Is(err, ivr.ErrHangup):
			return gone()
		case err != nil:
			misses := make(map[string]string, len(offer.Agents))
			for _, a := range offer.Agents {
				misses[a.AgentID] = ivr.MissUnreachable
			}
			t.Missed(offer, misses)
		default:
			t.Answered(offer, leg.AgentID())
			select {
			case <-leg.Done():
				by = leg.EndedBy()
			case <-ctx.Done():
				by = ivr.BySystem
			}
			if lineDead(call) {
				t.Finish(ivr.BySystem)
				return ivr.BySystem, reasonRTPTimeout
			}
			t.Finish(by)
			if by == ivr.ByCaller {
				return by, ivr.ReasonCallerHangup
			}
			return by, ivr.ReasonAgentHangup
		}
		// Missed: the callback is back at its place; the customer waits
		// with music for the next offer.
		next, ok := d.waitForOffer(ctx, call, t)
		if !ok {
			select {
			case <-call.Done():
				return gone()
			default:
			}
			return ivr.BySystem, ivr.ReasonQueueClosed
		}
		offer = next
		reserved = d.srv.now().Add(offer.RingTimeout + routing.ReservationGrace)
	}
}

const reasonRTPTimeout = "rtp_timeout"

// lineDead reports whether call ended because the customer sent no RTP
// (the Dialer's RTP timeout), not by a BYE.
func lineDead(call *Outbound) bool {
	select {
	case <-call.Done():
		by, reason := call.Ended()
		return by == ivr.BySystem && reason == reasonRTPTimeout
	default:
		return false
	}
}

// connectUnlessWithdrawn rings the offer's agents and stops the moment the
// ACD withdraws the offer (the agent logged out while ringing). The ring
// then ends with ctx's error, reported as a miss the ACD ignores (the offer
// is no longer current), and the customer waits for the next offer.
func connectUnlessWithdrawn(ctx context.Context, call *Outbound, o routing.Offer) (ivr.Leg, error) {
	withdrawn := o.Withdrawn()
	if withdrawn == nil {
		return call.Connect(ctx, o)
	}
	ringCtx, stop := context.WithCancel(ctx)
	defer stop()
	go func() {
		select {
		case <-withdrawn:
			stop()
		case <-ringCtx.Done():
		}
	}()
	return call.Connect(ringCtx, o)
}

// waitForOffer plays hold music until the ticket's next offer; false when
// the callback left the line instead or the customer hung up (the ticket
// is then abandoned).
func (d *Dialer) waitForOffer(ctx context.Context, call *Outbound, t *routing.Ticket) (routing.Offer, bool) {
	mctx, stop := context.WithCancel(ctx)
	music := make(chan struct{})
	go func() {
		defer close(music)
		var moh ivr.Playback
		if a := d.srv.agents; a != nil {
			moh = a.HoldMusic
		}
		call.Hold(mctx, moh)
	}()
	defer func() { stop(); <-music }()
	select {
	case o := <-t.Offers():
		return o, true
	case <-t.Exited():
		return routing.Offer{}, false
	case <-call.Done():
		t.Abandon()
		return routing.Offer{}, false
	case <-ctx.Done():
		t.Abandon()
		return routing.Offer{}, false
	}
}

func (d *Dialer) emit(ctx context.Context, callID string, typ events.Type, node string, data map[string]string) {
	d.srv.events.Emit(ctx, events.Event{Time: d.srv.now().UTC(), CallID: callID, Type: typ, Node: node, Data: data})
}
