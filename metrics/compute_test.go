package metrics

import (
	"context"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/events"
)

var d0 = time.Date(2026, 11, 3, 9, 0, 0, 0, time.UTC)

func at(s int) time.Time { return d0.Add(time.Duration(s) * time.Second) }

func e(s int, typ events.Type, call, queue, agent string, kv ...string) events.Event {
	ev := events.Event{Time: at(s), Type: typ, CallID: call, Queue: queue, Agent: agent}
	if len(kv) > 0 {
		ev.Data = map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			ev.Data[kv[i]] = kv[i+1]
		}
	}
	return ev
}

func run(t *testing.T, evs ...events.Event) *Result {
	t.Helper()
	r, err := Compute(context.Background(), events.NewLog(evs...), time.Time{}, time.Time{}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestQueueVisitEdges(t *testing.T) {
	for _, tc := range []struct {
		name string
		evs  []events.Event
		want func(Row) bool
	}{
		{
			"overflow step keeps the visit open",
			[]events.Event{
				e(0, events.QueueEnter, "c", "billing", ""),
				e(30, events.QueueOverflow, "c", "billing", "", "step", "1", "to", "outage"),
				e(40, events.QueueConnect, "c", "billing", "a1"),
				e(100, events.CallEnd, "c", "", "", "by", "caller"),
				e(110, events.AgentWrapupEnd, "c", "billing", "a1"),
			},
			func(r Row) bool {
				return r.Offered == 1 && r.Answered == 1 && r.Overflowed == 1 && r.ASA == ratio(40, 1) && r.AHT == ratio(70, 1)
			},
		},
		{
			"call.end while queued is an abandon",
			[]events.Event{e(0, events.QueueEnter, "c", "billing", ""), e(30, events.CallEnd, "c", "", "", "by", "caller")},
			func(r Row) bool { return r.Offered == 1 && r.Abandoned == 1 && r.AbandonRate == ratio(1, 1) },
		},
		{
			"closed on arrival is not offered",
			[]events.Event{e(0, events.QueueClosed, "c", "billing", "", "reason", "no_agents"), e(1, events.CallEnd, "c", "", "", "by", "system")},
			func(r Row) bool { return r.Offered == 0 && r.Closed == 1 },
		},
		{
			"closed while queued is offered and closed",
			[]events.Event{e(0, events.QueueEnter, "c", "billing", ""), e(9, events.QueueClosed, "c", "billing", ""), e(10, events.CallEnd, "c", "", "")},
			func(r Row) bool { return r.Offered == 1 && r.Closed == 1 && r.ServiceLevel == ratio(0, 0) },
		},
		{
			"no wrap-up end: ACW 0 at the agent's next call",
			[]events.Event{
				e(0, events.QueueEnter, "c1", "billing", ""), e(5, events.QueueConnect, "c1", "billing", "a1"),
				e(65, events.CallEnd, "c1", "", "", "by", "agent"),
				e(70, events.QueueEnter, "c2", "billing", ""), e(80, events.QueueConnect, "c2", "billing", "a1"),
				e(100, events.CallEnd, "c2", "", "", "by", "agent"),
			},
			func(r Row) bool { return r.Handled == 2 && r.AHT == ratio(80, 2) && r.AvgACW == ratio(0, 2) },
		},
		{
			"hold never released ends with the call",
			[]events.Event{
				e(0, events.QueueEnter, "c", "billing", ""), e(5, events.QueueConnect, "c", "billing", "a1"),
				e(20, events.CallHold, "c", "", "", "by", "caller"), e(20, events.CallHold, "c", "billing", "a1"),
				e(50, events.CallEnd, "c", "", "", "by", "caller"), e(50, events.AgentWrapupEnd, "c", "billing", "a1"),
			},
			func(r Row) bool { return r.AvgHold == ratio(30, 1) && r.AvgTalk == ratio(15, 1) },
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := run(t, tc.evs...).Total(); !tc.want(got) {
				t.Errorf("total = %+v", got)
			}
		})
	}
}

func TestCallOutcomes(t *testing.T) {
	r := run(t,
		// A failed lookup is not self-service: the caller then hangs up.
		e(0, events.CallStart, "c1", "", "", "from", "+1"),
		e(1, events.IVRNode, "c1", "", "", "node_type", "lookup"),
		e(3, events.SelfServiceDone, "c1", "", "", "kind", "lookup", "result", "error"),
		e(9, events.CallEnd, "c1", "", "", "by", "caller"),
		// A refused callback neither; the flow then ends the call itself.
		e(10, events.CallStart, "c2", "", "", "from", "+2"),
		e(11, events.SelfServiceDone, "c2", "", "", "kind", "callback", "result", "closed"),
		e(12, events.CallEnd, "c2", "", "", "by", "system"),
		// Transferred out of the IVR.
		e(20, events.CallStart, "c3", "", "", "from", "+3"),
		e(21, events.CallTransfer, "c3", "", "", "target", "112", "kind", "number"),
		e(22, events.CallEnd, "c3", "", "", "by", "system"),
		// Still talking at the end of the log.
		e(30, events.CallStart, "c4", "", "", "from", "+1"),
	)
	want := CallOutcomes{Total: 3, SelfService: 1, Transferred: 1, DroppedInIVR: 1, InProgress: 1}
	if r.Calls != want {
		t.Errorf("outcomes = %+v; want %+v", r.Calls, want)
	}
	if r.Repeat.Within24h != 1 || r.Repeat.Calls != 4 {
		t.Errorf("repeat = %+v; want 1 of 4", r.Repeat)
	}
}

func TestAgentSpansSplitAcrossIntervals(t *testing.T) {
	r := run(t,
		e(-600, events.AgentState, "", "", "a1", "state", "login"), // 08:50
		e(-300, events.AgentState, "", "", "a1", "state", "not_ready", "reason", "break"),
		e(600, events.AgentState, "", "", "a1", "state", "ready"),   // 09:10
		e(2400, events.AgentState, "", "", "a1", "state", "logout"), // 09:40
	)
	rows := map[string]Row{}
	for _, row := range r.Rows(ByInterval) {
		rows[row.Key] = row
	}
	s := func(n int) Seconds { return Seconds(time.Duration(n) * time.Second) }
	first, second := rows["2026-11-03T08:30:00Z"], rows["2026-11-03T09:00:00Z"]
	third := rows["2026-11-03T09:30:00Z"]
	if first.LoggedIn != s(600) || first.NotReady != s(600) || first.NotReadyBy["login"] != s(300) || first.NotReadyBy["break"] != s(300) {
		t.Errorf("08:30 = %+v", first)
	}
	if second.LoggedIn != s(1800) || second.NotReady != s(600) || third.LoggedIn != s(600) || third.NotReady != 0 {
		t.Errorf("09:00 = %+v\n09:30 = %+v", second, third)
	}
}

func TestOptionsValidation(t *testing.T) {
	for _, o := range []Options{{Interval: 7 * time.Minute}, {SLFormula: "best"}, {Interval: time.Second}} {
		if _, err := NewComputer(o); err == nil {
			t.Errorf("NewComputer(%+v) succeeded", o)
		}
	}
}

// A call counts once however many events follow its call.end. In a
// cluster, a node paused past dead_after is reaped: the reaper ends its
// calls in the log (reason node_lost); a call that went on then logs its
// own events and its real call.end as the node resumes.
func TestCallCountsOnceAfterItsEnd(t *testing.T) {
	r := run(t,
		e(0, events.CallStart, "c1", "", "", "from", "+1"),
		e(1, events.QueueEnter, "c1", "billing", ""),
		e(5, events.QueueConnect, "c1", "billing", "a1"),
		e(30, events.CallEnd, "c1", "", "", "by", "system", "reason", "node_lost"),
		// The paused node resumes: late events of the same call.
		e(40, events.CallHold, "c1", "billing", "a1"),
		e(50, events.CallUnhold, "c1", "billing", "a1"),
		e(90, events.CallEnd, "c1", "", "", "by", "caller"),
		e(95, events.AgentWrapupEnd, "c1", "billing", "a1"),
	)
	want := CallOutcomes{Total: 1, Agent: 1}
	if r.Calls != want {
		t.Errorf("outcomes = %+v; want %+v", r.Calls, want)
	}
	row := r.Total()
	if row.Offered != 1 || row.Answered != 1 || row.Handled != 1 || row.Abandoned != 0 {
		t.Errorf("total = offered %d answered %d handled %d abandoned %d; want 1 1 1 0",
			row.Offered, row.Answered, row.Handled, row.Abandoned)
	}
	if row.AvgHold != ratio(0, 1) {
		t.Errorf("hold after the end counted: avg hold %v", row.AvgHold)
	}
}
