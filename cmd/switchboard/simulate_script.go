package main

import (
	"bufio"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"
)

// simAction is one line of a simulate --script: at a virtual time after
// the start, an agent changes state or a caller presses keys or hangs up.
//
//	+30s agent 1001 logout
//	+0s  agent 1002 ready
//	+10s agent 1003 not_ready lunch
//	+5s  caller 2 digits 1#
//	+90s caller 1 hangup
type simAction struct {
	At     time.Duration
	Line   int    // in the script, for messages
	Agent  string // an agent action's agent ID
	Caller int    // a caller action's caller, from 1
	Verb   string // agent: login, ready, not_ready, logout; caller: digits, hangup
	Arg    string // not_ready and logout: the reason; digits: the keys
}

func (a simAction) String() string { return "+" + a.At.String() + " " + a.what() }

// what is the action without its time: "agent 1001 logout".
func (a simAction) what() string {
	who := "agent " + a.Agent
	if a.Caller > 0 {
		who = "caller " + strconv.Itoa(a.Caller)
	}
	return strings.TrimSpace(fmt.Sprintf("%s %s %s", who, a.Verb, a.Arg))
}

// parseSimScript reads a --script: one action a line, blank lines and
// lines starting with # ignored. Times are offsets from the start of the
// simulation; actions are returned in time order (file order at equal
// times). callers is how many callers the run has.
func parseSimScript(r io.Reader, callers int) ([]simAction, error) {
	var out []simAction
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		a, err := parseSimAction(line, callers)
		if err != nil {
			return nil, fmt.Errorf("line %d %q: %w", n, line, err)
		}
		a.Line = n
		out = append(out, a)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].At < out[j].At })
	return out, nil
}

func parseSimAction(line string, callers int) (simAction, error) {
	f := strings.Fields(line)
	if len(f) < 4 {
		return simAction{}, fmt.Errorf("want +TIME agent ID ACTION or +TIME caller N ACTION")
	}
	var a simAction
	at, ok := strings.CutPrefix(f[0], "+")
	d, err := time.ParseDuration(at)
	if !ok || err != nil || d < 0 {
		return a, fmt.Errorf("time %q: want an offset from the start like +30s", f[0])
	}
	a.At, a.Verb = d, f[3]
	args := f[4:]
	switch f[1] {
	case "agent":
		a.Agent = f[2]
		switch a.Verb {
		case "login", "ready":
			if len(args) > 0 {
				return a, fmt.Errorf("%s takes no argument", a.Verb)
			}
		case "not_ready", "logout":
			if len(args) > 1 {
				return a, fmt.Errorf("%s takes one reason", a.Verb)
			}
			a.Arg = strings.Join(args, "")
		default:
			return a, fmt.Errorf("agent action %q: want login, ready, not_ready [REASON] or logout [REASON]", a.Verb)
		}
	case "caller":
		n, err := strconv.Atoi(f[2])
		if err != nil || n < 1 || n > callers {
			return a, fmt.Errorf("caller %q: want a number from 1 to %d (--callers, --caller)", f[2], callers)
		}
		a.Caller = n
		switch a.Verb {
		case "digits":
			if len(args) != 1 {
				return a, fmt.Errorf("digits takes the keys, like 1#")
			}
			for _, c := range args[0] {
				if !strings.ContainsRune("0123456789*#ABCD", c) {
					return a, fmt.Errorf("%q is not a DTMF key", c)
				}
			}
			a.Arg = args[0]
		case "hangup":
			if len(args) > 0 {
				return a, fmt.Errorf("hangup takes no argument")
			}
		default:
			return a, fmt.Errorf("caller action %q: want digits KEYS or hangup", a.Verb)
		}
	default:
		return a, fmt.Errorf("%q: want agent or caller", f[1])
	}
	return a, nil
}
