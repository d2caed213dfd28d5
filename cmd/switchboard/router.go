package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/switchboard-cc/switchboard/ivr"
	"github.com/switchboard-cc/switchboard/routing"
)

// acdRouter adapts routing.ACD to the ivr.Router the queue node consumes:
// routing cannot import ivr (ivr imports routing), so the two meet here.
type acdRouter struct{ acd *routing.ACD }

var _ ivr.Router = acdRouter{}

func (r acdRouter) Enqueue(ctx context.Context, req routing.Request) (ivr.Ticket, error) {
	t, err := r.acd.Enqueue(ctx, req)
	if err != nil {
		return nil, queueErr(err)
	}
	return t, nil
}

func (r acdRouter) RequestCallback(ctx context.Context, req routing.Request, number string) error {
	return queueErr(r.acd.RequestCallback(ctx, req, number))
}

// queueErr maps the ACD's "closed" to the engine's, keeping both in the chain.
func queueErr(err error) error {
	if err != nil && errors.Is(err, routing.ErrClosed) && !errors.Is(err, ivr.ErrQueueClosed) {
		return fmt.Errorf("%w: %w", ivr.ErrQueueClosed, err)
	}
	return err
}

// noCallbacks is the Router serve gives the engine when nothing can dial a
// callback (no outbound trunk): it refuses every callback request as
// closed, so the callback node takes on_fail instead of promising the
// caller a call that would never come. Queueing is unchanged.
type noCallbacks struct{ ivr.Router }

func (noCallbacks) RequestCallback(_ context.Context, req routing.Request, _ string) error {
	return fmt.Errorf("callback for call %s in %q: no outbound trunk to dial it (sip.trunk): %w", req.CallID, req.Group, ivr.ErrQueueClosed)
}
