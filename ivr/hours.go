package ivr

import (
	"context"
	"fmt"

	"github.com/switchboard-cc/switchboard/events"
	"github.com/switchboard-cc/switchboard/flows"
)

// Results of an hours node, in its ivr.node event.
const (
	HoursOpen    = "open"
	HoursClosed  = "closed"
	HoursHoliday = "holiday" // closed because of a holiday, whichever target that takes
)

// hours branches on the calendar's status at the engine clock's now: Open,
// Holiday (when a holiday closed the line; default Closed), or Closed. Its
// ivr.node event says which (result).
func (r *run) hours(ctx context.Context, n *flows.Node) (*flows.Node, error) {
	h := n.Hours
	if h.Calendar == nil {
		r.emit(ctx, events.IVRNode, n.ID, r.e.data.node(r.flow.Name, n.Type, ""))
		return nil, &ending{Outcome{Result: Failed, Reason: ReasonBadTarget, By: BySystem, Cause: "failure",
			Err: fmt.Errorf("node %s: calendar %q not loaded", n.ID, h.CalendarName)}}
	}
	st := h.Calendar.Status(r.e.clock.Now())
	result, next := HoursClosed, h.Closed
	switch {
	case st.Open:
		result, next = HoursOpen, h.Open
	case st.Holiday != "":
		result = HoursHoliday
		if h.Holiday != nil {
			next = h.Holiday
		}
	}
	r.emit(ctx, events.IVRNode, n.ID, r.e.data.node(r.flow.Name, n.Type, result))
	return next, nil
}
