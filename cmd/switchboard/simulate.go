package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/switchboard-cc/switchboard/events"
	"github.com/switchboard-cc/switchboard/flows"
	"github.com/switchboard-cc/switchboard/internal/clock"
	"github.com/switchboard-cc/switchboard/ivr"
	"github.com/switchboard-cc/switchboard/ivr/ivrtest"
	"github.com/switchboard-cc/switchboard/routing"
)

// simQuiet is how long the simulated world must be still before the virtual
// clock jumps to the next timer: long enough for every goroutine woken by
// the last jump to run and block again.
const simQuiet = 3 * time.Millisecond

func runSimulate(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("simulate", "simulate --flow NAME [--at TIME] [--from NUM] [--digits SCRIPT] [--agents SPEC] [--json]")
	var (
		configPath = fs.String("config", defaultConfigPath(), "config file (default: configs/switchboard.yaml if present, else the embedded defaults)")
		flowName   = fs.String("flow", "", "flow to run (required)")
		at         = fs.String("at", "", "virtual start time, RFC 3339 (default: now)")
		from       = fs.String("from", "+8613800138000", "caller's number")
		to         = fs.String("to", "", "dialed number (default: the flow's first number)")
		digits     = fs.String("digits", "", "what the caller presses, one comma-separated group per prompt or input: \"1,1,12345678#\"; empty group = silence, h = hang up, !1 = barge in (default: ask interactively)")
		agentsSpec = fs.String("agents", "", "agents' states and behaviour: \"1001:ready:answer=8s,1002:logged_out,1003:ready:noanswer\" (default: the roster's states; ready agents answer after 3s)")
		talk       = fs.Duration("talk", time.Minute, "how long a connected agent talks before the call ends")
		lookupJSON = fs.String("lookup", "", "answer every lookup node with this JSON object instead of calling its URL, e.g. '{\"status\":\"active\"}'")
		asJSON     = fs.Bool("json", false, "print one JSON object per step")
	)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *flowName == "" {
		return fmt.Errorf("%w: --flow is required", errUsage)
	}
	digitsGiven := false
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "digits" {
			digitsGiven = true
		}
	})
	start := time.Now()
	if *at != "" {
		t, err := time.Parse(time.RFC3339, *at)
		if err != nil {
			return fmt.Errorf("%w: --at %q: want RFC 3339 like 2026-11-23T10:00:00+08:00", errUsage, *at)
		}
		start = t
	}
	script, err := ivrtest.ParseScript(*digits)
	if err != nil {
		return fmt.Errorf("%w: --digits: %v", errUsage, err)
	}

	cfg, err := loadConfig(*configPath)
	if err != nil {
		return err
	}
	env, err := cfg.flowEnv()
	if err != nil {
		return err
	}
	cat, err := flows.LoadDir(ctx, cfg.fsys, cfg.Flows, env)
	if err != nil {
		return err
	}
	flow := cat.Flows[*flowName]
	if flow == nil {
		return fmt.Errorf("%w: no flow %q (have: %s)", errUsage, *flowName, strings.Join(flowNames(cat), ", "))
	}
	dialed := *to
	if dialed == "" && len(flow.Numbers) > 0 {
		dialed = flow.Numbers[0]
	}
	if cat.ByNumber[dialed] != flow {
		return fmt.Errorf("%w: number %q does not start flow %q", errUsage, dialed, flow.Name)
	}

	vclock := clock.NewVirtual(start)
	out := &simPrinter{w: m.Stdout, json: *asJSON, start: start}
	acd, err := newACD(cfg, env, vclock, out)
	if err != nil {
		return err
	}
	agents, err := applyAgentSpec(ctx, acd, cfg, *agentsSpec, *talk)
	if err != nil {
		return err
	}
	var lk ivr.Lookuper = httpLookuper(cfg.Lookup)
	if *lookupJSON != "" {
		lk, err = staticLookup(*lookupJSON)
		if err != nil {
			return fmt.Errorf("%w: --lookup: %v", errUsage, err)
		}
	}
	recDir, err := os.MkdirTemp("", "switchboard-simulate-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(recDir)
	engine, err := ivr.New(ivr.Config{MaxSteps: cfg.Engine.MaxSteps, RecordingsDir: recDir}, ivr.Deps{
		Catalog:  func() *flows.Catalog { return cat },
		Clock:    vclock,
		Events:   out,
		Router:   acdRouter{acd},
		Lookuper: lk,
		Prompts:  env.Prompts,
	})
	if err != nil {
		return err
	}

	fake := ivrtest.NewCall(ivrtest.Config{
		ID: "sim-1", From: *from, To: dialed, Clock: vclock,
		Script: script, Agents: agents, OnStep: out.step,
	})
	var call ivr.Call = fake
	if !digitsGiven {
		call = &interactiveCall{Call: fake, in: bufio.NewReader(m.Stdin), out: m.Stderr}
	}

	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	go vclock.AutoAdvance(runCtx, simQuiet)
	outcome := engine.Run(runCtx, call)
	out.outcome(outcome, vclock.Now())
	return nil
}

func flowNames(cat *flows.Catalog) []string {
	names := make([]string, 0, len(cat.Flows))
	for n := range cat.Flows {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// simPrinter prints the call's steps and the events, in order, as text or
// as one JSON object per line.
type simPrinter struct {
	mu        sync.Mutex
	w         io.Writer
	json      bool
	start     time.Time
	connected []string // agents who took the call
}

type simLine struct {
	At      time.Time     `json:"at"`
	Elapsed string        `json:"elapsed"`
	Kind    string        `json:"kind"` // "call", "event" or "outcome"
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

func (p *simPrinter) print(l simLine) {
	p.mu.Lock()
	defer p.mu.Unlock()
	l.Elapsed = l.At.Sub(p.start).Round(time.Millisecond).String()
	if p.json {
		b, _ := json.Marshal(l)
		fmt.Fprintf(p.w, "%s\n", b)
		return
	}
	stamp := fmt.Sprintf("%8s", "+"+l.Elapsed)
	switch l.Kind {
	case "call":
		fmt.Fprintf(p.w, "%s  %-9s %s\n", stamp, l.Op, l.Detail)
	case "event":
		fmt.Fprintf(p.w, "%s  · %s\n", stamp, ivrtest.Line(*l.Event))
	}
}

func (p *simPrinter) step(e ivrtest.Entry) {
	p.print(simLine{At: e.At, Kind: "call", Op: e.Op, Detail: e.Detail})
}

// Emit makes the printer the simulation's event sink.
func (p *simPrinter) Emit(_ context.Context, e events.Event) {
	if e.Type == events.QueueConnect && e.Agent != "" {
		p.mu.Lock()
		p.connected = append(p.connected, e.Agent)
		p.mu.Unlock()
	}
	p.print(simLine{At: e.Time, Kind: "event", Event: &e})
}

func (p *simPrinter) outcome(o ivr.Outcome, now time.Time) {
	p.mu.Lock()
	agents := append([]string(nil), p.connected...)
	p.mu.Unlock()
	so := &simOutcome{Result: string(o.Result), Reason: o.Reason, By: o.By, Flow: o.Flow, LastNode: o.LastNode, Steps: o.Steps, Agents: agents}
	if p.json {
		p.print(simLine{At: now, Kind: "outcome", Outcome: so})
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.w, "\noutcome: %s (%s) in flow %s at node %q after %d steps, %s of virtual time\n",
		o.Result, o.Reason, o.Flow, o.LastNode, o.Steps, now.Sub(p.start).Round(time.Millisecond))
	for _, a := range agents {
		fmt.Fprintf(p.w, "agent %s took the call\n", a)
	}
	if len(agents) == 0 {
		fmt.Fprintln(p.w, "no agent took the call")
	}
}

// applyAgentSpec sets the roster's presence from --agents and returns each
// agent's scripted behaviour on the fake phone.
func applyAgentSpec(ctx context.Context, acd *routing.ACD, cfg *Config, spec string, talk time.Duration) (map[string]ivrtest.Agent, error) {
	behaviour := map[string]ivrtest.Agent{}
	for _, a := range cfg.Agents {
		behaviour[a.ID] = ivrtest.Agent{Behavior: ivrtest.Answers, AnswerAfter: 3 * time.Second, Talk: talk}
	}
	if strings.TrimSpace(spec) == "" {
		return behaviour, nil
	}
	for _, item := range strings.Split(spec, ",") {
		parts := strings.Split(strings.TrimSpace(item), ":")
		if len(parts) < 2 || len(parts) > 3 {
			return nil, fmt.Errorf("%w: --agents %q: want ID:STATE[:answer=DURATION|:noanswer|:busy|:decline|:unreachable]", errUsage, item)
		}
		id, state := parts[0], parts[1]
		if _, ok := behaviour[id]; !ok {
			return nil, fmt.Errorf("%w: --agents: no agent %q in the roster of %s", errUsage, id, cfg.source)
		}
		reason := ""
		if i := strings.Index(state, "("); i > 0 && strings.HasSuffix(state, ")") {
			state, reason = state[:i], state[i+1:len(state)-1]
		}
		var err error
		switch state {
		case "ready":
			if err = loginIfOut(ctx, acd, id); err == nil {
				err = acd.Ready(ctx, id, "simulate")
			}
		case "not_ready":
			if reason == "" {
				reason = "break"
			}
			if err = loginIfOut(ctx, acd, id); err == nil {
				err = acd.NotReady(ctx, id, "simulate", reason)
			}
		case "logged_out":
			if a, aerr := acd.Agent(id); aerr == nil && a.Presence != routing.LoggedOut {
				err = acd.Logout(ctx, id, "simulate", "simulate")
			}
		default:
			return nil, fmt.Errorf("%w: --agents %q: state %q is not ready, not_ready or logged_out", errUsage, item, state)
		}
		if err != nil {
			return nil, fmt.Errorf("--agents %q: %w", item, err)
		}
		b := behaviour[id]
		if len(parts) == 3 {
			switch beh := parts[2]; {
			case strings.HasPrefix(beh, "answer="):
				d, err := time.ParseDuration(strings.TrimPrefix(beh, "answer="))
				if err != nil {
					return nil, fmt.Errorf("%w: --agents %q: %v", errUsage, item, err)
				}
				b = ivrtest.Agent{Behavior: ivrtest.Answers, AnswerAfter: d, Talk: talk}
			case beh == "noanswer":
				b.Behavior = ivrtest.NoAnswer
			case beh == "busy":
				b.Behavior = ivrtest.Busy
			case beh == "decline":
				b.Behavior = ivrtest.Declines
			case beh == "unreachable":
				b.Behavior = ivrtest.Unreachable
			default:
				return nil, fmt.Errorf("%w: --agents %q: behaviour %q is not answer=DURATION, noanswer, busy, decline or unreachable", errUsage, item, beh)
			}
		}
		behaviour[id] = b
	}
	return behaviour, nil
}

// loginIfOut logs the agent in unless the roster already started them in.
func loginIfOut(ctx context.Context, acd *routing.ACD, id string) error {
	a, err := acd.Agent(id)
	if err != nil {
		return err
	}
	if a.Presence != routing.LoggedOut {
		return nil
	}
	return acd.Login(ctx, id, "simulate")
}
