package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/switchboard-cc/switchboard/internal/clock"
	"github.com/switchboard-cc/switchboard/ivr"
	"github.com/switchboard-cc/switchboard/ivr/ivrtest"
)

// interactiveCall is simulate without --digits: the designer is the caller,
// typing keys at each input. Everything else is the scripted fake.
type interactiveCall struct {
	*ivrtest.Call
	in    *bufio.Reader
	out   io.Writer
	clock clock.Clock
}

func (c *interactiveCall) Collect(ctx context.Context, col ivr.Collect) (ivr.Collected, error) {
	hint := fmt.Sprintf("%d-%d keys", col.Min, col.Max)
	if col.Max == 1 {
		hint = "one key"
	}
	if col.Terminator != "" {
		hint += ", end with " + col.Terminator
	}
	fmt.Fprintf(c.out, "keys? (%s; empty = silence, h = hang up) > ", hint)
	line, err := c.in.ReadString('\n')
	if err != nil && line == "" {
		// End of input: the caller hangs up.
		c.Call.HangUp()
		return ivr.Collected{}, fmt.Errorf("collect: %w", ivr.ErrHangup)
	}
	line = strings.TrimSpace(line)
	if line == "h" {
		c.Call.HangUp()
		return ivr.Collected{}, fmt.Errorf("collect: %w", ivr.ErrHangup)
	}
	if line == "" {
		if err := clock.Sleep(ctx, c.clock, col.FirstDigit); err != nil {
			return ivr.Collected{}, err
		}
		return ivr.Collected{Stop: ivr.StopFirstTimeout}, nil
	}
	return collectTyped(ctx, c.clock, col, line)
}

// collectTyped applies a Collect's rules to what was typed at once: the
// terminator ends input, Max ends it, and a short entry ends by the
// inter-digit timeout.
func collectTyped(ctx context.Context, clk clock.Clock, col ivr.Collect, typed string) (ivr.Collected, error) {
	var got strings.Builder
	for _, r := range typed {
		if !strings.ContainsRune("0123456789*#ABCD", r) {
			continue
		}
		if col.Terminator != "" && strings.ContainsRune(col.Terminator, r) {
			return ivr.Collected{Digits: got.String(), Stop: ivr.StopTerminator}, nil
		}
		got.WriteRune(r)
		if col.Max > 0 && got.Len() >= col.Max {
			return ivr.Collected{Digits: got.String(), Stop: ivr.StopMaxDigits}, nil
		}
	}
	if err := clock.Sleep(ctx, clk, col.InterDigit); err != nil {
		return ivr.Collected{}, err
	}
	return ivr.Collected{Digits: got.String(), Stop: ivr.StopInterTimeout}, nil
}
