package ivr_test

import (
	"context"
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/events"
	"github.com/switchboard-cc/switchboard/flows"
	"github.com/switchboard-cc/switchboard/ivr"
	"github.com/switchboard-cc/switchboard/ivr/ivrtest"
	. "github.com/switchboard-cc/switchboard/ivr/ivrtest"
)

type nodeCase struct {
	name   string
	build  func(b *Builder)
	world  world // catalog is built from build
	result ivr.Result
	reason string
	last   string
	played []string // exact list of Plays (nil: not checked)
	check  func(t *testing.T, r result)
}

func menuFlow(b *Builder, onFail string) {
	b.Node("menu", "", &flows.MenuSpec{
		Prompts: P("welcome", "main_menu"),
		Options: map[string]*flows.Node{"1": b.Ref("one"), "2": b.Ref("two")},
		Timeout: 5 * time.Second, Retries: 2,
		Invalid: P("invalid_option"), NoInput: P("no_input"),
		OnFail: b.Ref(onFail),
	})
	b.Node("one", "end", &flows.PlaySpec{Prompts: P("chose_one"), Barge: true})
	b.Node("two", "end", &flows.PlaySpec{Prompts: P("chose_two"), Barge: true})
	if onFail != "" {
		b.Node(onFail, "end", &flows.PlaySpec{Prompts: P("operator")})
	}
	b.Node("end", "", &flows.HangupSpec{})
}

func accountFlow(b *Builder) {
	b.Node("account", "confirm", &flows.InputSpec{
		Prompts: P("enter_account"), Var: "account", Min: 6, Max: 10, Terminator: "#",
		FirstDigit: 6 * time.Second, InterDigit: 4 * time.Second, Retries: 1,
		Invalid: P("invalid_account"), OnFail: b.Ref("failed"),
	})
	b.Node("confirm", "end", &flows.PlaySpec{Prompts: P("you_entered", "digits:{{account}}")})
	b.Node("failed", "end", &flows.PlaySpec{Prompts: P("operator")})
	b.Node("end", "", &flows.HangupSpec{})
}

func TestNodes(t *testing.T) {
	cases := []nodeCase{
		// play
		{
			name: "play plays prompts in order",
			build: func(b *Builder) {
				b.Node("hello", "end", &flows.PlaySpec{Prompts: P("welcome", "sound:beep", "digits:42#"), Barge: true})
				b.Node("end", "", &flows.HangupSpec{})
			},
			result: ivr.Completed, reason: ivr.ReasonHangupNode, last: "end",
			played: []string{"en/welcome.wav", "sound:beep", "en/digits/4.wav en/digits/2.wav en/digits/pound.wav"},
		},
		{
			name: "a key barges into a prompt and answers the next menu",
			build: func(b *Builder) {
				b.Node("hello", "menu", &flows.PlaySpec{Prompts: P("welcome", "news"), Barge: true})
				menuFlow(b, "")
			},
			world:  world{script: []Step{{At: AtPrompt, Delay: 300 * time.Millisecond, Keys: "2"}}},
			result: ivr.Completed, reason: ivr.ReasonHangupNode, last: "end",
			played: []string{"en/welcome.wav (barged)", "en/welcome.wav (barged)", "en/chose_two.wav"},
		},
		{
			name: "without barge the prompt plays on and the key waits in the buffer",
			build: func(b *Builder) {
				b.Node("hello", "menu", &flows.PlaySpec{Prompts: P("welcome", "news")})
				menuFlow(b, "")
			},
			world:  world{script: []Step{{At: AtPrompt, Delay: 300 * time.Millisecond, Keys: "1"}}},
			result: ivr.Completed, last: "end", reason: ivr.ReasonHangupNode,
			played: []string{"en/welcome.wav", "en/news.wav", "en/welcome.wav (barged)", "en/chose_one.wav"},
		},
		// menu
		{
			name:   "menu: a valid key",
			build:  func(b *Builder) { menuFlow(b, "") },
			world:  world{script: []Step{input("1")}},
			result: ivr.Completed, reason: ivr.ReasonHangupNode, last: "end",
			played: []string{"en/welcome.wav", "en/main_menu.wav", "en/chose_one.wav"},
		},
		{
			name:   "menu: invalid key, then no key, then a valid one",
			build:  func(b *Builder) { menuFlow(b, "") },
			world:  world{script: []Step{input("7"), {}, input("2")}},
			result: ivr.Completed, reason: ivr.ReasonHangupNode, last: "end",
			played: []string{"en/welcome.wav", "en/main_menu.wav", "en/invalid_option.wav",
				"en/welcome.wav", "en/main_menu.wav", "en/no_input.wav",
				"en/welcome.wav", "en/main_menu.wav", "en/chose_two.wav"},
		},
		{
			name:   "menu: retries run out to on_fail without another invalid prompt",
			build:  func(b *Builder) { menuFlow(b, "operator") },
			world:  world{script: []Step{input("9"), input("9"), input("9")}},
			result: ivr.Completed, reason: ivr.ReasonHangupNode, last: "end",
			played: []string{"en/welcome.wav", "en/main_menu.wav", "en/invalid_option.wav",
				"en/welcome.wav", "en/main_menu.wav", "en/invalid_option.wav",
				"en/welcome.wav", "en/main_menu.wav", "en/operator.wav"},
		},
		{
			name:   "menu: retries run out with no on_fail: the call ends",
			build:  func(b *Builder) { menuFlow(b, "") },
			result: ivr.Completed, reason: ivr.ReasonMenuFailed, last: "menu",
			played: []string{"en/welcome.wav", "en/main_menu.wav", "en/no_input.wav",
				"en/welcome.wav", "en/main_menu.wav", "en/no_input.wav",
				"en/welcome.wav", "en/main_menu.wav"},
			check: func(t *testing.T, r result) {
				if by, cause := r.call.Ended(); by != "system" || cause != "normal" {
					t.Errorf("call ended by %q cause %q; want system normal", by, cause)
				}
				// Three waits of 5 s after 2 s of prompts, and two 1 s retry prompts.
				if c := r.call.Collected(); len(c) != 3 || c[0].Stop != ivr.StopFirstTimeout {
					t.Errorf("collected %v; want 3 first-digit timeouts", c)
				}
			},
		},
		// input
		{
			name:   "input: digits and terminator",
			build:  accountFlow,
			world:  world{script: []Step{input("12345678#")}},
			result: ivr.Completed, reason: ivr.ReasonHangupNode, last: "end",
			played: []string{"en/enter_account.wav", "en/you_entered.wav",
				"en/digits/1.wav en/digits/2.wav en/digits/3.wav en/digits/4.wav en/digits/5.wav en/digits/6.wav en/digits/7.wav en/digits/8.wav"},
			check: func(t *testing.T, r result) {
				ev, _ := r.events.Last(events.IVRDigits)
				if ev.Data["digits"] != "12345678" || ev.Data["stop"] != "terminator" || ev.Data["var"] != "account" {
					t.Errorf("ivr.digits = %v", ev.Data)
				}
			},
		},
		{
			name:   "input: too short, then max digits",
			build:  accountFlow,
			world:  world{script: []Step{input("123#"), input("12345678901")}},
			result: ivr.Completed, reason: ivr.ReasonHangupNode, last: "end",
			check: func(t *testing.T, r result) {
				got := r.call.Collected()
				want := []ivr.Collected{{Digits: "123", Stop: ivr.StopTerminator}, {Digits: "1234567890", Stop: ivr.StopMaxDigits}}
				if !slices.Equal(got, want) {
					t.Errorf("collected %v; want %v", got, want)
				}
				if p := r.call.Played(); !slices.Contains(p, "en/invalid_account.wav") {
					t.Errorf("played %v; want invalid_account", p)
				}
			},
		},
		{
			name:   "input: an inter-digit timeout with enough digits is accepted",
			build:  accountFlow,
			world:  world{script: []Step{{Keys: "1234567", Gap: time.Second}}},
			result: ivr.Completed, reason: ivr.ReasonHangupNode, last: "end",
			check: func(t *testing.T, r result) {
				got := r.call.Collected()
				if len(got) != 1 || got[0] != (ivr.Collected{Digits: "1234567", Stop: ivr.StopInterTimeout}) {
					t.Errorf("collected %v", got)
				}
			},
		},
		{
			// The first key times out alone (too short); the keys typed on
			// meanwhile cut the retry prompts and make a valid answer.
			name:   "input: keys slower than the inter-digit timeout",
			build:  accountFlow,
			world:  world{script: []Step{{Keys: "1234567", Gap: 5 * time.Second}}},
			result: ivr.Completed, reason: ivr.ReasonHangupNode, last: "end",
			played: []string{"en/enter_account.wav", "en/invalid_account.wav (barged)", "en/enter_account.wav (barged)",
				"en/you_entered.wav", "en/digits/2.wav en/digits/3.wav en/digits/4.wav en/digits/5.wav en/digits/6.wav en/digits/7.wav"},
			check: func(t *testing.T, r result) {
				got := r.call.Collected()
				want := []ivr.Collected{{Digits: "1", Stop: ivr.StopInterTimeout}, {Digits: "234567", Stop: ivr.StopInterTimeout}}
				if !slices.Equal(got, want) {
					t.Errorf("collected %v; want %v", got, want)
				}
			},
		},
		{
			name:   "input: silence until on_fail",
			build:  accountFlow,
			result: ivr.Completed, reason: ivr.ReasonHangupNode, last: "end",
			played: []string{"en/enter_account.wav", "en/invalid_account.wav", "en/enter_account.wav", "en/operator.wav"},
		},
		// hours
		{
			name:   "hours: open",
			build:  hoursFlow,
			result: ivr.Completed, reason: ivr.ReasonHangupNode, played: []string{"en/open.wav"},
		},
		{
			name:   "hours: closed at night",
			build:  hoursFlow,
			world:  world{at: time.Date(2026, 11, 23, 23, 30, 0, 0, shanghai())},
			result: ivr.Completed, reason: ivr.ReasonHangupNode, played: []string{"en/closed.wav"},
		},
		{
			name:   "hours: holiday",
			build:  hoursFlow,
			world:  world{at: time.Date(2026, 10, 1, 10, 0, 0, 0, shanghai())},
			result: ivr.Completed, reason: ivr.ReasonHangupNode, played: []string{"en/holiday.wav"},
		},
		// switch and set
		{
			name: "switch: first equal case, with set feeding it",
			build: func(b *Builder) {
				b.Node("set", "sw", &flows.SetSpec{Vars: []flows.Assignment{{Var: "tier", Value: T("gold")}, {Var: "label", Value: T("{{tier}}-{{caller}}")}}})
				b.Node("sw", "", &flows.SwitchSpec{Value: T("{{label}}"), Cases: []flows.SwitchCase{
					{Value: "silver-5551234", Target: b.Ref("silver")}, {Value: "gold-5551234", Target: b.Ref("gold")}},
					Default: b.Ref("other")})
				for _, id := range []string{"silver", "gold", "other"} {
					b.Node(id, "", &flows.PlaySpec{Prompts: P(id)})
				}
			},
			result: ivr.Completed, reason: ivr.ReasonEndOfFlow, last: "gold", played: []string{"en/gold.wav"},
		},
		{
			name: "switch: empty variable matches the empty case, else default",
			build: func(b *Builder) {
				b.Node("sw", "", &flows.SwitchSpec{Value: T("{{account}}"), Cases: []flows.SwitchCase{{Value: "", Target: b.Ref("ask")}}, Default: b.Ref("known")})
				b.Node("ask", "", &flows.PlaySpec{Prompts: P("ask")})
				b.Node("known", "", &flows.PlaySpec{Prompts: P("known")})
			},
			result: ivr.Completed, reason: ivr.ReasonEndOfFlow, last: "ask", played: []string{"en/ask.wav"},
		},
		{
			name: "set language switches the prompt set",
			build: func(b *Builder) {
				b.Node("a", "lang", &flows.PlaySpec{Prompts: P("welcome")})
				b.Node("lang", "b", &flows.SetSpec{Vars: []flows.Assignment{{Var: "language", Value: T("zh")}}})
				b.Node("b", "", &flows.PlaySpec{Prompts: P("welcome", "digits:7")})
			},
			result: ivr.Completed, reason: ivr.ReasonEndOfFlow, last: "b",
			played: []string{"en/welcome.wav", "zh/welcome.wav", "zh/digits/7.wav"},
		},
		// transfer
		{
			name: "transfer hands the call out",
			build: func(b *Builder) {
				b.Node("xfer", "", &flows.TransferSpec{Target: T("sip:{{caller}}@pbx"), Kind: "uri", OnFail: b.Ref("sorry")})
				b.Node("sorry", "", &flows.PlaySpec{Prompts: P("sorry")})
			},
			result: ivr.Transferred, reason: ivr.ReasonTransfer, last: "xfer",
			check: func(t *testing.T, r result) {
				if got := r.call.Transfers(); len(got) != 1 || got[0] != (ivr.Transfer{Target: "sip:5551234@pbx", Kind: "uri"}) {
					t.Errorf("transfers %v", got)
				}
				if by, _ := r.call.Ended(); by != "" {
					t.Errorf("engine hung up a transferred call (by %q)", by)
				}
			},
		},
		{
			name: "transfer failure goes to on_fail",
			build: func(b *Builder) {
				b.Node("xfer", "", &flows.TransferSpec{Target: T("200"), OnFail: b.Ref("sorry")})
				b.Node("sorry", "", &flows.PlaySpec{Prompts: P("sorry")})
			},
			world:  world{transfer: errors.New("486 busy")},
			result: ivr.Completed, reason: ivr.ReasonEndOfFlow, last: "sorry", played: []string{"en/sorry.wav"},
		},
		// record
		{
			name:   "record: the caller talks and presses #",
			build:  recordFlow,
			world:  world{script: []Step{{Talk: 12 * time.Second, Keys: "#"}}},
			result: ivr.Completed, reason: ivr.ReasonEndOfFlow, last: "thanks",
			played: []string{"en/leave_message.wav", "en/thanks.wav"},
			check: func(t *testing.T, r result) {
				ev, ok := r.events.Last(events.VoicemailSaved)
				if !ok || !regexp.MustCompile(`^/rec/c1-voicemail-[0-9a-f]{12}\.wav$`).MatchString(ev.Data["path"]) || ev.Data["duration_ms"] != "12000" {
					t.Errorf("voicemail.saved = %v", ev.Data)
				}
			},
		},
		{
			name:   "record: silence stops it",
			build:  recordFlow,
			world:  world{script: []Step{{Talk: 4 * time.Second}}},
			result: ivr.Completed, reason: ivr.ReasonEndOfFlow, last: "thanks",
			check: func(t *testing.T, r result) {
				if got := r.call.Recordings(); len(got) != 1 || got[0].Stop != "silence" || got[0].Duration != 7*time.Second {
					t.Errorf("recordings %v; want silence after 4s+3s", got)
				}
			},
		},
		// callback
		{
			name:   "callback: requested and confirmed",
			build:  callbackFlow,
			world:  world{groups: map[string]Queue{"billing": {}}},
			result: ivr.Completed, reason: ivr.ReasonEndOfFlow, last: "bye",
			played: []string{"en/callback_confirmed.wav", "en/goodbye.wav"},
			check: func(t *testing.T, r result) {
				if got := r.router.Callbacks(); !slices.Equal(got, []string{"billing 5551234"}) {
					t.Errorf("callbacks %v", got)
				}
				ev, ok := r.events.Last(events.CallbackRequested)
				if !ok || ev.Queue != "billing" || ev.Data["number"] != "5551234" {
					t.Errorf("callback.requested = %+v", ev)
				}
			},
		},
		{
			name:   "callback: refused, no false promise",
			build:  callbackFlow,
			result: ivr.Completed, reason: ivr.ReasonEndOfFlow, last: "bye",
			played: []string{"en/goodbye.wav"},
		},
		{
			name: "callback: refused, on_fail offers voicemail instead",
			build: func(b *Builder) {
				b.Node("cb", "bye", &flows.CallbackSpec{Number: T("{{caller}}"), Group: "billing",
					Prompts: P("callback_confirmed"), OnFail: b.Ref("voicemail")})
				b.Node("voicemail", "", &flows.PlaySpec{Prompts: P("leave_message")})
				b.Node("bye", "", &flows.PlaySpec{Prompts: P("goodbye")})
			},
			world:  world{groups: map[string]Queue{"billing": {Closed: true}}},
			result: ivr.Completed, reason: ivr.ReasonEndOfFlow, last: "voicemail",
			played: []string{"en/leave_message.wav"},
			check: func(t *testing.T, r result) {
				ev, ok := r.events.Last(events.SelfServiceDone)
				if !ok || ev.Data["kind"] != "callback" || ev.Data["result"] != "closed" {
					t.Errorf("selfservice.done = %+v", ev)
				}
				if _, ok := r.events.Last(events.CallbackRequested); ok {
					t.Error("callback.requested logged for a refused callback")
				}
			},
		},
		// hangup
		{
			name:   "hangup with a cause",
			build:  func(b *Builder) { b.Node("end", "", &flows.HangupSpec{Cause: "busy"}) },
			result: ivr.Completed, reason: ivr.ReasonHangupNode, last: "end",
			check: func(t *testing.T, r result) {
				if by, cause := r.call.Ended(); by != "system" || cause != "busy" {
					t.Errorf("ended by %q cause %q", by, cause)
				}
			},
		},
		{
			name:   "hangup with continue leaves the call up",
			build:  func(b *Builder) { b.Node("end", "", &flows.HangupSpec{Continue: true}) },
			result: ivr.Completed, reason: ivr.ReasonHangupNode, last: "end",
			check: func(t *testing.T, r result) {
				if !r.out.Continue || r.out.Cause != "" {
					t.Errorf("outcome %+v; want Continue and no cause", r.out)
				}
				if by, _ := r.call.Ended(); by != "" {
					t.Errorf("call ended by %q; want still up", by)
				}
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := NewFlow("test", "en", "100")
			tc.build(b)
			w := tc.world
			w.catalog = Catalog(b.Flow())
			r := w.run(t)
			checkOutcome(t, r, tc.result, tc.reason, tc.last)
			if tc.played != nil && !slices.Equal(r.call.Played(), tc.played) {
				t.Errorf("played\n  %s\nwant\n  %s", strings.Join(r.call.Played(), "\n  "), strings.Join(tc.played, "\n  "))
			}
			if tc.check != nil {
				tc.check(t, r)
			}
		})
	}
}

func checkOutcome(t *testing.T, r result, res ivr.Result, reason, last string) {
	t.Helper()
	if r.out.Result != res || r.out.Reason != reason || (last != "" && r.out.LastNode != last) {
		t.Errorf("outcome = %s/%s at %q (err %v); want %s/%s at %q\ntrace:\n  %s",
			r.out.Result, r.out.Reason, r.out.LastNode, r.out.Err, res, reason, last,
			strings.Join(r.call.TraceLines(), "\n  "))
	}
	end, ok := r.events.Last(events.CallEnd)
	if !ok || end.Data["reason"] != r.out.Reason || end.Data["by"] != r.out.By || end.Node != r.out.LastNode {
		t.Errorf("call.end = %+v; want reason %s by %s node %s", end, r.out.Reason, r.out.By, r.out.LastNode)
	}
}

func hoursFlow(b *Builder) {
	b.Node("check", "", &flows.HoursSpec{CalendarName: "office", Calendar: office(&testing.T{}),
		Open: b.Ref("open"), Closed: b.Ref("closed"), Holiday: b.Ref("holiday")})
	for _, id := range []string{"open", "closed", "holiday"} {
		b.Node(id, "end", &flows.PlaySpec{Prompts: P(id)})
	}
	b.Node("end", "", &flows.HangupSpec{})
}

func recordFlow(b *Builder) {
	b.Node("voicemail", "thanks", &flows.RecordSpec{Prompts: P("leave_message"), Max: 2 * time.Minute,
		Silence: 3 * time.Second, Terminator: "#", Beep: true})
	b.Node("thanks", "", &flows.PlaySpec{Prompts: P("thanks")})
}

func callbackFlow(b *Builder) {
	b.Node("cb", "bye", &flows.CallbackSpec{Number: T("{{caller}}"), Group: "billing", Prompts: P("callback_confirmed")})
	b.Node("bye", "", &flows.PlaySpec{Prompts: P("goodbye")})
}

var _ = context.Background
var _ = ivrtest.AtInput
