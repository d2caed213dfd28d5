package ivr

import (
	"context"

	"github.com/switchboard-cc/switchboard/flows"
)

// set assigns variables in file order; each value sees the ones before it.
// Setting "language" switches the prompt set for the rest of the call.
func (r *run) set(ctx context.Context, n *flows.Node) (*flows.Node, error) {
	for _, a := range n.Set.Vars {
		r.vars.Set(a.Var, a.Value.Render(&r.vars))
	}
	return n.Next, nil
}
