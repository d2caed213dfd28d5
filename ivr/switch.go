package ivr

import (
	"context"

	"github.com/switchboard-cc/switchboard/flows"
)

// switchNode renders Value and goes to the first case equal to it, else to
// Default, else to Next.
func (r *run) switchNode(ctx context.Context, n *flows.Node) (*flows.Node, error) {
	s := n.Switch
	v := s.Value.Render(&r.vars)
	for _, c := range s.Cases {
		if c.Value == v {
			return c.Target, nil
		}
	}
	if s.Default != nil {
		return s.Default, nil
	}
	return n.Next, nil
}
