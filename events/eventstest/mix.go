package eventstest

import (
	"strconv"
	"time"

	"github.com/switchboard-cc/switchboard/events"
)

// Mix is the ingest benchmarks' event mix, the same for every store: n
// events 10 ms apart from start, eight per call, most with two Data keys.
func Mix(n int, start time.Time) []events.Event {
	types := []events.Type{events.CallStart, events.IVRNode, events.IVRPrompt, events.IVRDigits, events.QueueEnter, events.AgentOffer, events.QueueConnect, events.CallEnd}
	out := make([]events.Event, n)
	for i := range out {
		out[i] = events.Event{
			Time:   start.Add(time.Duration(i) * 10 * time.Millisecond),
			CallID: "call-" + strconv.Itoa(i/8),
			Type:   types[i%len(types)],
			Node:   "main_menu",
			Queue:  "billing",
			Agent:  "100" + strconv.Itoa(i%7),
			Data:   map[string]string{"node_type": "menu", "digits": strconv.Itoa(i % 10)},
		}
	}
	return out
}
