package ivr

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/switchboard-cc/switchboard/flows"
	"github.com/switchboard-cc/switchboard/routing"
)

// Prompt names the queue announcement uses, from the prompt set of the
// call's language: "you_are_number", number:<position>, then
// "estimated_wait", number:<minutes>, "minutes".
const (
	PromptPosition      = "you_are_number"
	PromptEstimatedWait = "estimated_wait"
	PromptMinutes       = "minutes"
)

// queue hands the call to the Router and waits: music on hold, interrupted
// every Announce.Every by the caller's position and estimated wait. On an
// offer the music stops and the transport rings the agents. A connected
// call goes to Next once the conversation is over; a miss keeps the place
// in line and the music resumes. Closed goes to OnClosed at once; a timeout
// or overflow goes to OnTimeout. A caller who hangs up while waiting
// abandons the ticket.
//
// An agent who blind-transfers the caller (a Leg that is a TransferredLeg)
// ends their part there; a transfer to a skill group puts the caller back in
// line there and the wait goes on as above, with this node's music,
// announcements and branches; a transfer to a number hands the call out of
// the flow (transfer_agent.go).
func (r *run) queue(ctx context.Context, n *flows.Node) (*flows.Node, error) {
	q := n.Queue
	req := routing.Request{
		CallID:   r.call.ID(),
		Caller:   r.call.From(),
		Group:    q.Group,
		Skills:   q.Skills,
		Priority: q.Priority,
		MaxWait:  q.MaxWait,
		Overflow: skillSteps(q.Overflow),
	}
	ticket, next, err := r.enqueue(ctx, n, req)
	if ticket == nil {
		return next, err
	}

	for {
		offer, exited, err := r.waitInLine(ctx, q, ticket)
		if err != nil {
			ticket.Abandon()
			return nil, err
		}
		if exited {
			if ticket.Exit() == routing.Closed {
				if q.OnClosed != nil {
					return q.OnClosed, nil
				}
				return nil, r.finish(Completed, ReasonQueueClosed)
			}
			if q.OnTimeout != nil {
				return q.OnTimeout, nil
			}
			return nil, r.finish(Completed, ReasonQueueTimeout)
		}

		leg, err := r.ring(ctx, offer)
		var missed *ConnectError
		switch {
		case err != nil && withdrawn(offer) && ctx.Err() == nil && !r.callerGone(ctx, err):
			// The ACD took the offer back (the agent logged out while
			// ringing): the call is back at its place; nothing to report.
			continue
		case errors.As(err, &missed):
			ticket.Missed(offer, missed.Misses)
			continue
		case err != nil && r.callerGone(ctx, err):
			ticket.Abandon()
			return nil, err
		case err != nil:
			// The transport could not ring anyone: the agents were
			// unreachable; the caller keeps the place in line.
			r.log.Warn("connect failed", "node", n.ID, "offer", offer.ID, "err", err)
			misses := make(map[string]string, len(offer.Agents))
			for _, a := range offer.Agents {
				misses[a.AgentID] = MissUnreachable
			}
			ticket.Missed(offer, misses)
			continue
		}

		ticket.Answered(offer, leg.AgentID())
		by := BySystem
		select {
		case <-leg.Done():
			by = leg.EndedBy()
		case <-ctx.Done():
			if r.callerGone(ctx, nil) {
				by = ByCaller
			}
		}
		// Keys typed before or during the conversation were meant for the
		// IVR or the agent: they must not cut the prompts that follow it.
		r.call.Keys().Flush()
		if t, ok := transferredBy(leg); ok && by == ByAgent && ctx.Err() == nil {
			// The agent blind-transferred the caller: their part ended
			// at the transfer (wrap-up starts now).
			ticket.Finish(ByAgent)
			if t.Kind != TransferQueue {
				return r.transferOut(ctx, n, t)
			}
			req = r.requeue(req, t.Target)
			ticket, next, err = r.enqueue(ctx, n, req)
			if ticket == nil {
				return next, err
			}
			continue
		}
		ticket.Finish(by)
		r.talkEndedBy = by
		if by == ByCaller {
			return nil, ErrHangup
		}
		if ctx.Err() != nil {
			return nil, context.Cause(ctx)
		}
		r.input()
		if n.Next == nil {
			// The conversation was the end of the flow: whoever hung up
			// on the agent's side ended the call.
			return nil, &ending{Outcome{Result: Completed, Reason: ReasonAgentHangup, By: by, Cause: "normal"}}
		}
		return n.Next, nil
	}
}

// skillSteps hands the node's own overflow steps to the router.
func skillSteps(steps []flows.QueueStep) []routing.SkillStep {
	if len(steps) == 0 {
		return nil
	}
	out := make([]routing.SkillStep, len(steps))
	for i, st := range steps {
		out[i] = routing.SkillStep{After: st.After, Skills: st.Skills}
	}
	return out
}

// ring connects the call to the offer's agents, and stops ringing the moment
// the ACD withdraws the offer.
func (r *run) ring(ctx context.Context, offer routing.Offer) (Leg, error) {
	withdrawn := offer.Withdrawn()
	if withdrawn == nil {
		return r.call.Connect(ctx, offer)
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
	return r.call.Connect(ringCtx, offer)
}

// withdrawn reports whether the ACD took offer back.
func withdrawn(offer routing.Offer) bool {
	w := offer.Withdrawn()
	if w == nil {
		return false
	}
	select {
	case <-w:
		return true
	default:
		return false
	}
}

// enqueue puts the call in line. Without a ticket it returns where the
// flow goes instead (on_closed) or the error that ends the call.
func (r *run) enqueue(ctx context.Context, n *flows.Node, req routing.Request) (Ticket, *flows.Node, error) {
	q := n.Queue
	ticket, err := r.e.router.Enqueue(ctx, req)
	if err == nil && ticket == nil {
		err = errors.New("router returned no ticket")
	}
	if err != nil {
		if r.callerGone(ctx, err) {
			return nil, nil, err
		}
		if !errors.Is(err, ErrQueueClosed) {
			r.log.Warn("enqueue failed; taking on_closed", "node", n.ID, "group", req.Group, "err", err)
		}
		if q.OnClosed != nil {
			return nil, q.OnClosed, nil
		}
		return nil, nil, r.finish(Completed, ReasonQueueClosed)
	}
	r.input() // waiting in line is the caller's doing, not a loop
	return ticket, nil, nil
}

// waitInLine plays music and announcements until the ticket gets an offer
// or exits. The audio runs in its own goroutine with its own context, so the
// wait can stop it the moment the ACD decides; it returns only after that
// goroutine has finished, so Connect never overlaps a Play or Hold.
func (r *run) waitInLine(ctx context.Context, q *flows.QueueSpec, ticket Ticket) (routing.Offer, bool, error) {
	audioCtx, stopAudio := context.WithCancel(ctx)
	audioDone := make(chan error, 1)
	go func() { audioDone <- r.waitingAudio(audioCtx, q, ticket) }()
	stop := func() error {
		stopAudio()
		err := <-audioDone
		if err != nil && r.callerGone(ctx, err) {
			return err
		}
		return nil
	}

	select {
	case offer := <-ticket.Offers():
		return offer, false, stop()
	case <-ticket.Exited():
		return routing.Offer{}, true, stop()
	case err := <-audioDone:
		stopAudio()
		if err == nil {
			err = context.Cause(ctx)
		}
		return routing.Offer{}, false, err
	case <-ctx.Done():
		stop()
		return routing.Offer{}, false, context.Cause(ctx)
	}
}

// waitingAudio is the waiting caller's soundtrack: Hold with the music,
// broken every Announce.Every for an announcement (once at the start when
// Every is 0). It returns nil when ctx ends, or the error that ended it.
func (r *run) waitingAudio(ctx context.Context, q *flows.QueueSpec, ticket Ticket) error {
	music := Playback{Prompts: r.music(q.Music)}
	announce := q.Announce.Position || q.Announce.WaitTime
	if announce && q.Announce.Every <= 0 {
		if err := r.announce(ctx, q.Announce, ticket.Status()); err != nil {
			return quiet(ctx, err)
		}
	}
	for {
		holdCtx, stopHold := context.WithCancel(ctx)
		var timer interface{ Stop() bool }
		if announce && q.Announce.Every > 0 {
			timer = r.e.clock.AfterFunc(q.Announce.Every, stopHold)
		}
		err := r.call.Hold(holdCtx, music)
		if timer != nil {
			timer.Stop()
		}
		stopHold()
		if ctx.Err() != nil {
			return nil
		}
		if err != nil && (holdCtx.Err() == nil || errors.Is(err, ErrHangup)) {
			return err
		}
		if err == nil && holdCtx.Err() == nil {
			// Hold gave up on its own (no music to loop): wait in
			// silence rather than spin.
			<-holdCtx.Done()
			if ctx.Err() != nil {
				return nil
			}
		}
		if announce && q.Announce.Every > 0 {
			if err := r.announce(ctx, q.Announce, ticket.Status()); err != nil {
				return quiet(ctx, err)
			}
		}
	}
}

// quiet drops the error a cancelled context causes: the caller stopped the
// audio on purpose.
func quiet(ctx context.Context, err error) error {
	if ctx.Err() != nil && !errors.Is(err, ErrHangup) {
		return nil
	}
	return err
}

func (r *run) music(refs []flows.PromptRef) []Prompt {
	if len(refs) == 0 {
		return r.e.prompts.resolve(r.vars.language(), r.flow.Language, "file", DefaultMusic).prompts
	}
	var out []Prompt
	for _, ref := range refs {
		out = append(out, r.item(ref).prompts...)
	}
	return out
}

// announce tells the caller their position and estimated wait (whole
// minutes, rounded up). It does not let keys cut it: the caller is waiting,
// not choosing.
func (r *run) announce(ctx context.Context, a flows.Announce, st routing.Status) error {
	lang, fb := r.vars.language(), r.flow.Language
	var items []resolved
	if a.Position && st.Position > 0 {
		items = append(items,
			r.e.prompts.resolve(lang, fb, "file", PromptPosition),
			r.e.prompts.resolve(lang, fb, "number", strconv.Itoa(st.Position)))
	}
	if a.WaitTime && st.EstimatedWait > 0 {
		minutes := int((st.EstimatedWait + time.Minute - 1) / time.Minute)
		items = append(items,
			r.e.prompts.resolve(lang, fb, "file", PromptEstimatedWait),
			r.e.prompts.resolve(lang, fb, "number", strconv.Itoa(minutes)),
			r.e.prompts.resolve(lang, fb, "file", PromptMinutes))
	}
	for _, it := range items {
		if _, err := r.playResolved(ctx, it, false); err != nil {
			return err
		}
	}
	return nil
}
