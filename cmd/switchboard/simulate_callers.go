package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/switchboard-cc/switchboard/ivr/scripted"
)

// simCaller is one caller of a simulation.
type simCaller struct {
	n        int // from 1, in the order given
	from, to string
	at       time.Duration // when the caller dials, after the start
	digits   string        // as given, for messages
	script   []scripted.Step
}

// id is the caller's call ID, as in the events: sim-1, sim-2...
func (c simCaller) id() string { return "sim-" + strconv.Itoa(c.n) }

// callerDefaults are --from, --to and --digits: what a caller does unless
// its --caller spec says otherwise.
type callerDefaults struct {
	from, to, digits string
}

// simCallers are the run's callers: one per --caller spec, else --callers
// of them, every apart, all with the defaults.
func simCallers(specs []string, count int, every time.Duration, def callerDefaults) ([]simCaller, error) {
	if len(specs) > 0 && count > 1 {
		return nil, fmt.Errorf("%w: --callers and --caller: give one or the other", errUsage)
	}
	if count < 1 {
		return nil, fmt.Errorf("%w: --callers %d: want at least 1", errUsage, count)
	}
	if every < 0 {
		return nil, fmt.Errorf("%w: --every %s: want a positive duration", errUsage, every)
	}
	var out []simCaller
	if len(specs) == 0 {
		for i := range count {
			out = append(out, simCaller{n: i + 1, from: def.from, to: def.to, digits: def.digits, at: time.Duration(i) * every})
		}
	}
	for i, spec := range specs {
		c, err := parseCallerSpec(spec, def)
		if err != nil {
			return nil, fmt.Errorf("%w: --caller %q: %v", errUsage, spec, err)
		}
		c.n = i + 1
		out = append(out, c)
	}
	for i := range out {
		steps, err := scripted.ParseScript(out[i].digits)
		if err != nil {
			return nil, fmt.Errorf("%w: caller %d digits: %v", errUsage, out[i].n, err)
		}
		out[i].script = steps
	}
	return out, nil
}

// parseCallerSpec reads one --caller: space-separated KEY=VALUE pairs,
// from=NUMBER, to=NUMBER, digits=SCRIPT (as --digits) and at=DURATION
// (when the caller dials, after the start):
//
//	--caller "from=+8613800138001 digits=1,2" --caller "at=5s digits=1,1,12345678#"
func parseCallerSpec(spec string, def callerDefaults) (simCaller, error) {
	c := simCaller{from: def.from, to: def.to, digits: def.digits}
	for _, kv := range strings.Fields(spec) {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return c, fmt.Errorf("%q: want KEY=VALUE (from, to, digits, at)", kv)
		}
		switch k {
		case "from":
			c.from = v
		case "to":
			c.to = v
		case "digits":
			c.digits = v
		case "at":
			d, err := time.ParseDuration(strings.TrimPrefix(v, "+"))
			if err != nil || d < 0 {
				return c, fmt.Errorf("at=%q: want a duration after the start like 5s", v)
			}
			c.at = d
		default:
			return c, fmt.Errorf("%q: unknown key %q (want from, to, digits or at)", kv, k)
		}
	}
	return c, nil
}
