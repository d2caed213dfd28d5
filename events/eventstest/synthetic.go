package eventstest

import (
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/switchboard-cc/switchboard/events"
)

// Synthetic returns at least n events in time order starting at start,
// from a fixed seed (the same n gives the same stream).
func Synthetic(n int, start time.Time) []events.Event {
	rng := rand.New(rand.NewPCG(1, 2))
	const agents = 300 // a cycle of 600 s: no agent gets two calls at once
	out := make([]events.Event, 0, n+64)
	ids := make([]string, agents)
	for i := range ids {
		ids[i] = "a" + strconv.Itoa(1000+i)
		out = append(out,
			events.Event{Time: start, Type: events.AgentState, Agent: ids[i], Data: map[string]string{"state": "login"}},
			events.Event{Time: start, Type: events.AgentState, Agent: ids[i], Data: map[string]string{"state": "ready"}})
	}
	queues := []string{"billing", "outage"}
	// Calls arrive every 2 s; each call's events are emitted at its own
	// offsets, so the stream is built per call and merged by time below.
	var calls [][]events.Event
	t := start
	total := len(out)
	for call := 0; total < n; call++ {
		t = t.Add(2 * time.Second)
		id := "call-" + strconv.Itoa(call)
		q := queues[call%2]
		agent := ids[call%agents]
		at := func(s int) time.Time { return t.Add(time.Duration(s) * time.Second) }
		evs := []events.Event{
			{Time: at(0), CallID: id, Type: events.CallStart, Data: map[string]string{"from": "+86" + strconv.Itoa(1_000_000+rng.IntN(30_000)), "to": "96069", "flow": "heating-hotline", "transport": "sip"}},
			{Time: at(0), CallID: id, Type: events.IVRNode, Node: "main_menu", Data: map[string]string{"node_type": "menu"}},
			{Time: at(0), CallID: id, Type: events.IVRPrompt, Node: "main_menu", Data: map[string]string{"prompt": "welcome"}},
			{Time: at(4), CallID: id, Type: events.IVRDigits, Node: "main_menu", Data: map[string]string{"digits": strconv.Itoa(1 + call%2), "stop": "max_digits"}},
			{Time: at(4), CallID: id, Type: events.IVRNode, Node: q, Data: map[string]string{"node_type": "queue"}},
			{Time: at(4), CallID: id, Type: events.QueueEnter, Queue: q, Node: q, Data: map[string]string{"position": "1", "priority": "0"}},
		}
		wait := 4 + rng.IntN(40)
		switch r := rng.IntN(10); {
		case r < 7: // answered
			talk := 60 + rng.IntN(300)
			evs = append(evs,
				events.Event{Time: at(wait - 3), CallID: id, Type: events.AgentOffer, Queue: q, Agent: agent},
				events.Event{Time: at(wait), CallID: id, Type: events.QueueConnect, Queue: q, Agent: agent, Data: map[string]string{"wait_ms": strconv.Itoa((wait - 4) * 1000), "ring_ms": "3000"}},
				events.Event{Time: at(wait + 30), CallID: id, Type: events.CallHold, Queue: q, Agent: agent},
				events.Event{Time: at(wait + 45), CallID: id, Type: events.CallUnhold, Queue: q, Agent: agent},
				events.Event{Time: at(wait + 45 + talk), CallID: id, Type: events.CallEnd, Data: map[string]string{"by": "agent", "reason": "hangup"}},
				events.Event{Time: at(wait + 60 + talk), CallID: id, Type: events.AgentWrapupEnd, Queue: q, Agent: agent})
		case r < 9: // abandoned
			evs = append(evs,
				events.Event{Time: at(wait), CallID: id, Type: events.QueueAbandon, Queue: q, Data: map[string]string{"wait_ms": strconv.Itoa((wait - 4) * 1000)}},
				events.Event{Time: at(wait), CallID: id, Type: events.CallEnd, Data: map[string]string{"by": "caller", "reason": "hangup"}})
		default: // timed out to self-service
			evs = append(evs,
				events.Event{Time: at(64), CallID: id, Type: events.QueueTimeout, Queue: q, Data: map[string]string{"wait_ms": "60000"}},
				events.Event{Time: at(64), CallID: id, Type: events.IVRNode, Node: "after_hours", Data: map[string]string{"node_type": "menu"}},
				events.Event{Time: at(70), CallID: id, Type: events.CallbackRequested, Node: "callback", Data: map[string]string{"queue": q}},
				events.Event{Time: at(72), CallID: id, Type: events.CallEnd, Data: map[string]string{"by": "system", "reason": "flow_end"}})
		}
		calls = append(calls, evs)
		total += len(evs)
		if call%500 == 499 { // an agent takes a break now and then
			a := ids[rng.IntN(agents)]
			calls = append(calls, []events.Event{
				{Time: at(1), Type: events.AgentState, Agent: a, Data: map[string]string{"state": "not_ready", "reason": "break"}},
				{Time: at(600), Type: events.AgentState, Agent: a, Data: map[string]string{"state": "ready"}},
			})
			total += 2
		}
	}
	return append(out, mergeByTime(calls)...)
}

// mergeByTime merges per-call streams (each in time order) into one,
// stable for equal times.
func mergeByTime(streams [][]events.Event) []events.Event {
	n := 0
	for _, s := range streams {
		n += len(s)
	}
	out := make([]events.Event, 0, n)
	for _, s := range streams {
		out = append(out, s...)
	}
	// Calls start 2 s apart and last minutes: a stable sort is simplest.
	sortStable(out)
	return out
}
