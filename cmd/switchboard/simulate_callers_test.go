package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func writeScript(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "script.txt")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// outcomes are the outcome lines by caller.
func outcomes(t *testing.T, lines []simLine) map[int]*simOutcome {
	t.Helper()
	out := map[int]*simOutcome{}
	for _, l := range lines {
		if l.Outcome != nil {
			if out[l.Caller] != nil {
				t.Errorf("caller %d has two outcomes", l.Caller)
			}
			out[l.Caller] = l.Outcome
		}
	}
	return out
}

// TestSimulatePriorityAcrossCallers: one agent with billing and outage
// skills comes ready at 60s; the outage caller (priority 5), who called
// later, gets them before the billing caller (priority 0). Every line of a
// caller is labelled with it.
func TestSimulatePriorityAcrossCallers(t *testing.T) {
	script := writeScript(t, "# the only agent comes back from a break\n+60s agent 1003 ready\n")
	lines := simulateJSON(t, "--flow", "heating-hotline", "--at", "2026-11-23T10:00:00+08:00",
		"--agents", "1003:not_ready", "--talk", "30s", "--script", script,
		"--caller", "digits=1,1,12345678#", "--caller", "at=1s from=+8613900000002 digits=1,2")
	var connects []string
	var ready *simLine
	for i, l := range lines {
		if e := l.Event; e != nil {
			if e.CallID != "" && l.Caller != map[string]int{"sim-1": 1, "sim-2": 2}[e.CallID] {
				t.Errorf("event of %s labelled caller %d", e.CallID, l.Caller)
			}
			if e.Type == "queue.connect" {
				connects = append(connects, e.CallID+"/"+e.Agent)
			}
		}
		if l.Kind == "script" {
			ready = &lines[i]
		}
		if l.Kind == "call" && l.Caller == 0 {
			t.Errorf("call step without a caller: %+v", l)
		}
	}
	if got := strings.Join(connects, ","); got != "sim-2/1003,sim-1/1003" {
		t.Errorf("connects %s; want the priority-5 outage caller first: sim-2/1003,sim-1/1003", got)
		dumpSim(t, lines)
	}
	if ready == nil || ready.Detail != "agent 1003 ready" || ready.At.Sub(lines[0].At) != 60*time.Second {
		t.Errorf("script line %+v; want agent 1003 ready at +60s", ready)
	}
	oc := outcomes(t, lines)
	for n := 1; n <= 2; n++ {
		if oc[n] == nil || oc[n].Result != "completed" || strings.Join(oc[n].Agents, ",") != "1003" {
			t.Errorf("caller %d outcome %+v; want completed with agent 1003", n, oc[n])
		}
	}
}

// TestSimulateLogoutWhileRinging: the only agent logs out while the
// caller's offer rings; the queue closes and the caller goes on to
// after-hours self-service, and no agent took the call.
func TestSimulateLogoutWhileRinging(t *testing.T) {
	script := writeScript(t, "+6s agent 1003 logout\n")
	lines := simulateJSON(t, "--flow", "heating-hotline", "--at", "2026-11-23T10:00:00+08:00",
		"--agents", "1003:ready:answer=10s", "--digits", "1,2,h", "--script", script)
	var offered, loggedOut, closed bool
	for _, l := range lines {
		e := l.Event
		switch {
		case e == nil:
		case e.Type == "agent.offer":
			offered = true
		case e.Type == "agent.state" && e.Data["state"] == "logout":
			loggedOut = offered
		case e.Type == "queue.closed":
			closed = loggedOut
		case e.Type == "queue.connect":
			t.Errorf("the call connected (%s) though the agent logged out while it rang", e.Agent)
		}
	}
	if !offered || !loggedOut || !closed {
		dumpSim(t, lines)
		t.Errorf("offered %v, then logged out %v, then queue closed %v; want all three in order", offered, loggedOut, closed)
	}
	if nodes := nodesVisited(lines); !contains(nodes, "after_hours") {
		t.Errorf("path %v; want after_hours once the queue closed", nodes)
	}
	if oc := outcomes(t, lines)[1]; oc == nil || len(oc.Agents) != 0 {
		t.Errorf("outcome %+v; want one, with no agent", oc)
	}
}

// TestSimulateTimedCallerDigits: keys a script presses at a time reach the
// menu waiting then, and pressing for a caller who has not dialed yet is
// reported, not done.
func TestSimulateTimedCallerDigits(t *testing.T) {
	script := writeScript(t, "+2s caller 1 digits 2\n+2s caller 2 digits 9\n+6s caller 1 hangup\n")
	lines := simulateJSON(t, "--flow", "heating-hotline", "--at", "2026-11-23T23:30:00+08:00",
		"--caller", "digits=", "--caller", "at=1m digits=h", "--script", script)
	nodes := nodesVisited(lines)
	if !contains(nodes, "set_en") {
		t.Errorf("path %v; want set_en from the 2 pressed at +2s", nodes)
	}
	var refused, hungUp bool
	for _, l := range lines {
		if l.Kind == "script" && l.Caller == 2 && strings.Contains(l.Detail, "not on the line") {
			refused = true
		}
		if l.Kind == "call" && l.Caller == 1 && l.Op == "caller_hangup" && l.At.Sub(lines[0].At) == 6*time.Second {
			hungUp = true
		}
	}
	if !refused {
		t.Error("digits for caller 2 before they dialed were not reported as refused")
	}
	if !hungUp {
		t.Error("caller 1 did not hang up at +6s")
	}
	if oc := outcomes(t, lines); oc[1] == nil || oc[1].By != "caller" || oc[2] == nil {
		t.Errorf("outcomes %+v; want caller 1 ended by the caller, and caller 2's", oc)
	}
}

// TestSimulateCallers: --callers N dials N alike callers --every apart.
func TestSimulateCallers(t *testing.T) {
	lines := simulateJSON(t, "--flow", "heating-hotline", "--at", "2026-11-23T23:30:00+08:00",
		"--callers", "3", "--every", "2s", "--digits", "h")
	starts := map[int]time.Duration{}
	for _, l := range lines {
		if l.Event != nil && l.Event.Type == "call.start" {
			starts[l.Caller] = l.At.Sub(lines[0].At)
		}
	}
	want := map[int]time.Duration{1: 0, 2: 2 * time.Second, 3: 4 * time.Second}
	for n, at := range want {
		if got, ok := starts[n]; !ok || got != at {
			t.Errorf("caller %d started at %v (%v); want %v", n, got, ok, at)
		}
	}
	if oc := outcomes(t, lines); len(oc) != 3 {
		t.Errorf("%d outcomes; want 3", len(oc))
	}
}

// TestSimulateHelpNamesTheFlags: -h explains the designer's flags.
func TestSimulateHelpNamesTheFlags(t *testing.T) {
	_, _, errs := runMainInput(t, "", "simulate", "-h")
	for _, want := range []string{"--from", "--lookup", "--talk", "--callers", "--caller", "--script", "agent 1001 logout", "caller 2 digits"} {
		if !strings.Contains(errs, want) {
			t.Errorf("simulate -h does not mention %q:\n%s", want, errs)
		}
	}
}

func TestSimulateCallerUsageErrors(t *testing.T) {
	bad := writeScript(t, "+1s caller 2 hangup\n")
	for _, args := range [][]string{
		{"--callers", "0"},
		{"--callers", "2", "--caller", "digits=1"},
		{"--caller", "colour=blue"},
		{"--caller", "at=soon"},
		{"--caller", "digits=x"},
		{"--script", bad}, // one caller only
		{"--script", filepath.Join(t.TempDir(), "missing")},
	} {
		args = append([]string{"simulate", "--config", "../../configs/switchboard.yaml", "--flow", "heating-hotline"}, args...)
		code, _, errs := runMainInput(t, "", args...)
		if code != 2 || !strings.Contains(errs, "Try:") {
			t.Errorf("%v: exit %d, stderr %q; want 2 with a Try: hint", args, code, errs)
		}
	}
}

// dumpSim logs a simulation's lines, for a failing test.
func dumpSim(t *testing.T, lines []simLine) {
	t.Helper()
	for _, l := range lines {
		what := l.Op + " " + l.Detail
		if l.Event != nil {
			what = string(l.Event.Type) + " " + l.Event.Node + " " + l.Event.Agent
		}
		t.Logf("%8s caller %d %-7s %s", l.Elapsed, l.Caller, l.Kind, what)
	}
}

// TestSimulateFromAndLookup: --from is the caller's number the flow's
// switch on {{caller}} sees, and --lookup answers a lookup node as its URL
// would, so the prompt named after the answer plays.
func TestSimulateFromAndLookup(t *testing.T) {
	night := "2026-11-23T23:30:00+08:00"
	plays := func(lines []simLine) []string {
		var out []string
		for _, l := range lines {
			if l.Kind == "call" && l.Op == "play" {
				out = append(out, l.Detail)
			}
		}
		return out
	}
	// After hours, 3 asks for a callback: a caller with a number is offered
	// it, an anonymous one is asked to type one.
	known := nodesVisited(simulateJSON(t, "--flow", "heating-hotline", "--at", night, "--from", "+8613900000009", "--digits", "1,3,h"))
	anon := nodesVisited(simulateJSON(t, "--flow", "heating-hotline", "--at", night, "--from", "anonymous", "--digits", "1,3,h"))
	if !contains(known, "callback_use_caller") || contains(anon, "callback_use_caller") || !contains(anon, "callback_enter") {
		t.Errorf("--from +86...: %v; --from anonymous: %v; want the number used only when there is one", known, anon)
	}
	// After hours, 1 and an account number: the outage lookup.
	answered := plays(simulateJSON(t, "--flow", "heating-hotline", "--at", night, "--digits", "1,1,12345678#,h",
		"--lookup", `{"status":"planned"}`))
	if !contains(answered, "zh/outage_planned.wav") {
		t.Errorf("with --lookup status=planned played %v; want zh/outage_planned.wav", answered)
	}
	if _, _, errs := runMainInput(t, "", "simulate", "--config", "../../configs/switchboard.yaml", "--flow", "heating-hotline",
		"--digits", "1", "--lookup", "[1,2"); !strings.Contains(errs, "--lookup") {
		t.Errorf("a malformed --lookup was not refused by name: %q", errs)
	}
}

// TestSimulateTalk: --talk is how long the agent talks before the flow
// goes on after the queue.
func TestSimulateTalk(t *testing.T) {
	for _, talk := range []time.Duration{10 * time.Second, 2 * time.Minute} {
		lines := simulateJSON(t, "--flow", "heating-hotline", "--at", "2026-11-23T10:00:00+08:00",
			"--digits", "1,1,12345678#", "--agents", "1001:ready:answer=2s", "--talk", talk.String())
		var bridged, ended time.Time
		for _, l := range lines {
			if l.Kind == "call" && l.Op == "bridged" {
				bridged = l.At
			}
			if l.Kind == "call" && l.Op == "leg_end" {
				ended = l.At
			}
		}
		if bridged.IsZero() || ended.Sub(bridged) != talk {
			t.Errorf("--talk %s: bridged %v, agent leg ended %v; want %s apart", talk, bridged, ended, talk)
		}
	}
}
