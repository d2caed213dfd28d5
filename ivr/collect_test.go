package ivr_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/internal/clock"
	"github.com/switchboard-cc/switchboard/ivr"
)

var collectT0 = time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC)

// TestCollectKeys runs the one collector over buffered keys, with the
// clock moving only from timer to timer (the timed races are pinned on
// every transport by the ivrtest conformance suite).
func TestCollectKeys(t *testing.T) {
	spec := ivr.Collect{Max: 4, Terminator: "#", FirstDigit: 5 * time.Second, InterDigit: 3 * time.Second}
	cases := []struct {
		name     string
		spec     ivr.Collect
		buffered string
		want     ivr.Collected
		took     time.Duration
		left     string
	}{
		{name: "type-ahead then the terminator", spec: spec, buffered: "12#9",
			want: ivr.Collected{Digits: "12", Stop: ivr.StopTerminator}, left: "9"},
		{name: "max digits swallow a buffered terminator", spec: spec, buffered: "1234#9",
			want: ivr.Collected{Digits: "1234", Stop: ivr.StopMaxDigits}, left: "9"},
		{name: "max digits keep another key", spec: spec, buffered: "12349#",
			want: ivr.Collected{Digits: "1234", Stop: ivr.StopMaxDigits}, left: "9#"},
		{name: "no terminator: # is a digit unless ignored", spec: ivr.Collect{Max: 3, FirstDigit: time.Second}, buffered: "1#2",
			want: ivr.Collected{Digits: "1#2", Stop: ivr.StopMaxDigits}},
		{name: "ignored keys are dropped", spec: ivr.Collect{Max: 3, Ignore: "#", FirstDigit: time.Second}, buffered: "1#2#3",
			want: ivr.Collected{Digits: "123", Stop: ivr.StopMaxDigits}},
		{name: "first-digit timeout", spec: spec,
			want: ivr.Collected{Stop: ivr.StopFirstTimeout}, took: 5 * time.Second},
		{name: "inter-digit timeout after type-ahead", spec: spec, buffered: "12",
			want: ivr.Collected{Digits: "12", Stop: ivr.StopInterTimeout}, took: 3 * time.Second},
		{name: "no timeouts: buffered keys only", spec: ivr.Collect{Max: 5}, buffered: "12",
			want: ivr.Collected{Digits: "12", Stop: ivr.StopInterTimeout}},
		{name: "max 0 has no digit limit", spec: ivr.Collect{FirstDigit: time.Second, InterDigit: time.Second}, buffered: "1234567890",
			want: ivr.Collected{Digits: "1234567890", Stop: ivr.StopInterTimeout}, took: time.Second},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			clk := clock.NewVirtual(collectT0)
			start := clk.Now()
			keys := ivr.NewKeypad()
			for _, k := range tc.buffered {
				keys.Press(k)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			go clk.AutoAdvance(ctx, time.Millisecond)
			got, err := ivr.CollectKeys(ctx, clk, keys, tc.spec)
			if err != nil || got != tc.want {
				t.Errorf("CollectKeys = %+v, %v; want %+v", got, err, tc.want)
			}
			if took := clk.Now().Sub(start); took != tc.took {
				t.Errorf("took %s; want %s", took, tc.took)
			}
			if left := drainKeys(keys); left != tc.left {
				t.Errorf("left %q buffered; want %q", left, tc.left)
			}
		})
	}
}

// An ignored key does not restart the first-digit timer: it is as if it
// was never pressed.
func TestCollectIgnoredKeyKeepsTheDeadline(t *testing.T) {
	clk := clock.NewVirtual(collectT0)
	keys := ivr.NewKeypad()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	done := make(chan ivr.Collected, 1)
	go func() {
		got, _ := ivr.CollectKeys(ctx, clk, keys, ivr.Collect{Max: 3, Ignore: "#", FirstDigit: 5 * time.Second})
		done <- got
	}()
	if err := clk.BlockUntil(ctx, 1); err != nil {
		t.Fatal(err)
	}
	clk.Advance(4 * time.Second)
	keys.Press('#')
	for {
		select {
		case got := <-done:
			if want := (ivr.Collected{Stop: ivr.StopFirstTimeout}); got != want || clk.Now().Sub(collectT0) != 5*time.Second {
				t.Errorf("CollectKeys = %+v at +%s; want %+v at +5s", got, clk.Now().Sub(collectT0), want)
			}
			return
		case <-ctx.Done():
			t.Fatal("the collector never timed out: the ignored key restarted its timer")
		case <-time.After(10 * time.Millisecond):
			// Whichever timer the collector waits on, one second is its deadline.
			if clk.Pending() > 0 && clk.Now().Sub(collectT0) < 5*time.Second {
				clk.Advance(time.Second)
			}
		}
	}
}

// drainKeys takes every buffered key.
func drainKeys(k *ivr.Keypad) string {
	var s []rune
	for {
		key, _, _ := k.Take()
		if key == 0 {
			return string(s)
		}
		s = append(s, key)
	}
}

func TestKeypad(t *testing.T) {
	t.Run("a closed keypad drops keys and reports why", func(t *testing.T) {
		k := ivr.NewKeypad()
		k.Press('1')
		gone := errors.New("gone")
		k.Close(gone)
		if k.Press('2') {
			t.Error("Press after Close kept the key")
		}
		if _, next, err := k.Take(); err != gone || !isClosed(next) {
			t.Errorf("Take after Close = %v; want the close error and a closed channel", err)
		}
	})
	t.Run("a stuck key does not grow the buffer", func(t *testing.T) {
		k := ivr.NewKeypad()
		for range 1000 {
			k.Press('5')
		}
		if k.Len() != 64 {
			t.Errorf("Len = %d; want 64", k.Len())
		}
	})
	t.Run("Drop removes a key now or when it arrives", func(t *testing.T) {
		k := ivr.NewKeypad()
		k.Press('#')
		k.Press('1')
		k.Press('#')
		k.Drop('#', 1)
		k.Drop('*', 0)
		k.Press('*')
		k.Press('2')
		if got := drainKeys(k); got != "#12" {
			t.Errorf("left %q; want #12", got)
		}
	})
	t.Run("Flush cancels a pending swallow", func(t *testing.T) {
		clk := clock.NewVirtual(collectT0)
		k := ivr.NewKeypad()
		k.SwallowNext("#", clk, clk.Now().Add(time.Second))
		k.Flush()
		k.Press('#')
		if got := drainKeys(k); got != "#" {
			t.Errorf("left %q; want # (the swallow went with the flush)", got)
		}
	})
}

func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}
