package ivrtest

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/internal/clock"
	"github.com/switchboard-cc/switchboard/ivr"
	"github.com/switchboard-cc/switchboard/routing"
)

var t0 = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

// drive runs f with the virtual clock auto-advancing and returns the
// virtual time f took.
func drive(t *testing.T, clk *clock.Virtual, f func(ctx context.Context)) time.Duration {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	go clk.AutoAdvance(ctx, 2*time.Millisecond)
	start := clk.Now()
	f(ctx)
	if ctx.Err() != nil {
		t.Fatal("timed out")
	}
	return clk.Now().Sub(start)
}

func TestFakeCollectTimeline(t *testing.T) {
	cases := []struct {
		name string
		step Step
		col  ivr.Collect
		want ivr.Collected
		took time.Duration
		left string // keys left in the buffer afterwards
	}{
		{"terminator", Step{Delay: 2 * time.Second, Keys: "12#"}, ivr.Collect{Max: 5, Terminator: "#", FirstDigit: 5 * time.Second, InterDigit: 3 * time.Second},
			ivr.Collected{Digits: "12", Stop: ivr.StopTerminator}, 2 * time.Second, ""},
		{"max keeps the rest", Step{Keys: "1234"}, ivr.Collect{Max: 2, FirstDigit: 5 * time.Second},
			ivr.Collected{Digits: "12", Stop: ivr.StopMaxDigits}, 0, "34"},
		{"first-digit timeout", Step{Delay: 6 * time.Second, Keys: "1"}, ivr.Collect{Max: 2, FirstDigit: 5 * time.Second},
			ivr.Collected{Stop: ivr.StopFirstTimeout}, 5 * time.Second, "1"},
		{"inter-digit timeout", Step{Keys: "123", Gap: 2 * time.Second}, ivr.Collect{Max: 5, FirstDigit: 5 * time.Second, InterDigit: 3 * time.Second},
			ivr.Collected{Digits: "123", Stop: ivr.StopInterTimeout}, 7 * time.Second, ""},
		{"a key in the instant of the timeout counts", Step{Delay: 5 * time.Second, Keys: "1"}, ivr.Collect{Max: 2, FirstDigit: 5 * time.Second, InterDigit: 3 * time.Second},
			ivr.Collected{Digits: "1", Stop: ivr.StopInterTimeout}, 8 * time.Second, ""},
		{"a terminator typed after a full input goes with it", Step{Keys: "12#3", Gap: time.Second}, ivr.Collect{Max: 2, Terminator: "#", FirstDigit: 5 * time.Second, InterDigit: 3 * time.Second},
			ivr.Collected{Digits: "12", Stop: ivr.StopMaxDigits}, time.Second, "3"},
		{"a slow key misses the inter-digit window", Step{Keys: "12", Gap: 4 * time.Second}, ivr.Collect{Max: 5, FirstDigit: 5 * time.Second, InterDigit: 3 * time.Second},
			ivr.Collected{Digits: "1", Stop: ivr.StopInterTimeout}, 3 * time.Second, "2"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			clk := clock.NewVirtual(t0)
			c := NewCall(Config{Clock: clk, Script: []Step{tc.step}})
			var got ivr.Collected
			var err error
			took := drive(t, clk, func(ctx context.Context) { got, err = c.Collect(ctx, tc.col) })
			if err != nil || got != tc.want || took != tc.took {
				t.Errorf("Collect = %+v, %v after %s; want %+v after %s", got, err, took, tc.want, tc.took)
			}
			if left := drain(c.Keys()); left != tc.left {
				t.Errorf("buffer %q; want %q", left, tc.left)
			}
		})
	}
}

func TestFakePlayBarge(t *testing.T) {
	clk := clock.NewVirtual(t0)
	c := NewCall(Config{Clock: clk, Script: []Step{{At: AtPrompt, Delay: 1500 * time.Millisecond, Keys: "9"}}})
	p := ivr.Playback{Prompts: []ivr.Prompt{{File: "en/a.wav"}, {File: "en/b.wav"}, {File: "en/c.wav"}}, Barge: true}
	var key string
	took := drive(t, clk, func(ctx context.Context) { key, _ = c.Play(ctx, p) })
	if key != "9" || took != 1500*time.Millisecond {
		t.Errorf("Play = %q after %s; want 9 after 1.5s", key, took)
	}
	// The key stays buffered: the next barge-in Play returns at once.
	took = drive(t, clk, func(ctx context.Context) { key, _ = c.Play(ctx, p) })
	if key != "9" || took != 0 {
		t.Errorf("second Play = %q after %s; want 9 at once", key, took)
	}
}

func TestFakeHangupStopsEverything(t *testing.T) {
	clk := clock.NewVirtual(t0)
	c := NewCall(Config{Clock: clk, Script: []Step{{At: AtHold, Delay: 40 * time.Second, Hangup: true}}})
	var err error
	took := drive(t, clk, func(ctx context.Context) { err = c.Hold(ctx, ivr.Playback{}) })
	if !errors.Is(err, ivr.ErrHangup) || took != 40*time.Second {
		t.Errorf("Hold = %v after %s; want ErrHangup after 40s", err, took)
	}
	if _, err := c.Connect(context.Background(), routing.Offer{}); !errors.Is(err, ivr.ErrHangup) {
		t.Errorf("Connect after hang-up = %v", err)
	}
	if by, _ := c.Ended(); by != "caller" {
		t.Errorf("ended by %q", by)
	}
}

// Every ticket leaves the fake ACD once: answered, missed then answered,
// abandoned, or exited.
func TestFakeRouter(t *testing.T) {
	clk := clock.NewVirtual(t0)
	r := &Router{Clock: clk, Groups: map[string]Queue{
		"open":   {Exit: time.Minute, Offers: []ScheduledOffer{{After: 10 * time.Second, Agents: []string{"a1"}}}},
		"closed": {Closed: true},
	}}
	if _, err := r.Enqueue(context.Background(), routing.Request{Group: "closed"}); !errors.Is(err, ivr.ErrQueueClosed) {
		t.Fatalf("closed group: %v", err)
	}
	tk, err := r.Enqueue(context.Background(), routing.Request{Group: "open"})
	if err != nil {
		t.Fatal(err)
	}
	var offer routing.Offer
	drive(t, clk, func(ctx context.Context) { offer = <-tk.Offers() })
	if offer.ID != "o1" || offer.Agents[0].URI != "fake:a1" {
		t.Errorf("offer %+v", offer)
	}
	tk.Missed(offer, map[string]string{"a1": ivr.MissTimeout})
	drive(t, clk, func(ctx context.Context) { <-tk.Exited() })
	if tk.Exit() != routing.TimedOut || clk.Now().Sub(t0) != time.Minute {
		t.Errorf("exit %s at %s; want timeout after 1m", tk.Exit(), clk.Now().Sub(t0))
	}
	want := []string{"closed closed", "enqueue open", "missed o1 a1=timeout", "exit timeout"}
	if got := r.Log(); !slices.Equal(got, want) {
		t.Errorf("log %q; want %q", got, want)
	}
}

// drain takes every buffered key.
func drain(k *ivr.Keypad) string {
	var s []rune
	for {
		key, _, err := k.Take()
		if key == 0 || err != nil {
			return string(s)
		}
		s = append(s, key)
	}
}
