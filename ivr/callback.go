package ivr

import (
	"context"
	"errors"

	"github.com/switchboard-cc/switchboard/events"
	"github.com/switchboard-cc/switchboard/flows"
	"github.com/switchboard-cc/switchboard/routing"
)

// callback asks the Router to call the rendered number back when the
// caller's turn comes (virtual hold), then plays the confirmation. When the
// Router refuses (the group is closed, or nothing can dial callbacks) the
// confirmation is skipped and the call goes to OnFail, or on to Next: the
// caller must not be promised a call that will not come.
func (r *run) callback(ctx context.Context, n *flows.Node) (*flows.Node, error) {
	cb := n.Callback
	number := cb.Number.Render(&r.vars)
	req := routing.Request{CallID: r.call.ID(), Caller: r.call.From(), Group: cb.Group, Callback: true, OutsideHours: cb.OutsideHours}
	if err := r.e.router.RequestCallback(ctx, req, number); err != nil {
		if r.callerGone(ctx, err) {
			return nil, err
		}
		result := "error"
		switch {
		case errors.Is(err, ErrQueueClosed):
			result = "closed"
		case errors.Is(err, ErrNumberRefused):
			result = "refused"
		}
		r.log.Warn("callback refused", "node", n.ID, "group", cb.Group, "err", err)
		r.emit(ctx, events.SelfServiceDone, n.ID, map[string]string{"kind": "callback", "result": result})
		if cb.OnFail != nil {
			return cb.OnFail, nil
		}
		return n.Next, nil
	}
	r.e.sink.Emit(ctx, events.Event{
		Time: r.e.clock.Now().UTC(), CallID: r.call.ID(), Type: events.CallbackRequested,
		Node: n.ID, Queue: cb.Group, Data: map[string]string{"number": number, "queue": cb.Group},
	})
	if _, err := r.say(ctx, cb.Prompts, true); err != nil {
		return nil, err
	}
	return n.Next, nil
}
