package ivr_test

import (
	"context"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/configs"
	"github.com/switchboard-cc/switchboard/flows"
	"github.com/switchboard-cc/switchboard/hours"
	"github.com/switchboard-cc/switchboard/ivr"
	. "github.com/switchboard-cc/switchboard/ivr/ivrtest"
)

var update = flag.Bool("update", false, "rewrite the golden traces in testdata/golden")

// heatingHotline builds configs/flows/heating-hotline.yaml in Go.
func heatingHotline(t testing.TB) *flows.Flow {
	b := NewFlow("heating-hotline", "zh", "96069", "+861096069")
	b.Node("language", "", &flows.MenuSpec{Prompts: P("choose_language"),
		Options: map[string]*flows.Node{"1": b.Ref("set_zh"), "2": b.Ref("set_en")},
		Timeout: 4 * time.Second, Retries: 2, Invalid: P("invalid_option"), OnFail: b.Ref("set_zh")})
	b.Node("set_zh", "check_hours", &flows.SetSpec{Vars: []flows.Assignment{{Var: "language", Value: T("zh")}}})
	b.Node("set_en", "check_hours", &flows.SetSpec{Vars: []flows.Assignment{{Var: "language", Value: T("en")}}})
	b.Node("check_hours", "", &flows.HoursSpec{CalendarName: "office", Calendar: office(t),
		Open: b.Ref("main_menu"), Closed: b.Ref("after_hours"), Holiday: b.Ref("holiday_closed")})
	b.Node("holiday_closed", "after_hours", &flows.PlaySpec{Prompts: P("holiday_closed"), Barge: true})
	b.Node("main_menu", "", &flows.MenuSpec{Prompts: P("welcome", "main_menu"),
		Options: map[string]*flows.Node{"1": b.Ref("account"), "2": b.Ref("outage"), "3": b.Ref("repair"), "0": b.Ref("operator")},
		Timeout: 5 * time.Second, Retries: 3, Invalid: P("invalid_option"), OnFail: b.Ref("operator")})
	b.Node("account", "billing", &flows.InputSpec{Prompts: P("enter_account"), Var: "account", Min: 6, Max: 10,
		Terminator: "#", FirstDigit: 6 * time.Second, InterDigit: 4 * time.Second, Retries: 2,
		Invalid: P("invalid_account"), OnFail: b.Ref("operator")})
	queue := func(id, group string, prio int, wait time.Duration, a flows.Announce) {
		b.Node(id, "goodbye", &flows.QueueSpec{Group: group, Priority: prio, MaxWait: wait, Announce: a,
			OnTimeout: b.Ref("after_hours"), OnClosed: b.Ref("after_hours")})
	}
	queue("billing", "billing", 0, 180*time.Second, flows.Announce{Position: true, WaitTime: true, Every: 60 * time.Second})
	queue("outage", "outage", 5, 120*time.Second, flows.Announce{Position: true, Every: 45 * time.Second})
	queue("repair", "repair", 0, 240*time.Second, flows.Announce{Position: true, WaitTime: true, Every: 60 * time.Second})
	queue("operator", "operator", 0, 120*time.Second, flows.Announce{})
	b.Node("after_hours", "", &flows.MenuSpec{Prompts: P("closed", "after_hours_menu"),
		Options: map[string]*flows.Node{"1": b.Ref("need_account"), "2": b.Ref("voicemail"), "3": b.Ref("callback")},
		Timeout: 5 * time.Second, Retries: 2, Invalid: P("invalid_option"), OnFail: b.Ref("voicemail")})
	b.Node("need_account", "", &flows.SwitchSpec{Value: T("{{account}}"),
		Cases: []flows.SwitchCase{{Value: "", Target: b.Ref("status_account")}}, Default: b.Ref("outage_status")})
	b.Node("status_account", "outage_status", &flows.InputSpec{Prompts: P("enter_account"), Var: "account", Min: 6, Max: 10,
		Terminator: "#", Retries: 2, Invalid: P("invalid_account"), OnFail: b.Ref("voicemail")})
	b.Node("outage_status", "goodbye", &flows.LookupSpec{URL: T("http://127.0.0.1:9000/outages?account={{account}}"),
		Timeout: 2 * time.Second, Result: "outage", Say: P("outage_status_intro", "outage_{{outage.status}}"),
		OnError: b.Ref("status_unavailable")})
	b.Node("status_unavailable", "voicemail", &flows.PlaySpec{Prompts: P("status_unavailable"), Barge: true})
	b.Node("voicemail", "thanks_message", &flows.RecordSpec{Prompts: P("leave_message"), Beep: true,
		Max: 120 * time.Second, Silence: 8 * time.Second, Terminator: "#"})
	b.Node("thanks_message", "goodbye", &flows.PlaySpec{Prompts: P("message_saved"), Barge: true})
	b.Node("callback", "", &flows.SwitchSpec{Value: T("{{caller}}"),
		Cases:   []flows.SwitchCase{{Value: "", Target: b.Ref("callback_enter")}, {Value: "anonymous", Target: b.Ref("callback_enter")}},
		Default: b.Ref("callback_use_caller")})
	b.Node("callback_use_caller", "callback_confirm", &flows.SetSpec{Vars: []flows.Assignment{{Var: "callback_number", Value: T("{{caller}}")}}})
	b.Node("callback_enter", "callback_confirm", &flows.InputSpec{Prompts: P("callback_enter_number"), Var: "callback_number",
		Min: 5, Max: 15, Terminator: "#", Retries: 2, OnFail: b.Ref("voicemail")})
	b.Node("callback_confirm", "", &flows.MenuSpec{Prompts: P("callback_number_is", "digits:{{callback_number}}", "callback_confirm_menu"),
		Options: map[string]*flows.Node{"1": b.Ref("callback_request"), "2": b.Ref("callback_enter")},
		Timeout: 5 * time.Second, Retries: 2, Invalid: P("invalid_option"), OnFail: b.Ref("voicemail")})
	b.Node("callback_request", "goodbye", &flows.CallbackSpec{Number: T("{{callback_number}}"), Group: "billing", Prompts: P("callback_confirmed"),
		OnFail: b.Ref("callback_refused")})
	b.Node("callback_refused", "voicemail", &flows.PlaySpec{Prompts: P("callback_refused"), Barge: true})
	b.Node("goodbye", "end", &flows.PlaySpec{Prompts: P("goodbye"), Barge: true})
	b.Node("end", "", &flows.HangupSpec{})
	return b.Flow()
}

func TestGoldenHeatingHotline(t *testing.T) {
	runHeatingGolden(t, Catalog(heatingHotline(t)))
}

// The flow the loader compiles from configs/flows/heating-hotline.yaml
// runs exactly like the one built in Go above: same golden traces.
func TestGoldenHeatingHotlineFromYAML(t *testing.T) {
	data, err := fs.ReadFile(configs.FS, "flows/heating-hotline.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cat, err := flows.Compile(context.Background(), []flows.Source{{Name: "heating-hotline.yaml", Data: data}},
		flows.Env{Calendars: map[string]*hours.Calendar{"office": office(t)}})
	if err != nil {
		t.Fatalf("compile the example flow: %v", err)
	}
	runHeatingGolden(t, cat)
}

func runHeatingGolden(t *testing.T, catalog *flows.Catalog) {
	outage := lookupFunc(func(ctx context.Context, req ivr.LookupRequest) (map[string]string, error) {
		if !strings.HasSuffix(req.URL, "account=12345678") {
			return nil, fmt.Errorf("unexpected url %s", req.URL)
		}
		return map[string]string{"status": "repairing", "area": "north"}, nil
	})
	night := time.Date(2026, 11, 23, 23, 30, 0, 0, shanghai())
	holiday := time.Date(2026, 10, 1, 11, 0, 0, 0, shanghai())
	cases := []struct {
		name   string
		digits string
		w      world
	}{
		{"after-hours-outage-status", "2,1,12345678#", world{at: night, lookup: outage}},
		{"after-hours-lookup-down-voicemail", "2,1,12345678#,5s+#", world{at: night, lookup: lookupFunc(
			func(context.Context, ivr.LookupRequest) (map[string]string, error) {
				return nil, fmt.Errorf("connection refused")
			})}},
		{"billing-answered", "2,1,12345678#", world{
			groups: map[string]Queue{"billing": {Position: 2, EstimatedWait: 3 * time.Minute,
				Offers: []ScheduledOffer{{After: 75 * time.Second, Agents: []string{"a7"}, Ring: 15 * time.Second}}}},
			agents: map[string]Agent{"a7": {AnswerAfter: 4 * time.Second, Talk: 3 * time.Minute}}}},
		{"billing-no-agents-callback", "1,1,12345678#,3,1", world{groups: map[string]Queue{}}},
		{"holiday-no-choice-voicemail", ",,,,,,", world{at: holiday}},
		{"hangup-in-main-menu", "2,h", world{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			steps, err := ParseScript(tc.digits)
			if err != nil {
				t.Fatal(err)
			}
			w := tc.w
			w.catalog, w.script, w.to = catalog, steps, "96069"
			if w.groups == nil {
				w.groups = map[string]Queue{"billing": {Closed: true}}
			}
			r := w.run(t)
			var b strings.Builder
			for _, l := range r.events.Lines() {
				b.WriteString(randomPart.ReplaceAllString(l, "-RANDOM.wav") + "\n")
			}
			fmt.Fprintf(&b, "outcome %s %s by=%s node=%s\n", r.out.Result, r.out.Reason, r.out.By, r.out.LastNode)
			golden(t, filepath.Join("testdata", "golden", tc.name+".txt"), b.String())
		})
	}
}

// randomPart is the random suffix of a recording's file name.
var randomPart = regexp.MustCompile(`-[0-9a-f]{12}\.wav`)

func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs (run with -update to accept):\n--- got\n%s--- want\n%s", path, got, want)
	}
}
