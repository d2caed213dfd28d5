package events_test

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/events"
	"github.com/switchboard-cc/switchboard/events/jsonl"
)

// asteriskFields is the number of data fields Asterisk (and QueueMetrics,
// for the hold verbs) writes after each verb; INFO rows carry a subtype
// and its values.
var asteriskFields = map[string]int{
	"ENTERQUEUE": 3, "CONNECT": 3, "COMPLETEAGENT": 3, "COMPLETECALLER": 3,
	"ABANDON": 3, "EXITWITHTIMEOUT": 3, "EXITEMPTY": 3, "RINGNOANSWER": 1,
	"BLINDTRANSFER": 5, "ADDMEMBER": 1, "REMOVEMEMBER": 1, "PAUSE": 1, "UNPAUSE": 1,
	"AGENTLOGIN": 1, "AGENTLOGOFF": 2, "CALLERONHOLD": 1, "CALLEROFFHOLD": 1,
}

func fixture(t *testing.T) *events.Log {
	t.Helper()
	f, err := os.Open("../metrics/testdata/fixture-day.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	l := events.NewLog()
	if _, err := jsonl.Import(context.Background(), f, l, 0); err != nil {
		t.Fatal(err)
	}
	return l
}

func TestQueueLogFixtureParses(t *testing.T) {
	log := fixture(t)
	var buf bytes.Buffer
	if err := events.ExportQueueLog(context.Background(), log, time.Time{}, time.Time{}, &buf); err != nil {
		t.Fatal(err)
	}
	calls := map[string]bool{}
	verbs := map[string]map[string]int{} // call -> verb -> count
	sc := bufio.NewScanner(&buf)
	lines := 0
	for sc.Scan() {
		lines++
		f := strings.Split(sc.Text(), "|")
		if len(f) < 6 {
			t.Fatalf("line %d %q: %d fields; want epoch|callid|queue|agent|EVENT|data...", lines, sc.Text(), len(f))
		}
		if _, err := strconv.ParseInt(f[0], 10, 64); err != nil {
			t.Errorf("line %d: epoch %q", lines, f[0])
		}
		verb := f[4]
		if verb == "INFO" {
			if f[5] == "" {
				t.Errorf("line %d: INFO without subtype", lines)
			}
		} else if want, ok := asteriskFields[verb]; !ok {
			t.Errorf("line %d: unknown verb %q", lines, verb)
		} else if got := len(f) - 5; got != want {
			t.Errorf("line %d %q: %s has %d data fields; Asterisk writes %d", lines, sc.Text(), verb, got, want)
		}
		if f[1] != "NONE" {
			calls[f[1]] = true
			if verbs[f[1]] == nil {
				verbs[f[1]] = map[string]int{}
			}
			verbs[f[1]][verb]++
		}
	}
	for _, e := range log.Events() {
		if e.CallID != "" && !calls[e.CallID] {
			t.Errorf("call %s missing from the queue_log", e.CallID)
		}
	}
	// Every queued call enters once and leaves once, in Asterisk's terms.
	for call, want := range map[string][]string{
		"C1":  {"ENTERQUEUE", "CONNECT", "CALLERONHOLD", "CALLEROFFHOLD", "COMPLETEAGENT"},
		"C2":  {"ENTERQUEUE", "RINGNOANSWER", "CONNECT", "COMPLETECALLER"},
		"C3":  {"ENTERQUEUE", "ABANDON"},
		"C6":  {"ENTERQUEUE", "CONNECT", "BLINDTRANSFER"},
		"C7":  {"ENTERQUEUE", "EXITWITHTIMEOUT"},
		"C10": {"ENTERQUEUE", "CONNECT", "COMPLETEAGENT"},
	} {
		for _, v := range want {
			if verbs[call][v] != 1 {
				t.Errorf("%s: %s appears %d times; want once (%v)", call, v, verbs[call][v], verbs[call])
			}
		}
	}
	// The transferred call is not completed by the agent afterwards.
	if verbs["C6"]["COMPLETEAGENT"]+verbs["C6"]["COMPLETECALLER"] != 0 {
		t.Errorf("C6 was charged to the agent after the transfer: %v", verbs["C6"])
	}
	if verbs["C8"]["INFO"] == 0 || verbs["C9"]["INFO"] == 0 {
		t.Errorf("IVR-only calls C8, C9 have no INFO rows: %v %v", verbs["C8"], verbs["C9"])
	}
}

func TestQueueLogFields(t *testing.T) {
	t0 := time.Date(2026, 11, 2, 8, 30, 0, 0, time.UTC)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	evs := []events.Event{
		{Time: at(0), CallID: "c1", Type: events.CallStart, Data: map[string]string{"from": "+8611", "to": "96069", "flow": "f"}},
		{Time: at(5), CallID: "c1", Type: events.QueueEnter, Queue: "billing", Data: map[string]string{"position": "2"}},
		{Time: at(6), CallID: "c1", Type: events.AgentOffer, Queue: "billing", Agent: "a1"},
		{Time: at(15), CallID: "c1", Type: events.QueueConnect, Queue: "billing", Agent: "a1", Data: map[string]string{"ring_ms": "9000"}},
		{Time: at(75), CallID: "c1", Type: events.CallTransfer, Agent: "a1", Data: map[string]string{"target": "2000", "kind": "blind"}},
		{Time: at(90), Type: events.AgentWrapupEnd, Agent: "a1", CallID: "c1"},
		{Time: at(300), CallID: "c1", Type: events.CallEnd, Data: map[string]string{"by": "caller"}},
		{Time: at(400), Type: events.AgentState, Agent: "a1", Data: map[string]string{"state": "not_ready", "reason": "lunch|break"}},
	}
	checkQueueLog(t, evs, []string{
		"|c1|NONE|NONE|INFO|CALLSTART|+8611|96069|f",
		"|c1|billing|NONE|ENTERQUEUE||+8611|2",
		"|c1|billing|a1|CONNECT|10|c1.a1|9",
		"|c1|billing|a1|BLINDTRANSFER|2000|blind|10|60|2",
		"|c1|billing|a1|INFO|WRAPUPEND|15",
		"|NONE|NONE|a1|PAUSE|lunch_break",
	})
}

// Callbacks: the caller's hang-up while the callback waits writes no
// ABANDON; the dialled leg is no CALLSTART; CONNECT's holdtime runs from
// the kept place; the COMPLETE row comes with the dialled leg's end, even
// when the caller's own call ends during the callback (c3).
func TestQueueLogCallbacks(t *testing.T) {
	t0 := time.Date(2026, 11, 2, 8, 30, 0, 0, time.UTC)
	ev := func(s int, call string, typ events.Type, queue, agent string, kv ...string) events.Event {
		e := events.Event{Time: t0.Add(time.Duration(s) * time.Second), CallID: call, Type: typ, Queue: queue, Agent: agent, Data: map[string]string{}}
		for i := 0; i+1 < len(kv); i += 2 {
			e.Data[kv[i]] = kv[i+1]
		}
		return e
	}
	dial := func(s int, call, to, attempt string) events.Event {
		return ev(s, call, events.CallStart, "", "", "from", "96069", "to", to, "direction", "outbound", "kind", "callback", "attempt", attempt)
	}
	evs := []events.Event{
		// c1: timed out at 65, callback booked at 70 keeps the place
		// (entered at 5), answered at 310: holdtime 305.
		ev(0, "c1", events.CallStart, "", "", "from", "+8611", "to", "96069", "flow", "f"),
		ev(5, "c1", events.QueueEnter, "billing", "", "position", "2"),
		ev(65, "c1", events.QueueTimeout, "billing", "", "position", "1", "wait_ms", "60000"),
		ev(70, "c1", events.QueueEnter, "billing", "", "callback", "1", "number", "+8611", "position", "1"),
		{Time: t0.Add(70 * time.Second), CallID: "c1", Type: events.CallbackRequested, Node: "cb", Queue: "billing"},
		ev(80, "c1", events.CallEnd, "", "", "by", "system", "flow", "f"),
		ev(300, "c1", events.AgentOffer, "billing", "a1"),
		dial(300, "c1", "+8611", "1"),
		ev(310, "c1", events.QueueConnect, "billing", "a1", "callback", "1", "ring_ms", "2000"),
		ev(400, "c1", events.CallEnd, "", "", "result", "completed", "by", "agent"),
		// c2: the customer is busy at 1010, the retry at 1610 keeps the
		// place (1000) and is answered at 1615.
		ev(1000, "c2", events.QueueEnter, "billing", "", "callback", "1", "number", "+8622", "position", "1"),
		dial(1010, "c2", "+8622", "1"),
		ev(1010, "c2", events.QueueAbandon, "billing", "", "callback", "1", "position", "1"),
		ev(1010, "c2", events.CallEnd, "", "", "result", "failed", "reason", "busy", "by", "system"),
		ev(1610, "c2", events.QueueEnter, "billing", "", "callback", "1", "number", "+8622", "position", "1"),
		dial(1610, "c2", "+8622", "2"),
		ev(1615, "c2", events.QueueConnect, "billing", "a1", "callback", "1", "ring_ms", "3000"),
		ev(1700, "c2", events.CallEnd, "", "", "result", "completed", "by", "caller"),
		// c3: turned away, booked at 2005, answered at 2009 while the
		// caller still hears the confirmation (their call ends at 2012).
		ev(2000, "c3", events.CallStart, "", "", "from", "+8633", "to", "96069", "flow", "f"),
		ev(2000, "c3", events.QueueClosed, "billing", "", "reason", "no_agents"),
		ev(2005, "c3", events.QueueEnter, "billing", "", "callback", "1", "number", "+8633", "position", "1"),
		dial(2006, "c3", "+8633", "1"),
		ev(2009, "c3", events.QueueConnect, "billing", "a1", "callback", "1", "ring_ms", "1000"),
		ev(2012, "c3", events.CallEnd, "", "", "by", "caller", "flow", "f"),
		ev(2050, "c3", events.CallEnd, "", "", "result", "completed", "by", "agent"),
	}
	checkQueueLog(t, evs, []string{
		"|c1|NONE|NONE|INFO|CALLSTART|+8611|96069|f",
		"|c1|billing|NONE|ENTERQUEUE||+8611|2",
		"|c1|billing|NONE|EXITWITHTIMEOUT|1|2|60",
		"|c1|billing|NONE|ENTERQUEUE||+8611|2",
		"|c1|NONE|NONE|INFO|IVRAPPEND|cb:callback.requested",
		"|c1|NONE|NONE|INFO|DIALOUT|+8611|callback|1",
		"|c1|billing|a1|CONNECT|305|c1.a1|2",
		"|c1|billing|a1|COMPLETEAGENT|305|90|2",
		"|c2|billing|NONE|ENTERQUEUE||+8622|1",
		"|c2|NONE|NONE|INFO|DIALOUT|+8622|callback|1",
		"|c2|billing|NONE|ABANDON|1|1|10",
		"|c2|billing|NONE|ENTERQUEUE||+8622|1",
		"|c2|NONE|NONE|INFO|DIALOUT|+8622|callback|2",
		"|c2|billing|a1|CONNECT|615|c2.a1|3",
		"|c2|billing|a1|COMPLETECALLER|615|85|1",
		"|c3|NONE|NONE|INFO|CALLSTART|+8633|96069|f",
		"|c3|billing|NONE|INFO|CLOSED|no_agents",
		"|c3|billing|NONE|ENTERQUEUE||+8633|1",
		"|c3|NONE|NONE|INFO|DIALOUT|+8633|callback|1",
		"|c3|billing|a1|CONNECT|4|c3.a1|1",
		"|c3|billing|a1|COMPLETEAGENT|4|41|1",
	})
}

// checkQueueLog exports evs as a queue_log and fails t unless its lines
// are want, each but its timestamp (the field before the first |).
func checkQueueLog(t *testing.T, evs []events.Event, want []string) {
	t.Helper()
	var buf bytes.Buffer
	if err := events.ExportQueueLog(context.Background(), events.NewLog(evs...), time.Time{}, time.Time{}, &buf); err != nil {
		t.Fatal(err)
	}
	got := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(got) != len(want) {
		t.Fatalf("queue_log =\n%s\nwant %d lines", buf.String(), len(want))
	}
	for i := range want {
		if _, rest, _ := strings.Cut(got[i], "|"); "|"+rest != want[i] {
			t.Errorf("line %d = %q; want …%q", i, got[i], want[i])
		}
	}
}

// TestQueueLogHostileCaller: a caller's number (from an ARI channel's
// caller ID, or any store) with NUL, escape sequences, DEL or C1 controls
// used to reach the queue_log as is ('|' and newlines were already
// replaced): a terminal showing the file ran the escapes, and C tools
// reading it stopped at the NUL. Every control character becomes '_', and
// the row keeps its fields.
func TestQueueLogHostileCaller(t *testing.T) {
	t0 := time.Date(2026, 11, 2, 8, 30, 0, 0, time.UTC)
	from := "+86\x00\x1b[2J\x1b]0;owned\x07|x\r\ny\x7f\u009bz"
	evs := []events.Event{
		{Time: t0, CallID: "c\x1b1", Type: events.CallStart, Data: map[string]string{"from": from, "to": "96069", "flow": "f"}},
	}
	checkQueueLog(t, evs, []string{
		"|c_1|NONE|NONE|INFO|CALLSTART|+86__[2J_]0;owned__x__y__z|96069|f",
	})
}
