package metrics

import (
	"reflect"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/events"
)

// queueFigures is the part of a queue's row the callback cases check.
type queueFigures struct {
	Offered, Answered, Abandoned, ShortAbandoned, TimedOut, Closed int
	ASA                                                            Ratio
	LongestWait                                                    Seconds
	AHT                                                            Ratio
}

func figures(r Row) queueFigures {
	return queueFigures{r.Offered, r.Answered, r.Abandoned, r.ShortAbandoned, r.TimedOut, r.Closed, r.ASA, r.LongestWait, r.AHT}
}

func secs(n int) Seconds { return Seconds(time.Duration(n) * time.Second) }

// The events a callback leaves, as the IVR, the ACD and the dialler write
// them (see TestCallbackDialsCustomerThenAgent in sip and
// TestServeCallbackDialledOnTrunk in cmd/switchboard): every one under the
// call ID of the call that asked for it.
func inboundStart(s int, call string) events.Event {
	return e(s, events.CallStart, call, "", "", "from", "+8613800138000", "to", "96069", "flow", "hotline", "transport", "sip")
}

func inboundEnd(s int, call, by string) events.Event {
	return e(s, events.CallEnd, call, "", "", "by", by, "reason", "hangup", "result", "completed", "flow", "hotline")
}

func cbEnter(s int, call, queue string) events.Event {
	return e(s, events.QueueEnter, call, queue, "", "callback", "1", "number", "+8613800138000", "position", "1", "priority", "0")
}

func cbRequested(s int, call, queue string) events.Event {
	return e(s, events.CallbackRequested, call, queue, "", "number", "+8613800138000", "queue", queue)
}

func dialStart(s int, call string, attempt string) events.Event {
	return e(s, events.CallStart, call, "", "", "from", "96069", "to", "+8613800138000", "transport", "sip",
		"direction", "outbound", "kind", "callback", "attempt", attempt)
}

func dialEnd(s int, call, result, reason, by string) events.Event {
	return e(s, events.CallEnd, call, "", "", "result", result, "reason", reason, "by", by)
}

func cbConnect(s int, call, queue, agent string, waitMS string) events.Event {
	return e(s, events.QueueConnect, call, queue, agent, "callback", "1", "wait_ms", waitMS, "ring_ms", "1000")
}

// Every expected number is worked out by hand in the comments (T = 20 s,
// short abandon 5 s; times are seconds after 09:00).
func TestCallbacks(t *testing.T) {
	day := d0.Format(time.DateOnly)
	for _, tc := range []struct {
		name    string
		evs     []events.Event
		billing queueFigures
		calls   CallOutcomes
		cb      CallbackStats
		days    []DayTraffic
		repeat  int // calls with a number (inbound only)
	}{
		{
			// Booked from the menu at 10; the caller hangs up at 20 (no
			// abandon); dialled at 100, answered at 110: one visit,
			// wait 110-10 = 100 s, talk 230-110 = 120, ACW 10 → AHT 130.
			// The dialled leg is no inbound call: 1 call, self-service.
			name: "booked in the menu, answered later",
			evs: []events.Event{
				inboundStart(0, "c1"),
				cbEnter(10, "c1", "billing"), cbRequested(10, "c1", "billing"),
				inboundEnd(20, "c1", "system"),
				e(100, events.AgentOffer, "c1", "billing", "a1"),
				dialStart(100, "c1", "1"),
				cbConnect(110, "c1", "billing", "a1", "100000"),
				dialEnd(230, "c1", "completed", "agent_hangup", "agent"),
				e(240, events.AgentWrapupEnd, "c1", "billing", "a1"),
			},
			billing: queueFigures{Offered: 1, Answered: 1, ASA: ratio(100, 1), LongestWait: secs(100), AHT: ratio(130, 1)},
			calls:   CallOutcomes{Total: 1, SelfService: 1},
			cb:      CallbackStats{Requested: 1, Dialled: 1, Connected: 1},
			days:    []DayTraffic{{Day: day, Inbound: 1, CallbacksDialled: 1, CallbacksConnected: 1}},
			repeat:  1,
		},
		{
			// The caller hangs up at 20 and nobody is free yet: the
			// callback is waiting, not abandoned, and not offered.
			name: "caller gone, callback still in line",
			evs: []events.Event{
				inboundStart(0, "c1"),
				cbEnter(10, "c1", "billing"), cbRequested(10, "c1", "billing"),
				inboundEnd(20, "c1", "system"),
			},
			calls:  CallOutcomes{Total: 1, SelfService: 1},
			cb:     CallbackStats{Requested: 1, Waiting: 1},
			days:   []DayTraffic{{Day: day, Inbound: 1}},
			repeat: 1,
		},
		{
			// Queued at 0, timed out at 60 into the after-hours menu,
			// callback booked at 70 for the same queue: the callback takes
			// the place (the timeout is taken back) and the one visit is
			// answered at 310: wait 310 s (> T), talk 400-310 = 90, no
			// ACW. Not missed that day: the place went to the callback.
			name: "timed out, callback keeps the place",
			evs: []events.Event{
				inboundStart(0, "c2"),
				e(0, events.QueueEnter, "c2", "billing", "", "position", "3"),
				e(60, events.QueueTimeout, "c2", "billing", "", "wait_ms", "60000"),
				e(60, events.IVRNode, "c2", "", "", "node_type", "menu"),
				cbEnter(70, "c2", "billing"), cbRequested(70, "c2", "billing"),
				inboundEnd(80, "c2", "caller"),
				dialStart(300, "c2", "1"),
				cbConnect(310, "c2", "billing", "a1", "240000"),
				dialEnd(400, "c2", "completed", "caller_hangup", "caller"),
			},
			billing: queueFigures{Offered: 1, Answered: 1, ASA: ratio(310, 1), LongestWait: secs(310), AHT: ratio(90, 1)},
			calls:   CallOutcomes{Total: 1, SelfService: 1},
			cb:      CallbackStats{Requested: 1, Dialled: 1, Connected: 1},
			days:    []DayTraffic{{Day: day, Inbound: 1, CallbacksDialled: 1, CallbacksConnected: 1}},
			repeat:  1,
		},
		{
			// Turned away on arrival (closed, not offered), booked at 5;
			// the agent frees up while the caller still hears the
			// confirmation: dialled at 6, answered at 9 (wait 4 s), the
			// caller's own call ends at 12 — that ends neither the
			// callback nor the agent's talk, which runs to 50: 41 s.
			name: "caller still on the line when the callback is answered",
			evs: []events.Event{
				inboundStart(0, "c3"),
				e(0, events.QueueClosed, "c3", "billing", "", "reason", "no_agents"),
				cbEnter(5, "c3", "billing"), cbRequested(5, "c3", "billing"),
				e(6, events.AgentOffer, "c3", "billing", "a1"),
				dialStart(6, "c3", "1"),
				cbConnect(9, "c3", "billing", "a1", "4000"),
				inboundEnd(12, "c3", "caller"),
				dialEnd(50, "c3", "completed", "agent_hangup", "agent"),
			},
			billing: queueFigures{Offered: 1, Answered: 1, Closed: 1, ASA: ratio(4, 1), LongestWait: secs(4), AHT: ratio(41, 1)},
			calls:   CallOutcomes{Total: 1, SelfService: 1},
			cb:      CallbackStats{Requested: 1, Dialled: 1, Connected: 1},
			days:    []DayTraffic{{Day: day, Inbound: 1, CallbacksDialled: 1, CallbacksConnected: 1}},
			repeat:  1,
		},
		{
			// Requested at 0 (no inbound call in the log, as in the sip
			// test); the customer is busy at 10 (out of line), put back
			// at 610 at the same place, answered at 615: one visit, wait
			// 615 s, answered, nothing dropped; talk 700-615 = 85.
			name: "customer busy, retried, answered",
			evs: []events.Event{
				cbEnter(0, "c4", "billing"),
				dialStart(10, "c4", "1"),
				e(10, events.QueueAbandon, "c4", "billing", "", "callback", "1", "wait_ms", "10000"),
				dialEnd(10, "c4", "failed", "busy", "system"),
				cbEnter(610, "c4", "billing"),
				dialStart(610, "c4", "2"),
				cbConnect(615, "c4", "billing", "a1", "5000"),
				dialEnd(700, "c4", "completed", "agent_hangup", "agent"),
			},
			billing: queueFigures{Offered: 1, Answered: 1, ASA: ratio(615, 1), LongestWait: secs(615), AHT: ratio(85, 1)},
			cb:      CallbackStats{Dialled: 2, Connected: 1},
			days:    []DayTraffic{{Day: day, CallbacksDialled: 2, CallbacksConnected: 1}},
		},
		{
			// Two attempts, never reached: the visit is abandoned once,
			// after 610 s, and the callback is dropped.
			name: "customer never reached, dropped",
			evs: []events.Event{
				cbEnter(0, "c5", "billing"),
				dialStart(10, "c5", "1"),
				e(10, events.QueueAbandon, "c5", "billing", "", "callback", "1"),
				dialEnd(10, "c5", "failed", "no_answer", "system"),
				cbEnter(610, "c5", "billing"),
				dialStart(610, "c5", "2"),
				e(610, events.QueueAbandon, "c5", "billing", "", "callback", "1"),
				dialEnd(610, "c5", "failed", "no_answer", "system"),
			},
			billing: queueFigures{Offered: 1, Abandoned: 1, LongestWait: secs(610)},
			cb:      CallbackStats{Dialled: 2, Dropped: 1},
			days:    []DayTraffic{{Day: day, CallbacksDialled: 2}},
		},
		{
			// A callback with a max wait times out at 900: offered, timed
			// out, not abandoned (the caller hung up at 20).
			name: "callback times out",
			evs: []events.Event{
				inboundStart(0, "c6"),
				cbEnter(10, "c6", "billing"), cbRequested(10, "c6", "billing"),
				inboundEnd(20, "c6", "system"),
				e(910, events.QueueTimeout, "c6", "billing", "", "callback", "1"),
			},
			billing: queueFigures{Offered: 1, TimedOut: 1, LongestWait: secs(900)},
			calls:   CallOutcomes{Total: 1, SelfService: 1},
			cb:      CallbackStats{Requested: 1},
			days:    []DayTraffic{{Day: day, Inbound: 1}},
			repeat:  1,
		},
		{
			// Timed out of billing at 60, callback booked for outage: the
			// place is not kept across queues; billing keeps its timeout
			// (wait 60 s) and outage waits from 70. The call queued and
			// its place went to a callback: not missed.
			name: "timed out, callback for another queue",
			evs: []events.Event{
				inboundStart(0, "c7"),
				e(0, events.QueueEnter, "c7", "billing", ""),
				e(60, events.QueueTimeout, "c7", "billing", ""),
				cbEnter(70, "c7", "outage"), cbRequested(70, "c7", "outage"),
				inboundEnd(80, "c7", "caller"),
			},
			billing: queueFigures{Offered: 1, TimedOut: 1, LongestWait: secs(60)},
			calls:   CallOutcomes{Total: 1, SelfService: 1},
			cb:      CallbackStats{Requested: 1, Waiting: 1},
			days:    []DayTraffic{{Day: day, Inbound: 1}},
			repeat:  1,
		},
		{
			// 31 minutes after the timeout the ACD no longer keeps the
			// place (routing's rememberPlace): the timeout stands and the
			// callback is a visit of its own.
			name: "place not kept after 30 minutes",
			evs: []events.Event{
				inboundStart(0, "c8"),
				e(0, events.QueueEnter, "c8", "billing", ""),
				e(60, events.QueueTimeout, "c8", "billing", ""),
				cbEnter(60+31*60, "c8", "billing"), cbRequested(60+31*60, "c8", "billing"),
				inboundEnd(60+31*60+5, "c8", "caller"),
			},
			billing: queueFigures{Offered: 1, TimedOut: 1, LongestWait: secs(60)},
			calls:   CallOutcomes{Total: 1, SelfService: 1},
			cb:      CallbackStats{Requested: 1, Waiting: 1},
			days:    []DayTraffic{{Day: day, Inbound: 1}},
			repeat:  1,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, tc.evs...)
			if got := figures(r.QueueTotals()["billing"]); got != tc.billing {
				t.Errorf("billing = %+v\nwant      %+v", got, tc.billing)
			}
			if r.Calls != tc.calls {
				t.Errorf("calls = %+v; want %+v", r.Calls, tc.calls)
			}
			if r.Callbacks != tc.cb {
				t.Errorf("callbacks = %+v; want %+v", r.Callbacks, tc.cb)
			}
			if !reflect.DeepEqual(r.Days, tc.days) {
				t.Errorf("days = %+v; want %+v", r.Days, tc.days)
			}
			if r.Repeat.Calls != tc.repeat || r.Repeat.Within24h != 0 {
				t.Errorf("repeat = %+v; want %d calls, no repeat", r.Repeat, tc.repeat)
			}
		})
	}
}

// A callback answered in the next interval belongs to the interval of the
// caller's first queue.enter, like any visit.
func TestCallbackKeepsItsInterval(t *testing.T) {
	r := run(t,
		inboundStart(1700, "c1"),
		e(1700, events.QueueEnter, "c1", "billing", ""), // 09:28:20
		e(1760, events.QueueTimeout, "c1", "billing", ""),
		cbEnter(1770, "c1", "billing"), cbRequested(1770, "c1", "billing"),
		inboundEnd(1780, "c1", "caller"),
		dialStart(2000, "c1", "1"),
		cbConnect(2010, "c1", "billing", "a1", "240000"), // 09:33:30
		dialEnd(2100, "c1", "completed", "agent_hangup", "agent"),
	)
	rows := map[string]Row{}
	for _, row := range r.Rows(ByInterval) {
		rows[row.Key] = row
	}
	if got := rows["2026-11-03T09:00:00Z"]; got.Offered != 1 || got.Answered != 1 || got.TimedOut != 0 || got.ASA != ratio(310, 1) {
		t.Errorf("09:00 = %+v; want the callback answered after 310 s", got)
	}
	if got := rows["2026-11-03T09:30:00Z"]; got.Offered != 0 {
		t.Errorf("09:30 = %+v; want nothing offered", got)
	}
}

// A wallboard snapshot while the customer is between attempts shows the
// callback dropped; the retry takes it back.
func TestLiveCallbackBetweenAttempts(t *testing.T) {
	c, err := NewComputer(Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range []events.Event{
		cbEnter(0, "c4", "billing"),
		dialStart(10, "c4", "1"),
		e(10, events.QueueAbandon, "c4", "billing", "", "callback", "1"),
		dialEnd(10, "c4", "failed", "busy", "system"),
	} {
		c.Add(ev)
	}
	mid := c.clone().Result()
	if got := mid.QueueTotals()["billing"]; got.Abandoned != 1 || mid.Callbacks.Dropped != 1 {
		t.Errorf("between attempts: billing %+v, callbacks %+v; want 1 abandoned, 1 dropped", got, mid.Callbacks)
	}
	c.Add(cbEnter(610, "c4", "billing"))
	after := c.Result()
	if got := after.QueueTotals()["billing"]; got.Offered != 0 || got.Abandoned != 0 || after.Callbacks.Dropped != 0 || after.Callbacks.Waiting != 1 {
		t.Errorf("after the retry: billing %+v, callbacks %+v; want nothing counted, 1 waiting", got, after.Callbacks)
	}
}
