package ari

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/ari/arifake"
	"github.com/switchboard-cc/switchboard/internal/clock"
	"github.com/switchboard-cc/switchboard/ivr"
)

func TestAnswerPlayCollectHangup(t *testing.T) {
	type seen struct {
		to, from string
		got      ivr.Collected
		err      error
	}
	res := newResult[seen]()
	hs := newHarness(t, func(ctx context.Context, c ivr.Call) ivr.Outcome {
		s := seen{to: c.To(), from: c.From()}
		if s.err = c.Answer(ctx); s.err == nil {
			if _, s.err = c.Play(ctx, ivr.Playback{Prompts: []ivr.Prompt{prompt("welcome")}}); s.err == nil {
				s.got, s.err = c.Collect(ctx, ivr.Collect{Max: 6, Terminator: "#", FirstDigit: 5 * time.Second, InterDigit: 3 * time.Second})
			}
		}
		res.put(s)
		return ivr.Outcome{Result: ivr.Completed}
	}, harnessOpts{})
	ch := hs.call("96069")
	hs.await("welcome played", func() bool { return len(ch.Played()) == 1 })
	if err := ch.DTMF("12#"); err != nil {
		t.Fatal(err)
	}
	s := res.get(t)
	if s.err != nil {
		t.Fatal(s.err)
	}
	if s.to != "96069" || s.from != "5551234" {
		t.Errorf("To, From = %q, %q; want 96069, 5551234", s.to, s.from)
	}
	if s.got.Digits != "12" || s.got.Stop != ivr.StopTerminator {
		t.Errorf("Collect = %+v; want 12 by terminator", s.got)
	}
	if got := ch.Played(); got[0] != "sound:switchboard/en/welcome" {
		t.Errorf("played %v; want sound:switchboard/en/welcome", got)
	}
	hs.await("hung up after the flow", ch.Gone)
}

func TestDialedNumberSelection(t *testing.T) {
	tests := []struct {
		name  string
		exten string
		args  []string
		want  string
	}{
		{"dialplan extension", "96069", nil, "96069"},
		{"stasis argument", "s", []string{"96070"}, "96070"},
		{"inbound keyword skipped", "1000", []string{"inbound", "96071"}, "96071"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := newResult[string]()
			hs := newHarness(t, func(ctx context.Context, c ivr.Call) ivr.Outcome {
				res.put(c.To())
				return ivr.Outcome{}
			}, harnessOpts{})
			hs.call(tt.exten, tt.args...)
			if got := res.get(t); got != tt.want {
				t.Errorf("To() = %q; want %q", got, tt.want)
			}
		})
	}
}

func TestBargeInStopsPlaybackAndKeepsDigit(t *testing.T) {
	type seen struct {
		barge string
		got   ivr.Collected
		err   error
	}
	res := newResult[seen]()
	hs := newHarness(t, func(ctx context.Context, c ivr.Call) ivr.Outcome {
		var s seen
		s.barge, s.err = c.Play(ctx, ivr.Playback{Barge: true, Prompts: []ivr.Prompt{prompt("main_menu"), prompt("goodbye")}})
		if s.err == nil {
			s.got, s.err = c.Collect(ctx, ivr.Collect{Max: 1, FirstDigit: time.Second})
		}
		res.put(s)
		return ivr.Outcome{}
	}, harnessOpts{fake: arifake.Options{SoundLength: func(string) time.Duration { return time.Hour }}})
	ch := hs.call("96069")
	hs.await("menu playing", func() bool { return len(ch.Played()) == 1 })
	_ = ch.DTMF("5")
	s := res.get(t)
	if s.err != nil || s.barge != "5" {
		t.Fatalf("Play = %q, %v; want barge 5", s.barge, s.err)
	}
	if s.got.Digits != "5" || s.got.Stop != ivr.StopMaxDigits {
		t.Errorf("Collect after barge = %+v; want the barge digit 5", s.got)
	}
	if got := ch.Played(); len(got) != 1 {
		t.Errorf("played %v; the second prompt must not start after barge-in", got)
	}
	stopped := false
	for _, r := range hs.fake.Requests() {
		if r.Method == "DELETE" && strings.HasPrefix(r.Path, "/playbacks/") && r.Status == 204 {
			stopped = true
		}
	}
	if !stopped {
		t.Error("the playback was not stopped with DELETE /playbacks/{id}")
	}
}

func TestPlayWithBufferedDigitDoesNotStart(t *testing.T) {
	res := newResult[string]()
	gate := make(chan struct{})
	hs := newHarness(t, func(ctx context.Context, c ivr.Call) ivr.Outcome {
		<-gate
		b, _ := c.Play(ctx, ivr.Playback{Barge: true, Prompts: []ivr.Prompt{prompt("welcome")}})
		res.put(b)
		return ivr.Outcome{}
	}, harnessOpts{})
	ch := hs.call("96069")
	_ = ch.DTMF("9")
	hs.await("digit delivered", func() bool {
		for _, e := range hs.fake.Events() {
			if e.Type == "ChannelDtmfReceived" && e.Delivered {
				return true
			}
		}
		return false
	})
	waitDigits(t, hs, ch.ID(), 1)
	close(gate)
	if b := res.get(t); b != "9" {
		t.Errorf("Play with a buffered digit = %q; want 9", b)
	}
	if got := ch.Played(); len(got) != 0 {
		t.Errorf("played %v; want nothing", got)
	}
}

// waitDigits waits until the transport's call has n buffered digits.
func waitDigits(t *testing.T, hs *harness, id string, n int) {
	t.Helper()
	deadline := time.Now().Add(testTimeout)
	for time.Now().Before(deadline) {
		hs.tr.mu.Lock()
		c := hs.tr.calls[id]
		hs.tr.mu.Unlock()
		if c != nil {
			if c.keys.Len() >= n {
				return
			}
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatalf("call %s never buffered %d digits", id, n)
}

func TestCollectTimeoutsOnInjectedClock(t *testing.T) {
	tests := []struct {
		name   string
		press  string
		want   ivr.Collected
		timers int
	}{
		{"first digit timeout", "", ivr.Collected{Stop: ivr.StopFirstTimeout}, 1},
		{"inter digit timeout", "42", ivr.Collected{Digits: "42", Stop: ivr.StopInterTimeout}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vc := clock.NewVirtual(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC))
			res := newResult[ivr.Collected]()
			errs := newResult[error]()
			start := make(chan struct{})
			hs := newHarness(t, func(ctx context.Context, c ivr.Call) ivr.Outcome {
				<-start
				got, err := c.Collect(ctx, ivr.Collect{Max: 6, Terminator: "#", FirstDigit: 5 * time.Second, InterDigit: 3 * time.Second})
				res.put(got)
				errs.put(err)
				return ivr.Outcome{}
			}, harnessOpts{clock: vc})
			ch := hs.call("96069")
			if tt.press != "" {
				_ = ch.DTMF(tt.press)
				waitDigits(t, hs, ch.ID(), len(tt.press))
			}
			close(start)
			ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
			defer cancel()
			if err := vc.BlockUntil(ctx, tt.timers); err != nil {
				t.Fatal(err)
			}
			// Just short of the timeout nothing happens.
			vc.Advance(2999 * time.Millisecond)
			select {
			case got := <-res.ch:
				t.Fatalf("Collect returned early: %+v", got)
			default:
			}
			vc.Advance(5 * time.Second)
			got := res.get(t)
			if err := errs.get(t); err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("Collect = %+v; want %+v", got, tt.want)
			}
		})
	}
}

func TestCallerHangupEndsBlockingMethods(t *testing.T) {
	errs := newResult[error]()
	hs := newHarness(t, func(ctx context.Context, c ivr.Call) ivr.Outcome {
		_ = c.Answer(ctx)
		_, err := c.Collect(ctx, ivr.Collect{Max: 4, FirstDigit: time.Hour})
		errs.put(err)
		errs.put(c.Hold(ctx, ivr.Playback{}))
		return ivr.Outcome{}
	}, harnessOpts{})
	ch := hs.call("96069")
	hs.await("answered", func() bool { return ch.State() == "Up" })
	ch.Hangup()
	for _, what := range []string{"Collect", "Hold"} {
		if err := errs.get(t); !errors.Is(err, ivr.ErrHangup) {
			t.Errorf("%s after hang-up = %v; want ErrHangup", what, err)
		}
	}
}

// A caller who hangs up during a prompt ends Play with the hang-up, not
// with the prompt played: Asterisk sends ChannelHangupRequest and the
// playback's PlaybackFinished ("done") before the channel leaves Stasis,
// and a Play that took the finish for the end of the prompt sent the flow
// on to its next node (the conformance suite's "caller hangs up during
// prompt" saw the hang-up logged at the menu after it, now and then).
func TestHangupDuringPromptEndsPlayWithTheHangup(t *testing.T) {
	res := newResult[error]()
	hs := newHarness(t, func(ctx context.Context, c ivr.Call) ivr.Outcome {
		_, err := c.Play(ctx, ivr.Playback{Prompts: []ivr.Prompt{prompt("main_menu")}})
		res.put(err)
		return ivr.Outcome{}
	}, harnessOpts{fake: arifake.Options{
		SoundLength:   func(string) time.Duration { return time.Hour },
		HangupLatency: 300 * time.Millisecond,
	}})
	ch := hs.call("96069")
	hs.await("prompt playing", func() bool { return len(ch.Played()) == 1 })
	ch.Hangup()
	if err := res.get(t); !errors.Is(err, ivr.ErrHangup) {
		t.Errorf("Play = %v; want ErrHangup", err)
	}
}
