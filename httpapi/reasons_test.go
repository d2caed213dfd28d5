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
