package ivrtest

import (
	"context"
	"errors"
	"io/fs"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/ivr"
	"github.com/switchboard-cc/switchboard/routing"
)

// seamCall is one call for a primitive test: answered, observed.
type seamCall struct {
	call   *observed
	remote Remote
	ctx    context.Context
}

func newSeamCall(t *testing.T, factory Factory, store fs.FS, agents ...AgentSetup) *seamCall {
	t.Helper()
	call, remote := factory(t, Setup{Case: t.Name(), From: "5551234", To: "7000", Prompts: store, RecordingsDir: t.TempDir(), Agents: agents})
	ctx, cancel := context.WithTimeout(context.Background(), confCase)
	t.Cleanup(cancel)
	if err := call.Answer(ctx); err != nil {
		t.Fatalf("Answer: %v", err)
	}
	return &seamCall{call: observe(call), remote: remote, ctx: ctx}
}

func prompt(name string) ivr.Prompt {
	return ivr.Prompt{Name: name, File: "en/" + name + ".wav", Sound: "en/" + name}
}

func playback(barge bool, names ...string) ivr.Playback {
	p := ivr.Playback{Barge: barge}
	for _, n := range names {
		p.Prompts = append(p.Prompts, prompt(n))
	}
	return p
}

func (s *seamCall) press(t *testing.T, keys string) {
	t.Helper()
	if err := s.remote.Press(s.ctx, keys); err != nil {
		t.Errorf("Press(%q): %v", keys, err)
	}
}

func (s *seamCall) collect(t *testing.T, c ivr.Collect) ivr.Collected {
	t.Helper()
	got, err := s.call.Collect(s.ctx, c)
	if err != nil {
		t.Fatalf("Collect(%+v): %v", c, err)
	}
	return got
}

func wantCollected(t *testing.T, got ivr.Collected, digits string, stop ivr.StopReason) {
	t.Helper()
	if got.Digits != digits || got.Stop != stop {
		t.Errorf("Collect = %q %s; want %q %s", got.Digits, got.Stop, digits, stop)
	}
}

func runSeam(t *testing.T, factory Factory, store fs.FS) {
	t.Run("play", func(t *testing.T) {
		s := newSeamCall(t, factory, store)
		key, err := s.call.Play(s.ctx, playback(true, "welcome", "short"))
		if err != nil || key != "" {
			t.Errorf("Play = %q, %v; want \"\", nil", key, err)
		}
	})
	t.Run("barge-in returns the key and leaves it buffered", func(t *testing.T) {
		s := newSeamCall(t, factory, store)
		go func() {
			if s.call.await(t, "play", 1) {
				s.press(t, "5")
			}
		}()
		start := time.Now()
		key, err := s.call.Play(s.ctx, playback(true, "long"))
		if err != nil || key != "5" {
			t.Fatalf("Play = %q, %v; want \"5\"", key, err)
		}
		if el := time.Since(start); el >= confLongPrompt-500*time.Millisecond {
			t.Errorf("barge-in took %s: the key did not stop the prompt", el)
		}
		wantCollected(t, s.collect(t, ivr.Collect{Min: 1, Max: 1, FirstDigit: confShortWait}), "5", ivr.StopMaxDigits)
	})
	t.Run("without barge a key waits in the buffer", func(t *testing.T) {
		s := newSeamCall(t, factory, store)
		go func() {
			if s.call.await(t, "play", 1) {
				s.press(t, "7")
			}
		}()
		if key, err := s.call.Play(s.ctx, playback(false, "short", "short")); err != nil || key != "" {
			t.Fatalf("Play = %q, %v; want \"\", nil", key, err)
		}
		wantCollected(t, s.collect(t, ivr.Collect{Max: 1, FirstDigit: confKeyWait}), "7", ivr.StopMaxDigits)
	})
	t.Run("collect stops at the terminator", func(t *testing.T) {
		s := newSeamCall(t, factory, store)
		go func() {
			if s.call.await(t, "collect", 1) {
				s.press(t, "123#")
			}
		}()
		wantCollected(t, s.collect(t, ivr.Collect{Min: 1, Max: 10, Terminator: "#", FirstDigit: confKeyWait, InterDigit: confKeyWait}),
			"123", ivr.StopTerminator)
	})
	t.Run("collect stops at max digits and keeps the rest", func(t *testing.T) {
		s := newSeamCall(t, factory, store)
		go func() {
			if s.call.await(t, "collect", 1) {
				s.press(t, "1234")
			}
		}()
		wantCollected(t, s.collect(t, ivr.Collect{Max: 3, FirstDigit: confKeyWait, InterDigit: confKeyWait}), "123", ivr.StopMaxDigits)
		wantCollected(t, s.collect(t, ivr.Collect{Max: 1, FirstDigit: confKeyWait}), "4", ivr.StopMaxDigits)
	})
	t.Run("collect first-digit timeout", func(t *testing.T) {
		s := newSeamCall(t, factory, store)
		start := time.Now()
		wantCollected(t, s.collect(t, ivr.Collect{Max: 4, FirstDigit: confShortWait, InterDigit: confKeyWait}), "", ivr.StopFirstTimeout)
		if el := time.Since(start); el < confShortWait-50*time.Millisecond {
			t.Errorf("timed out after %s; want about %s", el, confShortWait)
		}
	})
	t.Run("collect inter-digit timeout", func(t *testing.T) {
		s := newSeamCall(t, factory, store)
		go func() {
			if s.call.await(t, "collect", 1) {
				s.press(t, "12")
			}
		}()
		wantCollected(t, s.collect(t, ivr.Collect{Max: 6, FirstDigit: confKeyWait, InterDigit: confShortWait}), "12", ivr.StopInterTimeout)
	})
	t.Run("record stops at the terminator", func(t *testing.T) {
		s := newSeamCall(t, factory, store)
		go func() {
			if !s.call.await(t, "record", 1) {
				return
			}
			time.Sleep(400 * time.Millisecond) // the caller speaks
			s.press(t, "#")
		}()
		// No beep: how long a beep takes to play out is the machine's
		// business, and a # that lands in it is the next case.
		rec, err := s.call.Record(s.ctx, ivr.Record{Path: "conformance-rec", Max: 10 * time.Second, Terminator: "#"})
		if err != nil || rec.Stop != "terminator" || rec.Duration <= 0 {
			t.Errorf("Record = %+v, %v; want a terminated recording with a duration", rec, err)
		}
	})
	t.Run("a terminator pressed during the beep ends the recording", func(t *testing.T) {
		s := newSeamCall(t, factory, store)
		go func() {
			if s.call.await(t, "record", 1) {
				s.press(t, "#") // as the beep sounds
			}
		}()
		within(t, confPromptly+confKeyWait, "Record with # pressed during the beep", func() {
			rec, err := s.call.Record(s.ctx, ivr.Record{Path: "conformance-beep", Max: 10 * time.Second, Terminator: "#", Beep: true})
			if err != nil || rec.Stop != "terminator" {
				t.Errorf("Record = %+v, %v; want stopped by the terminator, not run on to Max", rec, err)
			}
		})
	})
	t.Run("record stops at max", func(t *testing.T) {
		s := newSeamCall(t, factory, store)
		rec, err := s.call.Record(s.ctx, ivr.Record{Path: "conformance-max", Max: 500 * time.Millisecond, Terminator: "#"})
		if err != nil || rec.Stop != "max" || rec.Duration <= 0 {
			t.Errorf("Record = %+v, %v; want stop max", rec, err)
		}
	})
	t.Run("hold returns nil when its context ends", func(t *testing.T) {
		s := newSeamCall(t, factory, store)
		ctx, cancel := context.WithCancel(s.ctx)
		go func() { s.call.await(t, "hold", 1); cancel() }()
		within(t, confPromptly+confLongPrompt, "Hold after cancel", func() {
			if err := s.call.Hold(ctx, playback(false, "moh")); err != nil {
				t.Errorf("Hold = %v; want nil", err)
			}
		})
	})
	t.Run("play returns when its context ends", func(t *testing.T) {
		s := newSeamCall(t, factory, store)
		ctx, cancel := context.WithCancel(s.ctx)
		go func() { s.call.await(t, "play", 1); cancel() }()
		within(t, confPromptly, "Play after cancel", func() {
			if _, err := s.call.Play(ctx, playback(true, "long")); err == nil {
				t.Error("Play = nil error; want the context's")
			}
		})
	})
	t.Run("connect answered, agent hangs up", func(t *testing.T) {
		s := newSeamCall(t, factory, store, AgentSetup{ID: "a1", Behavior: Answers, AnswerAfter: 200 * time.Millisecond})
		leg, err := s.call.Connect(s.ctx, routing.Offer{ID: "o1", Agents: []routing.Endpoint{s.remote.Endpoint("a1")}, RingTimeout: confRing})
		if err != nil {
			t.Fatalf("Connect: %v", err)
		}
		if leg.AgentID() != "a1" {
			t.Errorf("leg agent %q; want a1", leg.AgentID())
		}
		if err := s.remote.AgentHangup(s.ctx, "a1"); err != nil {
			t.Fatalf("AgentHangup: %v", err)
		}
		if !closedWithin(leg.Done(), confPromptly) {
			t.Fatal("leg not done after the agent hung up")
		}
		if by := leg.EndedBy(); by != ivr.ByAgent {
			t.Errorf("EndedBy = %q; want agent", by)
		}
		if closedWithin(s.call.Done(), 100*time.Millisecond) {
			t.Error("the caller's call ended with the agent's leg")
		}
	})
	t.Run("connect ring-all: the answering agent wins", func(t *testing.T) {
		s := newSeamCall(t, factory, store, AgentSetup{ID: "a1", Behavior: NoAnswer},
			AgentSetup{ID: "a2", Behavior: Answers, AnswerAfter: 200 * time.Millisecond})
		leg, err := s.call.Connect(s.ctx, routing.Offer{ID: "o1",
			Agents: []routing.Endpoint{s.remote.Endpoint("a1"), s.remote.Endpoint("a2")}, RingTimeout: confRing})
		if err != nil || leg.AgentID() != "a2" {
			t.Fatalf("Connect = %v, %v; want a2's leg", leg, err)
		}
	})
	for _, tc := range []struct {
		name     string
		behavior Behavior
		miss     string
	}{{"busy", Busy, ivr.MissBusy}, {"no answer", NoAnswer, ivr.MissTimeout}} {
		t.Run("connect "+tc.name, func(t *testing.T) {
			s := newSeamCall(t, factory, store, AgentSetup{ID: "a1", Behavior: tc.behavior})
			ring := time.Second
			start := time.Now()
			_, err := s.call.Connect(s.ctx, routing.Offer{ID: "o1", Agents: []routing.Endpoint{s.remote.Endpoint("a1")}, RingTimeout: ring})
			var ce *ivr.ConnectError
			if !errors.As(err, &ce) || ce.Misses["a1"] != tc.miss {
				t.Fatalf("Connect error = %v; want a ConnectError with a1=%s", err, tc.miss)
			}
			el := time.Since(start)
			if tc.behavior == NoAnswer && el < ring-100*time.Millisecond {
				t.Errorf("gave up after %s; want the ring timeout %s", el, ring)
			}
			if tc.behavior == Busy && el >= ring {
				t.Errorf("busy took %s; want at once", el)
			}
		})
	}
	t.Run("engine hangup reaches the caller", func(t *testing.T) {
		s := newSeamCall(t, factory, store)
		if err := s.call.Hangup(s.ctx, "normal"); err != nil {
			t.Fatalf("Hangup: %v", err)
		}
		if !closedWithin(s.remote.Ended(), confPromptly) || !closedWithin(s.call.Done(), confPromptly) {
			t.Error("after Hangup the caller's side or Done did not end")
		}
	})
	t.Run("transfer", func(t *testing.T) {
		s := newSeamCall(t, factory, store)
		if err := s.call.Transfer(s.ctx, s.remote.TransferTarget()); err != nil {
			t.Errorf("Transfer(%+v): %v", s.remote.TransferTarget(), err)
		}
	})
	runSeamKeys(t, factory, store)
	runSeamHangups(t, factory, store)
}

// runSeamHangups: every blocking method returns an error wrapping
// ErrHangup promptly when the caller hangs up during it, Done closes, and
// every later call fails the same way at once.
func runSeamHangups(t *testing.T, factory Factory, store fs.FS) {
	agent := AgentSetup{ID: "a1", Behavior: NoAnswer}
	talker := AgentSetup{ID: "a1", Behavior: Answers, AnswerAfter: 100 * time.Millisecond}
	cases := []struct {
		name  string
		agent AgentSetup
		op    string
		run   func(s *seamCall) error
	}{
		{"play", agent, "play", func(s *seamCall) error { _, err := s.call.Play(s.ctx, playback(true, "long")); return err }},
		{"collect", agent, "collect", func(s *seamCall) error {
			_, err := s.call.Collect(s.ctx, ivr.Collect{Max: 4, FirstDigit: 10 * time.Second, InterDigit: 10 * time.Second})
			return err
		}},
		{"record", agent, "record", func(s *seamCall) error {
			_, err := s.call.Record(s.ctx, ivr.Record{Path: "conformance-hangup", Max: 10 * time.Second})
			return err
		}},
		{"hold", agent, "hold", func(s *seamCall) error { return s.call.Hold(s.ctx, playback(false, "moh")) }},
		{"connect", agent, "connect", func(s *seamCall) error {
			_, err := s.call.Connect(s.ctx, routing.Offer{ID: "o1", Agents: []routing.Endpoint{s.remote.Endpoint("a1")}, RingTimeout: 10 * time.Second})
			return err
		}},
		{"conversation", talker, "connected", func(s *seamCall) error {
			leg, err := s.call.Connect(s.ctx, routing.Offer{ID: "o1", Agents: []routing.Endpoint{s.remote.Endpoint("a1")}, RingTimeout: confRing})
			if err != nil {
				return err
			}
			select {
			case <-leg.Done():
			case <-s.ctx.Done():
				return s.ctx.Err()
			}
			if by := leg.EndedBy(); by != ivr.ByCaller {
				return errors.New("leg ended by " + by + "; want caller")
			}
			return ivr.ErrHangup
		}},
	}
	for _, tc := range cases {
		t.Run("caller hangs up during "+tc.name, func(t *testing.T) {
			s := newSeamCall(t, factory, store, tc.agent)
			go func() {
				if !s.call.await(t, tc.op, 1) {
					return
				}
				if err := s.remote.Hangup(s.ctx); err != nil {
					t.Errorf("caller Hangup: %v", err)
				}
			}()
			within(t, confPromptly+time.Second, tc.name+" after the caller hung up", func() {
				if err := tc.run(s); !errors.Is(err, ivr.ErrHangup) {
					t.Errorf("%s = %v; want an error wrapping ErrHangup", tc.name, err)
				}
			})
			if !closedWithin(s.call.Done(), confPromptly) {
				t.Fatal("Done not closed after the caller hung up")
			}
			if _, err := s.call.Play(s.ctx, playback(true, "short")); !errors.Is(err, ivr.ErrHangup) {
				t.Errorf("Play after hang-up = %v; want ErrHangup", err)
			}
			if _, err := s.call.Collect(s.ctx, ivr.Collect{Max: 1, FirstDigit: time.Second}); !errors.Is(err, ivr.ErrHangup) {
				t.Errorf("Collect after hang-up = %v; want ErrHangup", err)
			}
		})
	}
}
