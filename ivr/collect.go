package ivr

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/switchboard-cc/switchboard/internal/clock"
)

// Keys is the caller's key stream as a collection reads it. *Keypad is
// the implementation every transport uses; a fake wraps it to press
// scripted keys on its schedule.
type Keys interface {
	// Take removes and returns the oldest buffered key; with none
	// buffered it returns 0 and a channel closed when the next key
	// arrives, or the stream's end once the call is gone.
	Take() (key rune, next <-chan struct{}, err error)
	// SwallowNext makes the next key disappear if it is one of keys and
	// arrives first, by until on clk (see Keypad.SwallowNext).
	SwallowNext(keys string, clk clock.Clock, until time.Time)
}

// CollectKeys is the one digit collector every transport's Collect runs.
// It takes buffered keys first (type-ahead), then waits for more on clk:
// c.FirstDigit for the first key, c.InterDigit after each. It stops at a
// terminator key (not part of the digits), at c.Max digits (0: no limit),
// or at a timeout; keys in c.Ignore are dropped without restarting the
// timer. Keys past the stop stay buffered for what comes next, except a
// terminator that arrives right after a completed Max-digit input: it
// belongs to that input and is swallowed (Keypad.SwallowNext, within
// c.InterDigit).
//
// The timer race: a key that has arrived by the time a timeout is handled
// counts, including one that arrives in the same instant the timer fires.
// When the timer fires the collector takes from the stream once more
// before it stops; a key found then is collected and the inter-digit timer
// starts again from that instant. Only with the stream empty at the
// deadline does the collection time out.
//
// It returns the stream's error once the call is gone, or ctx's error.
func CollectKeys(ctx context.Context, clk clock.Clock, keys Keys, c Collect) (Collected, error) {
	var buf [32]byte // digits, on the stack for any sane Max
	got := buf[:0]
	why, deadline := StopFirstTimeout, clk.Now().Add(c.FirstDigit)
	expired := c.FirstDigit <= 0
	for {
		key, next, err := keys.Take()
		if err != nil {
			return Collected{Digits: string(got)}, err
		}
		if key != 0 {
			switch {
			case strings.ContainsRune(c.Terminator, key):
				return Collected{Digits: string(got), Stop: StopTerminator}, nil
			case strings.ContainsRune(c.Ignore, key):
				continue
			}
			got = utf8.AppendRune(got, key)
			if c.Max > 0 && utf8.RuneCount(got) >= c.Max {
				if c.Terminator != "" {
					keys.SwallowNext(c.Terminator, clk, clk.Now().Add(c.InterDigit))
				}
				return Collected{Digits: string(got), Stop: StopMaxDigits}, nil
			}
			why, deadline = StopInterTimeout, clk.Now().Add(c.InterDigit)
			expired = c.InterDigit <= 0
			continue
		}
		if expired {
			return Collected{Digits: string(got), Stop: why}, nil
		}
		timer := clk.NewTimer(deadline.Sub(clk.Now()))
		select {
		case <-next:
			timer.Stop()
		case <-timer.C():
			// Look once more before stopping: a key of this instant
			// counts. (A clock may wake the collector early, as the
			// scripted fake does at its caller's next key: then it
			// waits on.)
			expired = !clk.Now().Before(deadline)
		case <-ctx.Done():
			timer.Stop()
			return Collected{Digits: string(got)}, ctx.Err()
		}
	}
}
