package ivrtest

import (
	"io/fs"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/events"
	"github.com/switchboard-cc/switchboard/flows"
	"github.com/switchboard-cc/switchboard/hours"
	"github.com/switchboard-cc/switchboard/ivr"
)

// alwaysOpen is a calendar open around the clock, so hours nodes take the
// open branch whenever the suite runs.
func alwaysOpen() *hours.Calendar {
	day := []hours.Range{{Start: 0, End: 24 * 3600}}
	weekly := map[time.Weekday][]hours.Range{}
	for d := time.Sunday; d <= time.Saturday; d++ {
		weekly[d] = day
	}
	cal, err := hours.New(hours.Spec{Name: "always", Weekly: weekly})
	if err != nil {
		panic(err)
	}
	return cal
}

func queueNode(b *Builder, id, next string) {
	b.Node(id, next, &flows.QueueSpec{Group: "support", MaxWait: time.Minute, Music: P("moh"),
		OnTimeout: b.Ref("timeout"), OnClosed: b.Ref("timeout")})
	b.Node("timeout", "", &flows.PlaySpec{Prompts: P("timeout"), Barge: true})
}

func shortMenu(b *Builder, id string, options map[string]*flows.Node, onFail string) {
	b.Node(id, "", &flows.MenuSpec{Prompts: P("menu"), Options: options, Timeout: confKeyWait,
		Retries: 1, Invalid: P("invalid"), OnFail: b.Ref(onFail)})
}

func runFlows(t *testing.T, factory Factory, store fs.FS) {
	offer := func(after time.Duration, agents ...string) ScheduledOffer {
		return ScheduledOffer{After: after, Agents: agents, Ring: confRing}
	}
	cases := []flowCase{
		{
			// Every node type, in one call: set, play, hours, menu, input,
			// switch, lookup, callback, record, queue (answered), goto,
			// hangup; transfer has its own case since it ends the flow.
			name:   "every node type",
			agents: []AgentSetup{{ID: "a1", Behavior: Answers, AnswerAfter: 100 * time.Millisecond}},
			groups: map[string]Queue{"support": {Offers: []ScheduledOffer{offer(200*time.Millisecond, "a1")}}},
			build: func(b *Builder, _ Remote) {
				b.Node("set", "hello", &flows.SetSpec{Vars: []flows.Assignment{{Var: "language", Value: T("en")}}})
				b.Node("hello", "hours", &flows.PlaySpec{Prompts: P("welcome"), Barge: true})
				b.Node("hours", "", &flows.HoursSpec{CalendarName: "always", Calendar: alwaysOpen(),
					Open: b.Ref("menu"), Closed: b.Ref("timeout")})
				shortMenu(b, "menu", map[string]*flows.Node{"1": b.Ref("account")}, "timeout")
				b.Node("account", "check", &flows.InputSpec{Prompts: P("enter_account"), Var: "account", Min: 3, Max: 6,
					Terminator: "#", FirstDigit: confKeyWait, InterDigit: confKeyWait, Retries: 1, Invalid: P("invalid_account")})
				b.Node("check", "", &flows.SwitchSpec{Value: T("{{account}}"),
					Cases: []flows.SwitchCase{{Value: "4321", Target: b.Ref("status")}}, Default: b.Ref("timeout")})
				b.Node("status", "cb", &flows.LookupSpec{URL: T("http://status.invalid/{{account}}"), Result: "s",
					Say: P("outage_{{s.status}}", "digits:{{account}}"), OnError: b.Ref("timeout")})
				b.Node("cb", "vm", &flows.CallbackSpec{Number: T("{{caller}}"), Group: "support", Prompts: P("callback_confirmed")})
				b.Node("vm", "q", &flows.RecordSpec{Prompts: P("leave_message"), Max: 10 * time.Second, Terminator: "#", Beep: true})
				queueNode(b, "q", "next")
				b.Node("next", "", &flows.GotoSpec{Flow: "second"})
			},
			drive: func(t *testing.T, c *confRun) {
				c.press(t, "collect", 1, "1")
				c.press(t, "collect", 2, "4321#")
				if c.call.await(t, "record", 1) {
					time.Sleep(300 * time.Millisecond) // the caller speaks
					c.press(t, "record", 1, "#")
				}
				c.agentHangup(t, 1, "a1")
			},
			want: func(t *testing.T, c *confRun, out ivr.Outcome) {
				wantOutcome(t, out, ivr.Completed, ivr.ReasonHangupNode, "end")
				if out.Flow != "second" {
					t.Errorf("ended in flow %q; want second (after the goto)", out.Flow)
				}
				var types []string
				for _, e := range c.events.Events() {
					if e.Type == events.IVRNode {
						types = append(types, e.Data["node_type"])
					}
				}
				for _, ty := range flows.Types {
					if ty != flows.Transfer && !slices.Contains(types, string(ty)) {
						t.Errorf("no %s node ran; ran %v", ty, types)
					}
				}
				if ev, ok := c.events.Last(events.VoicemailSaved); !ok || ev.Data["duration_ms"] == "0" {
					t.Errorf("voicemail.saved = %+v; want a recording with a duration", ev)
				}
				if _, ok := c.events.Last(events.CallbackRequested); !ok {
					t.Error("no callback.requested")
				}
				wantLog(t, c, "enqueue support", "answered o1 a1", "finish agent")
				if !closedWithin(c.remote.Ended(), confPromptly) {
					t.Error("the caller's side did not see the engine hang up")
				}
			},
		},
		{
			name: "barge-in cuts the prompt",
			build: func(b *Builder, _ Remote) {
				b.Node("menu", "", &flows.MenuSpec{Prompts: P("long"), Options: map[string]*flows.Node{"2": b.Ref("bye")},
					Timeout: confKeyWait, Retries: 0})
				b.Node("bye", "", &flows.HangupSpec{})
			},
			drive: func(t *testing.T, c *confRun) { c.press(t, "play", 1, "2") },
			want: func(t *testing.T, c *confRun, out ivr.Outcome) {
				wantOutcome(t, out, ivr.Completed, ivr.ReasonHangupNode, "bye")
				if ev, _ := c.events.Last(events.IVRPrompt); ev.Data["barged"] != "1" {
					t.Errorf("ivr.prompt = %v; want barged", ev.Data)
				}
			},
		},
		{
			name: "menu timeouts run out to on_fail",
			build: func(b *Builder, _ Remote) {
				b.Node("menu", "", &flows.MenuSpec{Prompts: P("menu"), Options: map[string]*flows.Node{"1": b.Ref("bye")},
					Timeout: confShortWait, Retries: 1, Invalid: P("invalid"), OnFail: b.Ref("operator")})
				b.Node("operator", "bye", &flows.PlaySpec{Prompts: P("operator")})
				b.Node("bye", "", &flows.HangupSpec{})
			},
			want: func(t *testing.T, c *confRun, out ivr.Outcome) {
				wantOutcome(t, out, ivr.Completed, ivr.ReasonHangupNode, "bye")
				n := 0
				for _, e := range c.events.Events() {
					if e.Type == events.IVRDigits && e.Data["stop"] == string(ivr.StopFirstTimeout) {
						n++
					}
				}
				if n != 2 {
					t.Errorf("%d first-digit timeouts; want 2", n)
				}
			},
		},
		{
			name: "transfer",
			build: func(b *Builder, r Remote) {
				tr := r.TransferTarget()
				b.Node("x", "", &flows.TransferSpec{Target: T(tr.Target), Kind: tr.Kind, OnFail: b.Ref("failed")})
				b.Node("failed", "", &flows.HangupSpec{Cause: "failure"})
			},
			want: func(t *testing.T, c *confRun, out ivr.Outcome) {
				wantOutcome(t, out, ivr.Transferred, ivr.ReasonTransfer, "x")
			},
		},
		{
			name:   "queue: busy agent, then one who answers",
			agents: []AgentSetup{{ID: "a1", Behavior: Busy}, {ID: "a2", Behavior: Answers, AnswerAfter: 100 * time.Millisecond}},
			groups: map[string]Queue{"support": {Offers: []ScheduledOffer{offer(100*time.Millisecond, "a1"), offer(100*time.Millisecond, "a2")}}},
			build: func(b *Builder, _ Remote) {
				queueNode(b, "q", "bye")
				b.Node("bye", "", &flows.HangupSpec{})
			},
			drive: func(t *testing.T, c *confRun) { c.agentHangup(t, 1, "a2") },
			want: func(t *testing.T, c *confRun, out ivr.Outcome) {
				wantOutcome(t, out, ivr.Completed, ivr.ReasonHangupNode, "bye")
				wantLog(t, c, "enqueue support", "missed o1 a1=busy", "answered o2 a2", "finish agent")
			},
		},
		{
			name:   "queue: no answer, then the wait times out",
			agents: []AgentSetup{{ID: "a1", Behavior: NoAnswer}},
			groups: map[string]Queue{"support": {Exit: 1600 * time.Millisecond,
				Offers: []ScheduledOffer{{After: 100 * time.Millisecond, Agents: []string{"a1"}, Ring: time.Second}}}},
			build: func(b *Builder, _ Remote) {
				queueNode(b, "q", "bye")
				b.Node("bye", "", &flows.HangupSpec{})
			},
			want: func(t *testing.T, c *confRun, out ivr.Outcome) {
				wantOutcome(t, out, ivr.Completed, ivr.ReasonEndOfFlow, "timeout")
				wantLog(t, c, "enqueue support", "missed o1 a1=timeout", "exit timeout")
			},
		},
	}
	// The caller hangs up at every stage of a call: the driver walks the
	// call up to the stage, then hangs up.
	type stage struct {
		name, op string
		n        int
		last     string
		log      []string
	}
	stages := []stage{
		{"prompt", "play", 1, "hello", nil},
		{"menu", "collect", 1, "menu", nil},
		{"input", "collect", 2, "account", nil},
		{"recording", "record", 1, "vm", nil},
		{"queue wait", "hold", 1, "q", []string{"enqueue support", "abandon"}},
		{"ringing", "connect", 1, "q", []string{"enqueue support", "abandon"}},
		{"conversation", "connected", 1, "q", []string{"enqueue support", "answered o1 a1", "finish caller"}},
	}
	for i, st := range stages {
		cases = append(cases, flowCase{
			name:   "caller hangs up during " + st.name,
			agents: []AgentSetup{{ID: "a1", Behavior: Answers, AnswerAfter: 500 * time.Millisecond}},
			groups: map[string]Queue{"support": {Offers: []ScheduledOffer{offer(200*time.Millisecond, "a1")}}},
			build: func(b *Builder, _ Remote) {
				b.Node("hello", "menu", &flows.PlaySpec{Prompts: P("long")})
				shortMenu(b, "menu", map[string]*flows.Node{"1": b.Ref("account")}, "timeout")
				b.Node("account", "vm", &flows.InputSpec{Prompts: P("enter_account"), Var: "account", Min: 3, Max: 6,
					Terminator: "#", FirstDigit: confKeyWait, InterDigit: confKeyWait})
				b.Node("vm", "q", &flows.RecordSpec{Max: 10 * time.Second, Terminator: "#"})
				queueNode(b, "q", "")
			},
			drive: func(t *testing.T, c *confRun) {
				// The caller's answers up to each stage, in order.
				answers := []func(){
					func() { c.press(t, "collect", 1, "1") },
					func() { c.press(t, "collect", 2, "999#") },
					func() {
						// The caller speaks before pressing #: a key at the
						// instant Record starts may count as pressed before it.
						if c.call.await(t, "record", 1) {
							time.Sleep(300 * time.Millisecond)
							c.press(t, "record", 1, "#")
						}
					},
				}
				for _, answer := range answers[:min(max(i-1, 0), len(answers))] {
					answer()
				}
				c.hangup(t, st.op, st.n)
			},
			want: func(t *testing.T, c *confRun, out ivr.Outcome) {
				wantOutcome(t, out, ivr.CallerHangup, ivr.ReasonCallerHangup, st.last)
				end, _ := c.events.Last(events.CallEnd)
				if end.Data["by"] != ivr.ByCaller || end.Node != st.last {
					t.Errorf("call.end = %+v; want by=caller at %s", end, st.last)
				}
				if st.log != nil {
					wantLog(t, c, st.log...)
				}
			},
		})
	}

	cases = append(cases, keyFlows(offer)...)
	for _, fc := range cases {
		t.Run(fc.name, func(t *testing.T) {
			c := startFlow(t, factory, store, fc)
			if fc.drive != nil {
				fc.drive(t, c)
			}
			out := c.outcome(t)
			fc.want(t, c, out)
		})
	}
}

func wantOutcome(t *testing.T, out ivr.Outcome, res ivr.Result, reason, last string) {
	t.Helper()
	if out.Result != res || out.Reason != reason || out.LastNode != last {
		t.Errorf("outcome %s/%s at %q (err %v); want %s/%s at %q", out.Result, out.Reason, out.LastNode, out.Err, res, reason, last)
	}
}

func wantLog(t *testing.T, c *confRun, want ...string) {
	t.Helper()
	if got := c.router.Log(); !slices.Equal(got, want) {
		t.Errorf("the ACD saw\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}
