package scripted

import (
	"fmt"
	"strings"
	"time"
)

// Point says which kind of Call operation a Step waits for.
type Point int

const (
	// AtInput: the next Collect or Record (the caller answers a question).
	AtInput Point = iota
	// AtPrompt: during the next Play (barge-in, or hanging up mid-prompt).
	AtPrompt
	// AtHold: while the next Hold plays music (queue wait).
	AtHold
	// AtRing: while the next Connect rings agents.
	AtRing
)

func (p Point) String() string {
	switch p {
	case AtInput:
		return "input"
	case AtPrompt:
		return "prompt"
	case AtHold:
		return "hold"
	case AtRing:
		return "ring"
	}
	return fmt.Sprintf("Point(%d)", int(p))
}

// Step is one thing the caller does. Steps run in order; a step waits for
// the first operation of its Point and is used up by it, so a step AtInput
// is not touched by the prompts played before the Collect it answers.
type Step struct {
	At Point
	// Delay is virtual time from the start of the operation to the first
	// key (or to the hang-up when there are no keys). For Record it counts
	// from the end of Talk.
	Delay time.Duration
	Keys  string        // keys pressed, in order
	Gap   time.Duration // between two keys (Collect only)
	Talk  time.Duration // Record: how long the caller speaks first
	// Hangup: the caller hangs up after the keys.
	Hangup bool
}

func (s Step) String() string {
	var b strings.Builder
	if s.At != AtInput {
		fmt.Fprintf(&b, "@%s ", s.At)
	}
	if s.Delay > 0 {
		fmt.Fprintf(&b, "after %s ", s.Delay)
	}
	if s.Keys != "" {
		fmt.Fprintf(&b, "press %q ", s.Keys)
	}
	if s.Hangup {
		b.WriteString("hang up ")
	}
	if b.Len() == 0 {
		return "silence"
	}
	return strings.TrimSpace(b.String())
}

// ParseScript turns a command-line digit script into Steps. Groups are
// separated by commas; each is what the caller does at the next Collect or
// Record:
//
//	1          press 1
//	12345678#  type an account number and the terminator
//	(empty)    stay silent: the menu or input times out
//	3s+42      wait 3 s, then press 4 and 2
//	!1         press 1 during the next prompt (barge-in)
//	!2s+1      press 1 two seconds into the next prompt
//	h          hang up (at the next Collect or Record; "!h" during the next prompt)
//	1h         press 1, then hang up
//
// ParseScript("") is no steps: a caller who never presses anything.
func ParseScript(s string) ([]Step, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var steps []Step
	for i, g := range strings.Split(s, ",") {
		st, err := parseGroup(strings.TrimSpace(g))
		if err != nil {
			return nil, fmt.Errorf("digits group %d %q: %w", i+1, g, err)
		}
		steps = append(steps, st)
	}
	return steps, nil
}

func parseGroup(g string) (Step, error) {
	var st Step
	if rest, ok := strings.CutPrefix(g, "!"); ok {
		st.At, g = AtPrompt, rest
	}
	if g == "hangup" {
		g = "h"
	}
	if d, rest, ok := strings.Cut(g, "+"); ok {
		delay, err := time.ParseDuration(d)
		if err != nil || delay < 0 {
			return st, fmt.Errorf("bad delay %q", d)
		}
		st.Delay, g = delay, rest
	}
	if rest, ok := strings.CutSuffix(g, "h"); ok {
		st.Hangup, g = true, rest
	}
	for _, c := range g {
		if !strings.ContainsRune("0123456789*#ABCD", c) {
			return st, fmt.Errorf("%q is not a DTMF key", c)
		}
	}
	st.Keys = g
	return st, nil
}
