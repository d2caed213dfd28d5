package main

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"

	"github.com/switchboard-cc/switchboard/ivr"
	"github.com/switchboard-cc/switchboard/routing"
	"github.com/switchboard-cc/switchboard/sip"
	"github.com/switchboard-cc/switchboard/sip/b2bua"
)

// callbackDialing ties callbacks (virtual hold) to the outbound trunk. The
// ACD is built before the SIP server, so its Callbacks hook (due) reaches
// the dialer through a pointer set once the server exists. Without a trunk
// (sip.trunk.uri empty) nothing can dial, and the engine's router refuses
// every callback request (noCallbacks) so the flow takes on_fail.
type callbackDialing struct {
	trunk  sip.TrunkConfig
	dialer atomic.Pointer[sip.Dialer]
	log    *slog.Logger
}

func newCallbackDialing(trunk sip.TrunkConfig, log *slog.Logger) *callbackDialing {
	return &callbackDialing{trunk: trunk, log: log}
}

// due is routing.Options.Callbacks.
func (c *callbackDialing) due(d routing.CallbackDue) {
	if dl := c.dialer.Load(); dl != nil {
		dl.Callback(d)
		return
	}
	// Accepted before the trunk was up (cannot happen without a trunk:
	// requests are refused): give the agents back, keep nobody waiting.
	c.log.Warn("callback due but no trunk to dial it; dropped", "call_id", d.Request.CallID)
	d.Ticket.Abandon()
}

// router is what the engine hands callback requests to. With a trunk, a
// number outside its dial plan is refused when the caller asks, so the
// flow can say so (on_fail) instead of promising a call.
func (c *callbackDialing) router(acd *routing.ACD) ivr.Router {
	if !c.trunk.Enabled() {
		return noCallbacks{acdRouter{acd}}
	}
	plan, err := c.trunk.DialPlan()
	if err != nil { // sip.Config.Validate refused the config already
		c.log.Error("trunk dial plan; refusing every callback", "err", err)
		return noCallbacks{acdRouter{acd}}
	}
	return dialPlanRouter{acdRouter{acd}, plan}
}

// dialPlanRouter refuses callback numbers the trunk may not dial.
type dialPlanRouter struct {
	ivr.Router
	plan *sip.DialPlan
}

func (r dialPlanRouter) RequestCallback(ctx context.Context, req routing.Request, number string) error {
	if err := r.plan.Check(number); err != nil {
		return fmt.Errorf("callback for call %s: %w: %w", req.CallID, ivr.ErrNumberRefused, err)
	}
	return r.Router.RequestCallback(ctx, req, number)
}

// attach builds the dialer on the SIP server once it exists; nil without
// a trunk.
func (c *callbackDialing) attach(srv *sip.Server, acd *routing.ACD) (*sip.Dialer, error) {
	if !c.trunk.Enabled() {
		return nil, nil
	}
	d, err := sip.NewDialer(srv, c.trunk, sip.DialerDeps{Requeue: acd.RequestCallback, Logger: c.log})
	if err != nil {
		return nil, err
	}
	c.dialer.Store(d)
	return d, nil
}

// transfers refuses an agent's blind transfer during a callback (the
// customer is on the trunk, not in a flow that could take them elsewhere),
// so the agent's phone keeps the customer; other calls go to next.
func (c *callbackDialing) transfers(next func(context.Context, b2bua.TransferRequest) error) func(context.Context, b2bua.TransferRequest) error {
	return func(ctx context.Context, t b2bua.TransferRequest) error {
		if d := c.dialer.Load(); d != nil && d.Active(t.CallID) {
			return fmt.Errorf("transfer of callback %s: callbacks cannot be transferred", t.CallID)
		}
		return next(ctx, t)
	}
}
