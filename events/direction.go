package events

// DirectionOutbound is Data "direction" on the call.start (and, when the
// transport writes it, the call.end) of a call Switchboard dialled out: a
// callback (virtual hold), with Data kind "callback" and attempt N. A call
// that came in has no direction.
const DirectionOutbound = "outbound"

// Outbound reports whether e, a call.start or call.end, belongs to a call
// Switchboard dialled out rather than one that came in.
func Outbound(e Event) bool { return e.Data["direction"] == DirectionOutbound }

// EndsDialledLeg reports whether the call.end e ends the dialled leg of a
// call ID whose inbound leg may still be open: a callback keeps the call ID
// of the call that asked for it, and that caller may still be hearing the
// confirmation when an agent frees up and the customer is dialled. Data
// direction decides when set. Without it, the IVR's call.end always
// carries Data flow and the dialler's never does.
func EndsDialledLeg(e Event) bool {
	if d, ok := e.Data["direction"]; ok {
		return d == DirectionOutbound
	}
	_, fromIVR := e.Data["flow"]
	return !fromIVR
}
