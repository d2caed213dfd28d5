package ivrtest

import (
	"context"
	"io/fs"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/events"
	"github.com/switchboard-cc/switchboard/flows"
	"github.com/switchboard-cc/switchboard/internal/clock"
	"github.com/switchboard-cc/switchboard/ivr"
)

// heldKeys is a transport's key stream whose wake-up the suite holds back:
// a key that arrives is buffered, but the collector does not hear of it
// until it looks on its own. That is the instant a key and a timeout
// arrive together, made deterministic.
type heldKeys struct {
	*ivr.Keypad
}

func (h heldKeys) Take() (rune, <-chan struct{}, error) {
	key, _, err := h.Keypad.Take()
	return key, nil, err
}

// keysCollector runs ivr.CollectKeys over a transport's key stream on a
// virtual clock the suite moves.
type keysCollector struct {
	clk  *clock.Virtual
	done chan ivr.Collected
}

func startCollect(s *seamCall, keys ivr.Keys, c ivr.Collect) *keysCollector {
	k := &keysCollector{clk: clock.NewVirtual(time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC)), done: make(chan ivr.Collected, 1)}
	go func() {
		got, err := ivr.CollectKeys(s.ctx, k.clk, keys, c)
		if err != nil {
			got.Stop = ivr.StopReason("error: " + err.Error())
		}
		k.done <- got
	}()
	return k
}

// advance moves the clock by d once the collector waits on a timer.
func (k *keysCollector) advance(t *testing.T, ctx context.Context, d time.Duration) {
	t.Helper()
	wait, cancel := context.WithTimeout(ctx, confPromptly)
	defer cancel()
	if err := k.clk.BlockUntil(wait, 1); err != nil {
		select {
		case got := <-k.done:
			t.Fatalf("the collector returned %q %s instead of waiting on the clock", got.Digits, got.Stop)
		default:
			t.Fatalf("the collector never waited on the clock: %v", err)
		}
	}
	k.clk.Advance(d)
}

func (k *keysCollector) result(t *testing.T) ivr.Collected {
	t.Helper()
	select {
	case got := <-k.done:
		return got
	case <-time.After(confCase / 2):
		t.Fatal("CollectKeys did not return")
		return ivr.Collected{}
	}
}

// pressed presses keys on the far end and waits until the transport has
// delivered n keys into its stream.
func (s *seamCall) pressed(t *testing.T, keys string, n int) {
	t.Helper()
	s.press(t, keys)
	deadline := time.NewTimer(confPromptly)
	defer deadline.Stop()
	for {
		_, next, err := s.call.Keys().Peek()
		if err != nil {
			t.Fatalf("key stream ended: %v", err)
		}
		if s.call.Keys().Len() >= n {
			return
		}
		select {
		case <-next:
		case <-deadline.C:
			t.Fatalf("the transport delivered %d of %d keys after pressing %q", s.call.Keys().Len(), n, keys)
		}
	}
}

// nextKey waits for the next buffered key and returns it without taking it.
func (s *seamCall) nextKey(t *testing.T) rune {
	t.Helper()
	deadline := time.NewTimer(confPromptly)
	defer deadline.Stop()
	for {
		key, next, err := s.call.Keys().Peek()
		if err != nil {
			t.Fatalf("key stream ended: %v", err)
		}
		if key != 0 {
			return key
		}
		select {
		case <-next:
		case <-deadline.C:
			t.Fatal("no key arrived")
			return 0
		}
	}
}

// runSeamKeys pins the digit stream and the one collector (ivr.CollectKeys)
// on every transport: the timer race, and a terminator pressed right after
// a full input.
func runSeamKeys(t *testing.T, factory Factory, store fs.FS) {
	spec := ivr.Collect{Max: 4, Terminator: "#", FirstDigit: 5 * time.Second, InterDigit: 3 * time.Second}
	t.Run("a key that arrives as the timeout fires counts", func(t *testing.T) {
		s := newSeamCall(t, factory, store)
		k := startCollect(s, heldKeys{s.call.Keys()}, spec)
		if err := k.clk.BlockUntil(s.ctx, 1); err != nil {
			t.Fatal(err)
		}
		s.pressed(t, "7", 1)
		k.clk.Advance(spec.FirstDigit)       // the first-digit timer fires with "7" buffered
		k.advance(t, s.ctx, spec.InterDigit) // "7" counted: the inter-digit timer runs
		wantCollected(t, k.result(t), "7", ivr.StopInterTimeout)
	})
	t.Run("a key after the timeout stays for the next collection", func(t *testing.T) {
		s := newSeamCall(t, factory, store)
		k := startCollect(s, s.call.Keys(), spec)
		k.advance(t, s.ctx, spec.FirstDigit)
		wantCollected(t, k.result(t), "", ivr.StopFirstTimeout)
		s.pressed(t, "8", 1)
		wantCollected(t, s.collect(t, ivr.Collect{Max: 1, FirstDigit: confKeyWait}), "8", ivr.StopMaxDigits)
	})
	t.Run("a terminator buffered after max digits belongs to the input", func(t *testing.T) {
		s := newSeamCall(t, factory, store)
		s.pressed(t, "1234#5", 6)
		wantCollected(t, s.collect(t, spec), "1234", ivr.StopMaxDigits)
		if key := s.nextKey(t); key != '5' {
			t.Errorf("next key %q; want '5' (the terminator went with the full input)", key)
		}
	})
	for _, tc := range []struct {
		name  string
		after time.Duration // from the full input to the terminator
		want  rune          // the next key the stream shows
	}{
		{"a terminator pressed right after max digits belongs to the input", spec.InterDigit, '5'},
		{"a terminator pressed later is a key of its own", spec.InterDigit + time.Millisecond, '#'},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSeamCall(t, factory, store)
			s.pressed(t, "1234", 4)
			k := startCollect(s, s.call.Keys(), spec)
			wantCollected(t, k.result(t), "1234", ivr.StopMaxDigits)
			k.clk.Advance(tc.after)
			s.press(t, "#")
			s.press(t, "5")
			if key := s.nextKey(t); key != tc.want {
				t.Errorf("next key %q; want %q", key, tc.want)
			}
		})
	}
	t.Run("ignored keys are not digits", func(t *testing.T) {
		s := newSeamCall(t, factory, store)
		s.pressed(t, "12#34", 5)
		got := s.collect(t, ivr.Collect{Max: 4, Ignore: "#", FirstDigit: confKeyWait, InterDigit: confKeyWait})
		wantCollected(t, got, "1234", ivr.StopMaxDigits)
	})
}

// keyFlows are the flow cases of the key stream: what a key pressed for one
// part of the call must not do to a later part.
func keyFlows(offer func(time.Duration, ...string) ScheduledOffer) []flowCase {
	notBarged := func(t *testing.T, c *confRun) {
		t.Helper()
		ev, ok := c.events.Last(events.IVRPrompt)
		if !ok || ev.Node != "after" || ev.Data["barged"] == "1" {
			t.Errorf("last ivr.prompt = %+v; want the prompt of node after, played to the end", ev)
		}
	}
	return []flowCase{
		{
			name: "a terminator after a full input does not cut the next prompt",
			build: func(b *Builder, _ Remote) {
				b.Node("account", "after", &flows.InputSpec{Prompts: P("enter_account"), Var: "account", Min: 4, Max: 4,
					Terminator: "#", FirstDigit: confKeyWait, InterDigit: confKeyWait})
				b.Node("after", "bye", &flows.PlaySpec{Prompts: P("long"), Barge: true})
				b.Node("bye", "", &flows.HangupSpec{})
			},
			drive: func(t *testing.T, c *confRun) { c.press(t, "collect", 1, "1234#") },
			want: func(t *testing.T, c *confRun, out ivr.Outcome) {
				wantOutcome(t, out, ivr.Completed, ivr.ReasonHangupNode, "bye")
				notBarged(t, c)
			},
		},
		{
			name: "without a terminator an input ignores #",
			build: func(b *Builder, _ Remote) {
				b.Node("account", "check", &flows.InputSpec{Prompts: P("enter_account"), Var: "account", Min: 4, Max: 4,
					FirstDigit: confKeyWait, InterDigit: confKeyWait})
				b.Node("check", "", &flows.SwitchSpec{Value: T("{{account}}"),
					Cases: []flows.SwitchCase{{Value: "1234", Target: b.Ref("bye")}}, Default: b.Ref("wrong")})
				b.Node("wrong", "", &flows.HangupSpec{})
				b.Node("bye", "", &flows.HangupSpec{})
			},
			drive: func(t *testing.T, c *confRun) { c.press(t, "collect", 1, "12#34") },
			want: func(t *testing.T, c *confRun, out ivr.Outcome) {
				wantOutcome(t, out, ivr.Completed, ivr.ReasonHangupNode, "bye")
			},
		},
		{
			name:   "keys typed before an agent conversation do not cut the prompts after it",
			agents: []AgentSetup{{ID: "a1", Behavior: Answers, AnswerAfter: 300 * time.Millisecond}},
			groups: map[string]Queue{"support": {Offers: []ScheduledOffer{offer(300*time.Millisecond, "a1")}}},
			build: func(b *Builder, _ Remote) {
				queueNode(b, "q", "after")
				b.Node("after", "bye", &flows.PlaySpec{Prompts: P("long"), Barge: true})
				b.Node("bye", "", &flows.HangupSpec{})
			},
			drive: func(t *testing.T, c *confRun) {
				c.press(t, "hold", 1, "9")
				c.agentHangup(t, 1, "a1")
			},
			want: func(t *testing.T, c *confRun, out ivr.Outcome) {
				wantOutcome(t, out, ivr.Completed, ivr.ReasonHangupNode, "bye")
				notBarged(t, c)
			},
		},
	}
}
