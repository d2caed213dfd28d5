package ivr_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/events"
	"github.com/switchboard-cc/switchboard/flows"
	"github.com/switchboard-cc/switchboard/hours"
	"github.com/switchboard-cc/switchboard/ivr"
	"github.com/switchboard-cc/switchboard/ivr/ivrtest"
)

func compileYAML(t *testing.T, src string) *flows.Catalog {
	t.Helper()
	cat, err := flows.Compile(context.Background(), []flows.Source{{Name: "f.yaml", Data: []byte(src)}},
		flows.Env{Calendars: map[string]*hours.Calendar{"office": office(t)}})
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

const card = "4111111111111111"

const cardFlow = `flow: pay
numbers: ["100"]
start: card
nodes:
  card:
    type: input
    prompt: enter_card
    var: card
    digits: {min: 15, max: 16}
    mask: last4
    next: copy
  copy: {type: set, vars: {last_card: "{{card}}"}, next: check}
  check:
    type: lookup
    url: "https://pay.example/cards/{{card}}?copy={{last_card}}"
    say: ["digits:{{card}}", "digits:{{last_card}}"]
    next: end
    on_error: end
  end: {type: hangup}
`

// TestSensitiveInputNeverWrittenDown: the flow uses the card number (the
// lookup gets it, the caller hears it read back) but no event, trace or
// log line holds it in clear; a copy made by a set node is masked too.
func TestSensitiveInputNeverWrittenDown(t *testing.T) {
	for _, fail := range []bool{false, true} {
		var gotURL string
		var logs bytes.Buffer
		r := world{
			catalog: compileYAML(t, cardFlow),
			script:  []ivrtest.Step{input(card)},
			log:     slog.New(slog.NewTextHandler(&logs, nil)),
			lookup: lookupFunc(func(_ context.Context, req ivr.LookupRequest) (map[string]string, error) {
				gotURL = req.URL
				if fail {
					return nil, errors.New(`Get "` + req.URL + `": connection refused`)
				}
				return map[string]string{"status": "ok"}, nil
			}),
		}.run(t)
		if want := "https://pay.example/cards/" + card + "?copy=" + card; gotURL != want {
			t.Errorf("lookup URL = %q; want the clear number %q", gotURL, want)
		}
		if !fail {
			played := strings.Join(r.call.Played(), " ")
			if !strings.Contains(played, "en/digits/4.wav en/digits/1.wav") {
				t.Errorf("the caller did not hear the number read back: %v", r.call.Played())
			}
		}
		ev, _ := r.events.Last(events.IVRDigits)
		if ev.Data["digits"] != "xxxxxxxxxxxx1111" || ev.Data["masked"] != "last4" || ev.Data["result"] != "ok" {
			t.Errorf("ivr.digits = %v; want digits=xxxxxxxxxxxx1111 masked=last4 result=ok", ev.Data)
		}
		var prompts []string
		for _, e := range r.events.Events() {
			if e.Type == events.IVRPrompt {
				prompts = append(prompts, e.Data["prompt"])
			}
		}
		if !fail && strings.Join(prompts, " ") != "enter_card digits:xxxxxxxxxxxx1111 digits:xxxxxxxxxxxxxxxx" {
			t.Errorf("prompt labels = %q", prompts)
		}
		for _, line := range r.events.Lines() {
			if strings.Contains(line, "1111111") {
				t.Errorf("event holds the card number: %s", line)
			}
		}
		for _, line := range r.call.TraceLines() {
			if strings.Contains(line, "1111111") || strings.Contains(line, "digits/4.wav en/digits/1.wav") {
				t.Errorf("call trace holds the card number: %s", line)
			}
		}
		if fail && !strings.Contains(logs.String(), "lookup failed") {
			t.Errorf("no lookup failure logged:\n%s", logs.String())
		}
		if strings.Contains(logs.String(), "1111111") {
			t.Errorf("server log holds the card number:\n%s", logs.String())
		}
	}
}

const menuHoursFlow = `flow: mh
numbers: ["100"]
start: hours
nodes:
  hours: {type: hours, calendar: office, open: menu, closed: menu, holiday: menu}
  menu:
    type: menu
    prompt: main_menu
    options: {"1": end}
    retries: 2
  end: {type: hangup}
`

// TestDigitsResultsAndHoursBranch: ivr.digits says whether the key was a
// choice (result ok, invalid, no_input), and the hours node's ivr.node
// says which branch it took.
func TestDigitsResultsAndHoursBranch(t *testing.T) {
	tests := []struct {
		name  string
		at    time.Time
		hours string
	}{
		{"open", mondayMorning, "open"},
		{"closed", mondayMorning.Add(12 * time.Hour), "closed"},
		{"holiday", time.Date(2026, 10, 1, 10, 0, 0, 0, shanghai()), "holiday"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := world{at: tt.at, catalog: compileYAML(t, menuHoursFlow),
				script: []ivrtest.Step{input("9"), {}, input("1")}}.run(t)
			var results []string
			var hoursResult string
			for _, e := range r.events.Events() {
				switch {
				case e.Type == events.IVRDigits:
					results = append(results, e.Data["digits"]+":"+e.Data["result"])
				case e.Type == events.IVRNode && e.Node == "hours":
					hoursResult = e.Data["result"]
				}
			}
			if got := strings.Join(results, " "); got != "9:invalid :no_input 1:ok" {
				t.Errorf("ivr.digits = %q; want 9:invalid :no_input 1:ok", got)
			}
			if hoursResult != tt.hours {
				t.Errorf("hours ivr.node result = %q; want %q", hoursResult, tt.hours)
			}
		})
	}
}
