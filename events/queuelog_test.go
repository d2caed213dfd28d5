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
	var buf bytes.Buffer
	if err := events.ExportQueueLog(context.Background(), events.NewLog(evs...), time.Time{}, time.Time{}, &buf); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"|c1|NONE|NONE|INFO|CALLSTART|+8611|96069|f",
		"|c1|billing|NONE|ENTERQUEUE||+8611|2",
		"|c1|billing|a1|CONNECT|10|c1.a1|9",
		"|c1|billing|a1|BLINDTRANSFER|2000|blind|10|60|2",
		"|c1|billing|a1|INFO|WRAPUPEND|15",
		"|NONE|NONE|a1|PAUSE|lunch_break",
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
