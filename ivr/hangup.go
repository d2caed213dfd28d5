package ivr

import (
	"context"

	"github.com/switchboard-cc/switchboard/flows"
)

// hangup ends the call with Cause (default "normal"). With Continue the
// engine does not hang up: the Outcome says so, and the ARI transport
// returns the channel to the dialplan.
func (r *run) hangup(ctx context.Context, n *flows.Node) (*flows.Node, error) {
	h := n.Hangup
	cause := h.Cause
	if cause == "" {
		cause = "normal"
	}
	return nil, &ending{Outcome{Result: Completed, Reason: ReasonHangupNode, By: BySystem, Cause: cause, Continue: h.Continue}}
}
