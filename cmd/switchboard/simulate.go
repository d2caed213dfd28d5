package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/switchboard-cc/switchboard/flows"
	"github.com/switchboard-cc/switchboard/internal/clock"
	"github.com/switchboard-cc/switchboard/ivr"
	"github.com/switchboard-cc/switchboard/ivr/scripted"
	"github.com/switchboard-cc/switchboard/routing"
)

// simQuiet is how long the simulated world must be still before the virtual
// clock jumps to the next timer: long enough for every goroutine woken by
// the last jump to run and block again.
const simQuiet = 3 * time.Millisecond

// simQuietShared is simQuiet when several timelines share the clock
// (callers, a --script): a goroutine that has not reached the clock again
// within the quiet period lets time jump past it to another timeline's
// timer, which reorders the story. Alone, a late goroutine only delays a
// jump nobody else is waiting for. A longer stillness makes that unlikely
// on a loaded machine, at the cost of about a second a simulated call.
const simQuietShared = 20 * time.Millisecond

// simulateUsage is simulate's -h: the synopsis, then how callers, agents
// and the timed script are written.
const simulateUsage = `simulate --flow NAME [--at TIME] [--from NUM] [--digits SCRIPT] [--agents SPEC]
                   [--callers N [--every D] | --caller SPEC...] [--script FILE] [--lookup JSON] [--talk D] [--json]

Runs a flow with the real engine and ACD on a virtual clock (a 3-minute
queue wait takes no time) and prints every step and event.

  --digits   what the caller presses, one comma-separated group per menu,
             input or record: "1,1,12345678#"; empty group = silence,
             3s+42 = wait 3s then press 4 2, !1 = press 1 during the next
             prompt, h = hang up. Without --digits (one caller, no
             --script) you type the keys.
  --from     the caller's number, as a flow's switch or lookup sees it.
  --lookup   answer every lookup node with this JSON object instead of
             calling its URL: '{"status":"active","outage":{"eta":"4"}}'
             gives status.status and status.outage.eta (result: status).
  --talk     how long a connected agent talks before the call ends.
  --agents   "1001:ready:answer=8s,1002:logged_out,1003:not_ready(lunch):noanswer"
  --callers N  N callers, --every apart (default 1s), each with --from,
             --to and --digits; or one --caller per caller:
             --caller "from=+8613800138001 digits=1,2" --caller "at=5s digits=1,1,12345678#"
             (keys from, to, digits, at). Lines are labelled caller 1, 2...
  --script FILE  timed actions, one a line, at offsets from the start:
             +0s  agent 1002 ready
             +30s agent 1001 logout
             +5s  caller 2 digits 1#
             +90s caller 1 hangup
             agent actions: login, ready, not_ready [REASON], logout [REASON].`

func runSimulate(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("simulate", simulateUsage)
	var (
		configPath = fs.String("config", defaultConfigPath(), "config file (default: configs/switchboard.yaml if present, else the embedded defaults)")
		flowName   = fs.String("flow", "", "flow to run (required)")
		at         = fs.String("at", "", "virtual start time, RFC 3339 (default: now)")
		from       = fs.String("from", "+8613800138000", "caller's number (what a switch on {{caller}} or a lookup sees)")
		to         = fs.String("to", "", "dialed number (default: the flow's first number)")
		digits     = fs.String("digits", "", "what the caller presses, one comma-separated group per prompt or input: \"1,1,12345678#\"; empty group = silence, h = hang up, !1 = barge in (default: ask interactively)")
		agentsSpec = fs.String("agents", "", "agents' states and behaviour: \"1001:ready:answer=8s,1002:logged_out,1003:ready:noanswer\" (default: the roster's states; ready agents answer after 3s)")
		talk       = fs.Duration("talk", time.Minute, "how long a connected agent talks before the call ends")
		lookupJSON = fs.String("lookup", "", "answer every lookup node with this JSON object instead of calling its URL, e.g. '{\"status\":\"active\"}'")
		count      = fs.Int("callers", 1, "how many callers, each with --from, --to and --digits, --every apart")
		every      = fs.Duration("every", time.Second, "with --callers: time between two callers dialing")
		scriptPath = fs.String("script", "", "file of timed agent and caller actions (+30s agent 1001 logout; see -h)")
		asJSON     = fs.Bool("json", false, "print one JSON object per step")
	)
	var specs []string
	fs.Func("caller", "one caller, repeatable: \"from=NUM to=NUM digits=SCRIPT at=5s\" (default: --callers of them)", func(v string) error {
		specs = append(specs, v)
		return nil
	})
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
	callers, err := simCallers(specs, *count, *every, callerDefaults{from: *from, to: *to, digits: *digits})
	if err != nil {
		return err
	}
	var actions []simAction
	if *scriptPath != "" {
		f, err := os.Open(*scriptPath)
		if err != nil {
			return fmt.Errorf("%w: --script: %v", errUsage, err)
		}
		actions, err = parseSimScript(f, len(callers))
		f.Close()
		if err != nil {
			return fmt.Errorf("%w: --script %s: %v", errUsage, *scriptPath, err)
		}
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
	for i := range callers {
		if callers[i].to == "" && len(flow.Numbers) > 0 {
			callers[i].to = flow.Numbers[0]
		}
		if cat.ByNumber[callers[i].to] != flow {
			return fmt.Errorf("%w: number %q does not start flow %q", errUsage, callers[i].to, flow.Name)
		}
	}

	vclock := clock.NewVirtual(start)
	out := newSimPrinter(m.Stdout, *asJSON, start, callers)
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

	run := &simRun{clock: vclock, start: start, acd: acd, out: out, callers: callers, agents: agents}
	if !digitsGiven && len(callers) == 1 && len(specs) == 0 && len(actions) == 0 {
		in := bufio.NewReader(m.Stdin)
		run.interactive = func(fake *scripted.Call) ivr.Call {
			return &interactiveCall{Call: fake, in: in, out: m.Stderr}
		}
	}
	run.play(ctx, engine, actions)
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

// applyAgentSpec sets the roster's presence from --agents and returns each
// agent's scripted behaviour on the fake phone.
func applyAgentSpec(ctx context.Context, acd *routing.ACD, cfg *Config, spec string, talk time.Duration) (map[string]scripted.Agent, error) {
	behaviour := map[string]scripted.Agent{}
	for _, a := range cfg.Agents {
		behaviour[a.ID] = scripted.Agent{Behavior: scripted.Answers, AnswerAfter: 3 * time.Second, Talk: talk}
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
				b = scripted.Agent{Behavior: scripted.Answers, AnswerAfter: d, Talk: talk}
			case beh == "noanswer":
				b.Behavior = scripted.NoAnswer
			case beh == "busy":
				b.Behavior = scripted.Busy
			case beh == "decline":
				b.Behavior = scripted.Declines
			case beh == "unreachable":
				b.Behavior = scripted.Unreachable
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
