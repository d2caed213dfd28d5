package ari

import (
	"context"
	"strings"
	"testing"

	"github.com/switchboard-cc/switchboard/events"
	"github.com/switchboard-cc/switchboard/flows"
	"github.com/switchboard-cc/switchboard/internal/clock"
	"github.com/switchboard-cc/switchboard/ivr"
	"github.com/switchboard-cc/switchboard/ivr/ivrtest"
)

// TestSensitiveInputStaysOffTheChannel: a card number typed at a masked
// input never reaches Asterisk's channel variables (the re-adoption state
// holds the node and the queue only), the transport's log, or the events.
func TestSensitiveInputStaysOffTheChannel(t *testing.T) {
	const card = "4111111111111111"
	cat, err := flows.Compile(context.Background(), []flows.Source{{Name: "pay.yaml", Data: []byte(`flow: pay
numbers: ["96069"]
start: card
nodes:
  card:
    type: input
    prompt: "sound:enter-card"
    var: card
    digits: {min: 16, max: 16, terminator: ""}
    mask: last4
    next: copy
  copy: {type: set, vars: {again: "{{card}}"}, next: done}
  done: {type: play, prompt: ["sound:thanks", "sound:thanks", "sound:thanks"], next: end}
  end: {type: hangup}
`)}}, flows.Env{})
	if err != nil {
		t.Fatal(err)
	}
	rec := &ivrtest.Recorder{}
	var hs *harness
	hs = newHarness(t, func(ctx context.Context, c ivr.Call) ivr.Outcome {
		eng, err := ivr.New(ivr.Config{}, ivr.Deps{
			Catalog: func() *flows.Catalog { return cat }, Clock: clock.Real{}, Events: hs.tr.Track(rec),
		})
		if err != nil {
			t.Error(err)
			return ivr.Outcome{}
		}
		return eng.Run(ctx, c)
	}, harnessOpts{})
	ch := hs.call("96069")
	hs.await("the flow at the card input", func() bool { return ch.Var(VarNode) == "card" })
	if err := ch.DTMF(card); err != nil {
		t.Fatal(err)
	}
	var vars map[string]string
	hs.await("the flow past the input", func() bool {
		vars = ch.Vars()
		return vars[VarNode] == "done"
	})
	hs.await("the call ended", func() bool {
		_, ok := rec.Last(events.CallEnd)
		return ok
	})
	ev, _ := rec.Last(events.IVRDigits)
	if ev.Data["digits"] != "xxxxxxxxxxxx1111" {
		t.Errorf("ivr.digits = %v; want the masked number", ev.Data)
	}
	for name, val := range vars {
		if strings.Contains(val, "1111111") {
			t.Errorf("channel variable %s = %q holds the card number", name, val)
		}
	}
	for _, line := range rec.Lines() {
		if strings.Contains(line, "1111111") {
			t.Errorf("event holds the card number: %s", line)
		}
	}
	if strings.Contains(hs.logs.String(), "1111111") {
		t.Errorf("transport log holds the card number:\n%s", hs.logs.String())
	}
}
