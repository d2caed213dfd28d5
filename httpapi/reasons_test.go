package httpapi

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestNotReadyReasonsOfferedOnceAndNoSystemCodes: the reasons the wallboard
// offers repeat none and hold no code only the system may set, and the API
// refuses an agent or supervisor choosing such a code.
func TestNotReadyReasonsOfferedOnceAndNoSystemCodes(t *testing.T) {
	e := newEnv(t, func(c *Config, _ *Deps) {
		// As serve builds them: the ACD's built-in codes, then the config's.
		c.NotReadyReasons = []string{"login", "no_answer", "break", "lunch", "break", "coaching", "phone_unavailable"}
		c.SystemNotReadyReasons = []string{"login", "no_answer", "phone_unavailable"}
	})
	var cfg boardConfig
	if err := json.Unmarshal([]byte(nextEvent(t, openStream(t, e), "config").data), &cfg); err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(cfg.NotReadyReasons, ","), "break,lunch,coaching"; got != want {
		t.Errorf("offered reasons = %s; want %s (each once, no system codes)", got, want)
	}

	if res := e.post("/api/agents/1002/not-ready", `{"reason":"break"}`); res.status != 200 {
		t.Fatalf("not-ready break = %d %s", res.status, res.body)
	}
	for _, body := range []string{`{"reason":"no_answer"}`, `{"by":"sup-ana","reason":"phone_unavailable"}`, `{"reason":"login"}`} {
		res := e.post("/api/agents/1002/not-ready", body)
		if res.status != 400 || !strings.Contains(res.errorText(t), "set by the system only") {
			t.Errorf("not-ready %s = %d %s; want 400 set by the system only", body, res.status, res.body)
		}
	}
	if log := strings.Join(e.center.actions(), "|"); strings.Contains(log, "no_answer") || strings.Contains(log, "phone_unavailable") {
		t.Errorf("the ACD was asked for a system code: %s", log)
	}
}

// TestAgentActionCannotClaimToBeTheSystem: "by" names who asked, and lands
// in the agent.state event. The names the system itself writes there (the
// ACD's "system", the registrar's device gate, the cluster) used to be
// accepted from the API, so a token holder could make a change look like
// the system's in the log; now they are a 400, in any letter case.
func TestAgentActionCannotClaimToBeTheSystem(t *testing.T) {
	e := newEnv(t)
	for _, body := range []string{`{"by":"system","reason":"break"}`, `{"by":"Registrar","reason":"break"}`, `{"by":"cluster","reason":"break"}`} {
		res := e.post("/api/agents/1002/not-ready", body)
		if res.status != 400 || !strings.Contains(res.errorText(t), "the system's own") {
			t.Errorf("not-ready %s = %d %s; want 400 naming the system's own name", body, res.status, res.body)
		}
	}
	if res := e.post("/api/agents/1001/logout", `{"by":"system","reason":"end of shift"}`); res.status != 400 {
		t.Errorf("logout by system = %d %s; want 400", res.status, res.body)
	}
	if got := e.center.actions(); len(got) != 0 {
		t.Errorf("the ACD was asked %q", got)
	}
	if res := e.post("/api/agents/1002/not-ready", `{"by":"sup-ana","reason":"break"}`); res.status != 200 {
		t.Errorf("not-ready by sup-ana = %d %s; want 200", res.status, res.body)
	}
}

// TestDefaultSystemReasonsIncludePhoneUnavailable: a host that gives no
// SystemNotReadyReasons still refuses every code the system sets,
// including the registrar's phone_unavailable (routing's device gate
// readies an agent parked with it when the phone comes back, so an agent
// choosing it would be made ready without asking).
func TestDefaultSystemReasonsIncludePhoneUnavailable(t *testing.T) {
	e := newEnv(t) // no SystemNotReadyReasons
	for _, reason := range []string{"login", "no_answer", "phone_unavailable"} {
		res := e.post("/api/agents/1002/not-ready", `{"reason":"`+reason+`"}`)
		if res.status != 400 || !strings.Contains(res.errorText(t), "set by the system only") {
			t.Errorf("not-ready %s with the default config = %d %s; want 400 set by the system only", reason, res.status, res.body)
		}
	}
}
