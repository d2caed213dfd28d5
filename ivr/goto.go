package ivr

import (
	"context"
	"fmt"

	"github.com/switchboard-cc/switchboard/flows"
)

// gotoNode continues the call in another flow of the catalog the call
// started with, at its start or at a named node. There is no return.
func (r *run) gotoNode(ctx context.Context, n *flows.Node) (*flows.Node, error) {
	g := n.Goto
	f := r.catalog.Flows[g.Flow]
	target := (*flows.Node)(nil)
	if f != nil {
		target = f.Start
		if g.Node != "" {
			target = f.ByID[g.Node]
		}
	}
	if target == nil {
		return nil, &ending{Outcome{Result: Failed, Reason: ReasonBadTarget, By: BySystem, Cause: "failure",
			Err: fmt.Errorf("node %s: goto %s %s: no such flow or node", n.ID, g.Flow, g.Node)}}
	}
	r.flow = f
	r.vars.enterFlow(f)
	r.log = r.e.log.With("call_id", r.call.ID(), "flow", f.Name)
	return target, nil
}
