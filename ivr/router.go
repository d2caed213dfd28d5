package ivr

import (
	"context"
	"errors"

	"github.com/switchboard-cc/switchboard/routing"
)

// Router is what the queue and callback nodes hand calls to. routing.ACD
// implements it; until it is wired, NoAgents stands in.
type Router interface {
	// Enqueue puts the call in line. It fails with an error wrapping
	// ErrQueueClosed when the group is closed or has no agent logged in.
	Enqueue(ctx context.Context, req routing.Request) (Ticket, error)
	// RequestCallback keeps the caller's place while they are off the phone
	// (virtual hold): at the head of the line the ACD offers the callback.
	RequestCallback(ctx context.Context, req routing.Request, number string) error
}

// Ticket is one call's place in line. The engine calls Status from the
// goroutine that plays the waiting music while another goroutine waits on
// Offers and Exited, so implementations must be safe for concurrent use.
type Ticket interface {
	// Offers delivers each reservation the ACD makes for this call.
	Offers() <-chan routing.Offer
	// Exited is closed when the call leaves the queue without an agent
	// (timeout, overflow); Exit then says why.
	Exited() <-chan struct{}
	Exit() routing.ExitReason
	Status() routing.Status
	// Answered: the transport bridged the caller with agentID of offer.
	Answered(offer routing.Offer, agentID string)
	// Missed: nobody of offer answered; misses maps agent ID to reason. The
	// call keeps its place in line.
	Missed(offer routing.Offer, misses map[string]string)
	// Abandon: the caller hung up while waiting.
	Abandon()
	// Finish: the conversation ended (by "caller", "agent" or "system");
	// the agent goes to wrap-up.
	Finish(by string)
}

// ErrQueueClosed means the skill group is closed or has nobody logged in.
var ErrQueueClosed = errors.New("queue closed")

// ErrNumberRefused means a callback number may not be dialled (outside the
// trunk's dial plan); the callback node logs result=refused.
var ErrNumberRefused = errors.New("callback number refused")

// NoAgents is the Router used when no ACD is configured: every queue is
// closed, so queue nodes take on_closed.
type NoAgents struct{}

func (NoAgents) Enqueue(context.Context, routing.Request) (Ticket, error) {
	return nil, ErrQueueClosed
}

func (NoAgents) RequestCallback(context.Context, routing.Request, string) error {
	return ErrQueueClosed
}
