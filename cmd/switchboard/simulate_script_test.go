package main

import (
	"strings"
	"testing"
	"time"
)

func TestParseSimScript(t *testing.T) {
	script := `# logout while ringing
+30s agent 1001 logout
+0s  agent 1002 ready

+5s caller 2 digits 1#
+5s caller 1 hangup
+10s agent 1003 not_ready lunch
`
	got, err := parseSimScript(strings.NewReader(script), 2)
	if err != nil {
		t.Fatal(err)
	}
	want := []simAction{
		{At: 0, Line: 3, Agent: "1002", Verb: "ready"},
		{At: 5 * time.Second, Line: 5, Caller: 2, Verb: "digits", Arg: "1#"},
		{At: 5 * time.Second, Line: 6, Caller: 1, Verb: "hangup"},
		{At: 10 * time.Second, Line: 7, Agent: "1003", Verb: "not_ready", Arg: "lunch"},
		{At: 30 * time.Second, Line: 2, Agent: "1001", Verb: "logout"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %v; want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("action %d = %+v; want %+v", i, got[i], want[i])
		}
	}
}

func TestParseSimScriptRefuses(t *testing.T) {
	for _, line := range []string{
		"30s agent 1001 logout",      // no +
		"+-1s agent 1001 ready",      // negative
		"+1s agent 1001 dance",       // unknown action
		"+1s agent 1001 ready now",   // extra argument
		"+1s caller 3 hangup",        // only 2 callers
		"+1s caller 0 hangup",        // callers count from 1
		"+1s caller 1 digits 1x",     // not DTMF
		"+1s caller 1 digits",        // no keys
		"+1s supervisor 1 ready",     // unknown who
		"+1s agent 1001",             // too short
		"+1s agent 1001 logout a b",  // two reasons
		"+1s caller 1 hangup please", // extra argument
	} {
		if _, err := parseSimScript(strings.NewReader(line), 2); err == nil || !strings.Contains(err.Error(), "line 1") {
			t.Errorf("%q: err %v; want a refusal naming line 1", line, err)
		}
	}
}
