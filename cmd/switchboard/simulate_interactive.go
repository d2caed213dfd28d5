package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/switchboard-cc/switchboard/ivr"
	"github.com/switchboard-cc/switchboard/ivr/scripted"
)

// interactiveCall is simulate without --digits: the designer is the caller,
// typing keys at each input. Everything else is the scripted fake.
type interactiveCall struct {
	*scripted.Call
	in  *bufio.Reader
	out io.Writer
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
	// What was typed is pressed at once; the engine's one collector applies
	// the input's rules (terminator, max, timeouts on the virtual clock).
	keys := strings.Map(func(r rune) rune {
		if strings.ContainsRune("0123456789*#ABCD", r) {
			return r
		}
		return -1
	}, line)
	if err := c.Call.Remote().Press(ctx, keys); err != nil {
		return ivr.Collected{}, err
	}
	return c.Call.Collect(ctx, col)
}
