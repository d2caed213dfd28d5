package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
)

// runMainInput runs the program in-process with stdin and returns its exit
// status and output.
func runMainInput(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	m := &Main{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb}
	code := m.Run(context.Background(), args)
	return code, out.String(), errb.String()
}

// simulateJSON runs simulate --json and decodes its lines.
func simulateJSON(t *testing.T, args ...string) []simLine {
	t.Helper()
	code, out, errs := runMainInput(t, "", append([]string{"simulate", "--config", "../../configs/switchboard.yaml", "--json"}, args...)...)
	if code != 0 {
		t.Fatalf("simulate %v exited %d: %s", args, code, errs)
	}
	var lines []simLine
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var sl simLine
		if err := json.Unmarshal([]byte(l), &sl); err != nil {
			t.Fatalf("line %q is not JSON: %v", l, err)
		}
		lines = append(lines, sl)
	}
	return lines
}

func nodesVisited(lines []simLine) []string {
	var nodes []string
	for _, l := range lines {
		if l.Event != nil && l.Event.Type == "ivr.node" {
			nodes = append(nodes, l.Event.Node)
		}
	}
	return nodes
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestSimulateHeatingHotline(t *testing.T) {
	tests := []struct {
		name      string
		args      []string
		visits    []string // nodes that must be visited
		avoids    []string // nodes that must not be
		agent     string   // agent who must take the call ("" = nobody)
		lastEvent string
	}{
		{
			name:   "after hours goes to self-service",
			args:   []string{"--at", "2026-11-23T23:30:00+08:00", "--digits", "2,2"},
			visits: []string{"check_hours", "after_hours", "voicemail"},
			avoids: []string{"main_menu", "billing"},
		},
		{
			name:   "office hours with billing digits reaches the billing queue; nobody logged in so self-service",
			args:   []string{"--at", "2026-11-23T10:00:00+08:00", "--digits", "1,1,12345678#"},
			visits: []string{"main_menu", "account", "billing", "after_hours"},
		},
		{
			name:   "a ready agent takes the billing call",
			args:   []string{"--at", "2026-11-23T10:00:00+08:00", "--digits", "1,1,12345678#", "--agents", "1001:ready:answer=5s"},
			visits: []string{"billing", "goodbye"},
			avoids: []string{"after_hours"},
			agent:  "1001",
		},
		{
			name:   "agents who never answer: timeout into self-service after max_wait",
			args:   []string{"--at", "2026-11-23T10:00:00+08:00", "--digits", "1,1,12345678#,2", "--agents", "1001:ready:noanswer,1003:ready:noanswer"},
			visits: []string{"billing", "after_hours", "voicemail"},
		},
		{
			name:   "a public holiday announces itself",
			args:   []string{"--at", "2026-10-01T10:00:00+08:00", "--digits", "2,2"},
			visits: []string{"holiday_closed", "after_hours"},
			avoids: []string{"main_menu"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			lines := simulateJSON(t, append([]string{"--flow", "heating-hotline"}, tc.args...)...)
			nodes := nodesVisited(lines)
			for _, n := range tc.visits {
				if !contains(nodes, n) {
					t.Errorf("node %s not visited; path %v", n, nodes)
				}
			}
			for _, n := range tc.avoids {
				if contains(nodes, n) {
					t.Errorf("node %s visited; path %v", n, nodes)
				}
			}
			last := lines[len(lines)-1]
			if last.Outcome == nil {
				t.Fatalf("last line is not the outcome: %+v", last)
			}
			if got := strings.Join(last.Outcome.Agents, ","); got != tc.agent {
				t.Errorf("agents who took the call = %q; want %q", got, tc.agent)
			}
		})
	}
}

func TestSimulateTimeoutWaitsMaxWaitOnVirtualTime(t *testing.T) {
	lines := simulateJSON(t, "--flow", "heating-hotline", "--at", "2026-11-23T10:00:00+08:00",
		"--digits", "1,1,12345678#,2", "--agents", "1001:ready:noanswer,1003:ready:noanswer")
	var enter, timeout *simLine
	for i := range lines {
		if e := lines[i].Event; e != nil && e.Type == "queue.enter" && enter == nil {
			enter = &lines[i]
		}
		if e := lines[i].Event; e != nil && e.Type == "queue.timeout" {
			timeout = &lines[i]
		}
	}
	if enter == nil || timeout == nil {
		t.Fatalf("queue.enter %v / queue.timeout %v missing", enter, timeout)
	}
	if waited := timeout.At.Sub(enter.At); waited.Seconds() != 180 {
		t.Errorf("waited %v in queue; want max_wait 180s", waited)
	}
}

func TestSimulateInteractive(t *testing.T) {
	code, out, errs := runMainInput(t, "2\n2\n#\n", "simulate", "--config", "../../configs/switchboard.yaml",
		"--flow", "heating-hotline", "--at", "2026-11-23T23:30:00+08:00")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.Contains(errs, "keys?") {
		t.Errorf("no prompt for keys on stderr: %q", errs)
	}
	if !strings.Contains(out, "voicemail.saved") {
		t.Errorf("interactive 2,2 after hours did not leave a voicemail:\n%s", out)
	}
}

func TestSimulateUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"simulate"},
		{"simulate", "--flow", "nope"},
		{"simulate", "--flow", "heating-hotline", "--at", "yesterday"},
		{"simulate", "--flow", "heating-hotline", "--agents", "9999:ready"},
		{"simulate", "--flow", "heating-hotline", "--agents", "1001:dancing"},
	} {
		code, _, errs := runMainInput(t, "", append([]string{args[0], "--config", "../../configs/switchboard.yaml"}, args[1:]...)...)
		if code != 2 || !strings.Contains(errs, "Try:") {
			t.Errorf("%v: exit %d, stderr %q; want 2 with a Try: hint", args, code, errs)
		}
	}
}
