package ivr_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	"github.com/switchboard-cc/switchboard/events"
	"github.com/switchboard-cc/switchboard/flows"
	"github.com/switchboard-cc/switchboard/internal/clock"
	"github.com/switchboard-cc/switchboard/ivr"
	. "github.com/switchboard-cc/switchboard/ivr/ivrtest"
)

func lookupFlow(b *Builder) { lookupFlowTimeout(50 * time.Millisecond)(b) }

func lookupFlowTimeout(timeout time.Duration) func(b *Builder) {
	return func(b *Builder) {
		b.Node("status", "bye", &flows.LookupSpec{
			Method: "POST", URL: T("http://svc/outages?account={{account}}"),
			Headers: map[string]flows.Template{"X-Caller": T("{{caller}}")}, Body: T(`{"acct":"{{account}}"}`),
			Timeout: timeout, Result: "outage",
			Say: P("outage_{{outage.status}}", "number:{{outage.eta_hours}}"), OnError: b.Ref("sorry"),
		})
		b.Node("sorry", "", &flows.PlaySpec{Prompts: P("status_unavailable")})
		b.Node("bye", "", &flows.PlaySpec{Prompts: P("goodbye")})
	}
}

func TestLookup(t *testing.T) {
	var got ivr.LookupRequest
	ok := lookupFunc(func(ctx context.Context, req ivr.LookupRequest) (map[string]string, error) {
		got = req
		return map[string]string{"status": "repairing", "eta_hours": "4"}, nil
	})
	failing := lookupFunc(func(ctx context.Context, req ivr.LookupRequest) (map[string]string, error) {
		return nil, errors.New("503 service unavailable")
	})
	slow := lookupFunc(func(ctx context.Context, req ivr.LookupRequest) (map[string]string, error) {
		<-ctx.Done() // the engine's timeout must end this
		return nil, ctx.Err()
	})
	cases := []struct {
		name   string
		lookup ivr.Lookuper
		last   string
		played []string
		result string
	}{
		{"answer fills variables and is said", ok, "bye", []string{"en/outage_repairing.wav", "en/numbers/4.wav", "en/goodbye.wav"}, "ok"},
		{"error takes on_error", failing, "sorry", []string{"en/status_unavailable.wav"}, "error"},
		{"timeout takes on_error", slow, "sorry", []string{"en/status_unavailable.wav"}, "error"},
		{"no lookup service takes on_error", nil, "sorry", []string{"en/status_unavailable.wav"}, "error"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := NewFlow("test", "en", "100").Var("account", "12345678")
			lookupFlow(b)
			r := world{catalog: Catalog(b.Flow()), lookup: tc.lookup}.run(t)
			checkOutcome(t, r, ivr.Completed, ivr.ReasonEndOfFlow, tc.last)
			if !slices.Equal(r.call.Played(), tc.played) {
				t.Errorf("played %q; want %q", r.call.Played(), tc.played)
			}
			ev, _ := r.events.Last(events.SelfServiceDone)
			if ev.Data["kind"] != "lookup" || ev.Data["result"] != tc.result {
				t.Errorf("selfservice.done = %v; want lookup %s", ev.Data, tc.result)
			}
		})
	}
	want := ivr.LookupRequest{Method: "POST", URL: "http://svc/outages?account=12345678",
		Headers: map[string]string{"X-Caller": "5551234"}, Body: `{"acct":"12345678"}`, Timeout: 50 * time.Millisecond}
	if got.URL != want.URL || got.Method != want.Method || got.Body != want.Body || got.Timeout != want.Timeout || got.Headers["X-Caller"] != "5551234" {
		t.Errorf("lookup request = %+v; want %+v", got, want)
	}
}

func TestGotoAcrossFlows(t *testing.T) {
	main := NewFlow("main", "en", "100")
	main.Node("lang", "go", &flows.SetSpec{Vars: []flows.Assignment{{Var: "language", Value: T("zh")}}})
	main.Node("go", "", &flows.GotoSpec{Flow: "billing", Node: "ask"})
	billing := NewFlow("billing", "en", "200").Var("topic", "billing")
	billing.Node("start", "", &flows.PlaySpec{Prompts: P("never")})
	billing.Node("ask", "", &flows.PlaySpec{Prompts: P("{{flow}}_{{topic}}")})
	r := world{catalog: Catalog(main.Flow(), billing.Flow())}.run(t)
	checkOutcome(t, r, ivr.Completed, ivr.ReasonEndOfFlow, "ask")
	if r.out.Flow != "billing" {
		t.Errorf("outcome flow %q; want billing", r.out.Flow)
	}
	// The caller's language survives the goto; the new flow's vars fill in.
	if got := r.call.Played(); !slices.Equal(got, []string{"zh/billing_billing.wav"}) {
		t.Errorf("played %q", got)
	}

	bad := NewFlow("main", "en", "100")
	bad.Node("go", "", &flows.GotoSpec{Flow: "nowhere"})
	r = world{catalog: Catalog(bad.Flow())}.run(t)
	checkOutcome(t, r, ivr.Failed, ivr.ReasonBadTarget, "go")
}

// A call re-adopted after a restart resumes at the node it was at; an
// unknown node starts the flow over rather than dropping the caller.
func TestResumeReadoptedCall(t *testing.T) {
	b := NewFlow("main", "en", "100")
	b.Node("welcome", "queue", &flows.PlaySpec{Prompts: P("welcome")})
	b.Node("queue", "", &flows.PlaySpec{Prompts: P("hold_on")})
	r := world{catalog: Catalog(b.Flow()), resume: "queue"}.run(t)
	if got := r.call.Played(); !slices.Equal(got, []string{"en/hold_on.wav"}) {
		t.Errorf("resumed at queue, played %q", got)
	}
	r = world{catalog: Catalog(b.Flow()), resume: "gone"}.run(t)
	if got := r.call.Played(); !slices.Equal(got, []string{"en/welcome.wav", "en/hold_on.wav"}) {
		t.Errorf("resumed at an unknown node, played %q", got)
	}
}

// A transport that tears the call down itself (no RTP) is recorded as the
// one who ended it, not the caller.
func TestTornDownByTransport(t *testing.T) {
	b := NewFlow("main", "en", "100")
	b.Node("welcome", "", &flows.PlaySpec{Prompts: P("welcome")})
	r := world{catalog: Catalog(b.Flow()), wrap: func(c ivr.Call) ivr.Call { return tornDownCall{c} }}.run(t)
	if r.out.By != ivr.BySystem || r.out.Reason != "rtp_timeout" || r.out.Result != ivr.Failed {
		t.Errorf("outcome %+v; want failed rtp_timeout by system", r.out)
	}
	end, ok := r.events.Last(events.CallEnd)
	if !ok || end.Data["by"] != ivr.BySystem || end.Data["reason"] != "rtp_timeout" {
		t.Errorf("call.end = %+v; want by=system reason=rtp_timeout", end)
	}
}

type tornDownCall struct{ ivr.Call }

func (tornDownCall) Play(context.Context, ivr.Playback) (string, error) { return "", rtpTimeout{} }

type rtpTimeout struct{}

func (rtpTimeout) Error() string        { return "no rtp" }
func (rtpTimeout) Unwrap() error        { return ivr.ErrHangup }
func (rtpTimeout) HangupBy() string     { return ivr.BySystem }
func (rtpTimeout) HangupReason() string { return "rtp_timeout" }

func TestLoopGuard(t *testing.T) {
	b := NewFlow("test", "en", "100")
	b.Node("a", "b", &flows.SetSpec{Vars: []flows.Assignment{{Var: "x", Value: T("1")}}})
	b.Node("b", "", &flows.SwitchSpec{Value: T("{{x}}"), Default: b.Ref("a")})
	r := world{catalog: Catalog(b.Flow()), maxSteps: 10}.run(t)
	checkOutcome(t, r, ivr.Failed, ivr.ReasonLoopGuard, "")
	if r.out.Steps != 11 {
		t.Errorf("steps = %d; want 11 (the guard trips on the 11th transition)", r.out.Steps)
	}
	if by, cause := r.call.Ended(); by != "system" || cause != "failure" {
		t.Errorf("ended by %q cause %q", by, cause)
	}

	// A menu the caller keeps answering is not a loop.
	m := NewFlow("test", "en", "100")
	m.Node("menu", "", &flows.MenuSpec{Prompts: P("m"), Options: map[string]*flows.Node{"1": m.Ref("menu"), "2": m.Ref("end")}})
	m.Node("end", "", &flows.HangupSpec{})
	script := slices.Repeat([]Step{input("1")}, 30)
	r = world{catalog: Catalog(m.Flow()), maxSteps: 3, script: append(script, input("2"))}.run(t)
	checkOutcome(t, r, ivr.Completed, ivr.ReasonHangupNode, "end")
}

func TestNoFlow(t *testing.T) {
	b := NewFlow("test", "en", "100")
	b.Node("end", "", &flows.HangupSpec{})
	r := world{catalog: Catalog(b.Flow()), to: "999"}.run(t)
	checkOutcome(t, r, ivr.Failed, ivr.ReasonNoFlow, "")
	if r.call.Answered() {
		t.Error("a call with no flow was answered")
	}
	if _, cause := r.call.Ended(); cause != "unallocated" {
		t.Errorf("hangup cause %q; want unallocated", cause)
	}
}

// Caller hang-up at every stage stops the flow at once, names the node and
// is recorded as call.end by=caller.
func TestCallerHangupAtEachStage(t *testing.T) {
	cases := []struct {
		name   string
		build  func(b *Builder)
		w      world
		last   string
		hangup func(call *Call) // for stages the script cannot reach
	}{
		{"during a prompt", func(b *Builder) { menuFlow(b, "") }, world{script: []Step{{At: AtPrompt, Delay: 500 * time.Millisecond, Hangup: true}}}, "menu", nil},
		{"during a menu wait", func(b *Builder) { menuFlow(b, "") }, world{script: []Step{{Delay: 2 * time.Second, Hangup: true}}}, "menu", nil},
		{"after typing part of an account", accountFlow, world{script: []Step{{Keys: "123", Gap: time.Second, Hangup: true}}}, "account", nil},
		{"during the retry prompt", func(b *Builder) { menuFlow(b, "") }, world{script: []Step{input("9"), {At: AtPrompt, Hangup: true}}}, "menu", nil},
		{"during a recording", recordFlow, world{script: []Step{{Talk: 5 * time.Second, Hangup: true}}}, "voicemail", nil},
		{"during a lookup", lookupFlowTimeout(time.Minute), world{}, "status", func(c *Call) { c.HangUp() }},
		{"during a transfer's prompt", func(b *Builder) {
			b.Node("p", "x", &flows.PlaySpec{Prompts: P("connecting")})
			b.Node("x", "", &flows.TransferSpec{Target: T("200")})
		}, world{script: []Step{{At: AtPrompt, Hangup: true}}}, "p", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := NewFlow("test", "en", "100")
			tc.build(b)
			w := tc.w
			w.catalog = Catalog(b.Flow())
			var call atomic.Pointer[Call]
			w.onCall = func(c *Call) { call.Store(c) }
			var cause atomic.Value
			if tc.hangup != nil {
				// The lookup stage: the caller hangs up while the request
				// is in flight; the engine must cancel it at once.
				w.lookup = lookupFunc(func(ctx context.Context, req ivr.LookupRequest) (map[string]string, error) {
					tc.hangup(call.Load())
					<-ctx.Done()
					cause.Store(context.Cause(ctx))
					return nil, ctx.Err()
				})
			}
			r := w.run(t)
			if tc.hangup != nil {
				if c, _ := cause.Load().(error); !errors.Is(c, ivr.ErrHangup) {
					t.Errorf("lookup context ended with %v; want ErrHangup", c)
				}
			}
			checkOutcome(t, r, ivr.CallerHangup, ivr.ReasonCallerHangup, tc.last)
			if by, _ := r.call.Ended(); by != "caller" {
				t.Errorf("call ended by %q; want caller", by)
			}
			end, _ := r.events.Last(events.CallEnd)
			if end.Data["by"] != "caller" || end.Node != tc.last {
				t.Errorf("call.end = %+v", end)
			}
		})
	}
}

// FlowFor and hot reload: a call keeps the catalog it started with.
func TestCatalogSwapKeepsRunningCall(t *testing.T) {
	v1 := NewFlow("v1", "en", "100")
	v1.Node("menu", "", &flows.MenuSpec{Prompts: P("v1"), Options: map[string]*flows.Node{"1": v1.Ref("go")}})
	v1.Node("go", "", &flows.GotoSpec{Flow: "other"})
	other1 := NewFlow("other", "en")
	other1.Node("p", "", &flows.PlaySpec{Prompts: P("old_other")})
	v2 := NewFlow("v2", "en", "100")
	v2.Node("p", "", &flows.PlaySpec{Prompts: P("v2")})
	other2 := NewFlow("other", "en")
	other2.Node("p", "", &flows.PlaySpec{Prompts: P("new_other")})

	var current atomic.Pointer[flows.Catalog]
	current.Store(Catalog(v1.Flow(), other1.Flow()))
	clk := clock.NewVirtual(mondayMorning)
	eng, err := ivr.New(ivr.Config{}, ivr.Deps{Catalog: current.Load, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	if f := eng.FlowFor("100"); f == nil || f.Name != "v1" {
		t.Fatalf("FlowFor(100) = %v; want v1", f)
	}
	call := NewCall(Config{To: "100", Clock: clk, Script: []Step{{Delay: 3 * time.Second, Keys: "1"}}})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	done := make(chan ivr.Outcome)
	go func() { done <- eng.Run(ctx, call) }()
	// Swap while the call waits in the menu, then let time run.
	if err := clk.BlockUntil(ctx, 1); err != nil {
		t.Fatal(err)
	}
	current.Store(Catalog(v2.Flow(), other2.Flow()))
	go clk.AutoAdvance(ctx, quietTime)
	out := <-done
	if out.Flow != "other" || !slices.Equal(call.Played(), []string{"en/v1.wav", "en/old_other.wav"}) {
		t.Errorf("outcome %+v played %q; want the old catalog throughout", out, call.Played())
	}
	if f := eng.FlowFor("100"); f == nil || f.Name != "v2" {
		t.Errorf("FlowFor(100) after swap = %v; want v2", f)
	}
}

func TestPromptFallbackAndNumbers(t *testing.T) {
	store := fstest.MapFS{
		"en/welcome.wav":    {},
		"en/only_en.wav":    {},
		"zh/welcome.wav":    {},
		"zh/numbers/12.wav": {},
		"zh/digits/1.wav":   {},
		"zh/digits/2.wav":   {},
		"zh/digits/3.wav":   {},
	}
	b := NewFlow("test", "en", "100").Var("language", "zh")
	b.Node("p", "", &flows.PlaySpec{Prompts: P("welcome", "only_en", "number:12", "number:123", "number:007")})
	clk := clock.NewVirtual(mondayMorning)
	eng, _ := ivr.New(ivr.Config{}, ivr.Deps{Catalog: func() *flows.Catalog { return Catalog(b.Flow()) }, Clock: clk, Prompts: store})
	call := NewCall(Config{To: "100", Clock: clk})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	go clk.AutoAdvance(ctx, quietTime)
	eng.Run(ctx, call)
	want := []string{
		"zh/welcome.wav",
		"en/only_en.wav", // missing in zh: the flow's default language
		"zh/numbers/12.wav",
		"zh/digits/1.wav zh/digits/2.wav zh/digits/3.wav", // no numbers/123: read digit by digit
		"zh/digits/0.wav zh/digits/0.wav zh/digits/7.wav",
	}
	if got := call.Played(); !slices.Equal(got, want) {
		t.Errorf("played\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}
