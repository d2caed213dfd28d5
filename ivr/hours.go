package ivr

import (
	"context"
	"fmt"

	"github.com/switchboard-cc/switchboard/flows"
)

// hours branches on the calendar's status at the engine clock's now: Open,
// Holiday (when a holiday closed the line; default Closed), or Closed.
func (r *run) hours(ctx context.Context, n *flows.Node) (*flows.Node, error) {
	h := n.Hours
	if h.Calendar == nil {
		return nil, &ending{Outcome{Result: Failed, Reason: ReasonBadTarget, By: BySystem, Cause: "failure",
			Err: fmt.Errorf("node %s: calendar %q not loaded", n.ID, h.CalendarName)}}
	}
	st := h.Calendar.Status(r.e.clock.Now())
	switch {
	case st.Open:
		return h.Open, nil
	case st.Holiday != "" && h.Holiday != nil:
		return h.Holiday, nil
	}
	return h.Closed, nil
}
