package ivr

import (
	"context"

	"github.com/switchboard-cc/switchboard/events"
	"github.com/switchboard-cc/switchboard/flows"
)

// transfer hands the call to the rendered target outside the flow; the flow
// ends there. When the transport cannot, the call goes to OnFail, or ends.
func (r *run) transfer(ctx context.Context, n *flows.Node) (*flows.Node, error) {
	t := Transfer{Target: n.Transfer.Target.Render(&r.vars), Kind: n.Transfer.Kind}
	if t.Kind == "" {
		t.Kind = "number"
	}
	if err := r.call.Transfer(ctx, t); err != nil {
		if r.callerGone(ctx, err) {
			return nil, err
		}
		r.log.Warn("transfer failed", "node", n.ID, "target", r.vars.redact(t.Target), "err", r.vars.redact(err.Error()))
		if n.Transfer.OnFail != nil {
			return n.Transfer.OnFail, nil
		}
		return nil, r.finish(Completed, ReasonTransferFailed)
	}
	r.emit(ctx, events.CallTransfer, n.ID, map[string]string{"target": r.vars.redact(t.Target), "kind": t.Kind})
	return nil, &ending{Outcome{Result: Transferred, Reason: ReasonTransfer, By: BySystem}}
}
