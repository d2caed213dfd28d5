package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"sync"
	"time"

	"github.com/switchboard-cc/switchboard/events"
	"github.com/switchboard-cc/switchboard/ivr"
	"github.com/switchboard-cc/switchboard/ivr/scripted"
)

// simPrinter prints the callers' steps, the events and the script's
// actions, in order, as text or as one JSON object per line. With more
// than one caller, each caller's lines are labelled with its number.
type simPrinter struct {
	mu        sync.Mutex
	w         io.Writer
	json      bool
	start     time.Time
	label     bool                // several callers: say whose line it is
	callers   map[string]int      // call ID -> caller number
	connected map[string][]string // call ID -> agents who took the call
}

type simLine struct {
	At      time.Time     `json:"at"`
	Elapsed string        `json:"elapsed"`
	Caller  int           `json:"caller,omitempty"` // from 1; 0: not a caller's line (agents, the script)
	Kind    string        `json:"kind"`             // "call", "event", "script" or "outcome"
	Op      string        `json:"op,omitempty"`
	Detail  string        `json:"detail,omitempty"`
	Event   *events.Event `json:"event,omitempty"`
	Outcome *simOutcome   `json:"outcome,omitempty"`
}

type simOutcome struct {
	Result   string   `json:"result"`
	Reason   string   `json:"reason"`
	By       string   `json:"by,omitempty"`
	Flow     string   `json:"flow"`
	LastNode string   `json:"last_node"`
	Steps    int      `json:"steps"`
	Agents   []string `json:"agents,omitempty"`
}

func newSimPrinter(w io.Writer, asJSON bool, start time.Time, callers []simCaller) *simPrinter {
	p := &simPrinter{w: w, json: asJSON, start: start, label: len(callers) > 1,
		callers: map[string]int{}, connected: map[string][]string{}}
	for _, c := range callers {
		p.callers[c.id()] = c.n
	}
	return p
}

func (p *simPrinter) print(l simLine) {
	p.mu.Lock()
	defer p.mu.Unlock()
	l.Elapsed = l.At.Sub(p.start).Round(time.Millisecond).String()
	if p.json {
		b, _ := json.Marshal(l)
		fmt.Fprintf(p.w, "%s\n", b)
		return
	}
	stamp := fmt.Sprintf("%8s  ", "+"+l.Elapsed)
	if p.label {
		who := ""
		if l.Caller > 0 {
			who = "caller " + strconv.Itoa(l.Caller)
		}
		stamp += fmt.Sprintf("%-9s ", who)
	}
	switch l.Kind {
	case "call":
		fmt.Fprintf(p.w, "%s%-9s %s\n", stamp, l.Op, l.Detail)
	case "event":
		fmt.Fprintf(p.w, "%s· %s\n", stamp, scripted.Line(*l.Event))
	case "script":
		fmt.Fprintf(p.w, "%s» %s\n", stamp, l.Detail)
	}
}

// stepper is the OnStep of caller n's fake call.
func (p *simPrinter) stepper(n int) func(scripted.Entry) {
	return func(e scripted.Entry) {
		p.print(simLine{At: e.At, Caller: n, Kind: "call", Op: e.Op, Detail: e.Detail})
	}
}

// scripted prints what the --script did (or could not do) at now.
func (p *simPrinter) scripted(now time.Time, a simAction, err error) {
	detail := a.what()
	if err != nil {
		detail += ": " + err.Error()
	}
	p.print(simLine{At: now, Caller: a.Caller, Kind: "script", Detail: detail})
}

// Emit makes the printer the simulation's event sink.
func (p *simPrinter) Emit(_ context.Context, e events.Event) {
	p.mu.Lock()
	n := p.callers[e.CallID]
	if e.Type == events.QueueConnect && e.Agent != "" {
		p.connected[e.CallID] = append(p.connected[e.CallID], e.Agent)
	}
	p.mu.Unlock()
	p.print(simLine{At: e.Time, Caller: n, Kind: "event", Event: &e})
}

// outcome prints how caller c's call ended, at now.
func (p *simPrinter) outcome(c simCaller, o ivr.Outcome, now time.Time) {
	p.mu.Lock()
	agents := append([]string(nil), p.connected[c.id()]...)
	p.mu.Unlock()
	so := &simOutcome{Result: string(o.Result), Reason: o.Reason, By: o.By, Flow: o.Flow, LastNode: o.LastNode, Steps: o.Steps, Agents: agents}
	if p.json {
		p.print(simLine{At: now, Caller: c.n, Kind: "outcome", Outcome: so})
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	who := ""
	if p.label {
		who = fmt.Sprintf("caller %d (%s) ", c.n, c.from)
	}
	fmt.Fprintf(p.w, "\n%soutcome: %s (%s) in flow %s at node %q after %d steps, %s of virtual time\n",
		who, o.Result, o.Reason, o.Flow, o.LastNode, o.Steps, now.Sub(p.start).Round(time.Millisecond))
	for _, a := range agents {
		fmt.Fprintf(p.w, "%sagent %s took the call\n", who, a)
	}
	if len(agents) == 0 {
		fmt.Fprintf(p.w, "%sno agent took the call\n", who)
	}
}
