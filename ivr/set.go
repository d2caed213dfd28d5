package ivr

import (
	"context"

	"github.com/switchboard-cc/switchboard/flows"
)

// set assigns variables in file order; each value sees the ones before it.
// Setting "language" switches the prompt set for the rest of the call. A
// value made from a sensitive variable is sensitive (masked whole).
func (r *run) set(ctx context.Context, n *flows.Node) (*flows.Node, error) {
	for _, a := range n.Set.Vars {
		val := a.Value.Render(&r.vars)
		if r.vars.sensitive(a.Value) {
			// A copy of a secret is a secret.
			r.vars.setSensitive(a.Var, val, flows.MaskAll)
			continue
		}
		r.vars.Set(a.Var, val)
	}
	return n.Next, nil
}
