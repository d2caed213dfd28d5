package httpapi

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestListAgents(t *testing.T) {
	e := newEnv(t)
	e.clock.Advance(7 * time.Second)
	res := e.do("GET", "/api/agents", "")
	if res.status != http.StatusOK {
		t.Fatalf("GET /api/agents = %d %s; want 200", res.status, res.body)
	}
	var got []agentView
	res.json(t, &got)
	var ids []string
	for _, a := range got {
		ids = append(ids, a.ID)
	}
	if strings.Join(ids, ",") != "1001,1002,1003" {
		t.Errorf("agent IDs = %v; want 1001,1002,1003 in order", ids)
	}
	if got[2].State != StateOnCall || got[2].CallID != "c-talk" {
		t.Errorf("agent 1003 = %+v; want on_call with call c-talk", got[2])
	}
	if got[0].TimeInState != 307 {
		t.Errorf("time_in_state_seconds = %v; want 307 (5 min before start + 7 s)", got[0].TimeInState)
	}
}

func TestAgentActions(t *testing.T) {
	tests := []struct {
		name       string
		setup      []string // "action id body" posted first, each must succeed
		path       string
		body       string
		wantStatus int
		wantState  string // on 200
		wantErr    string // on 4xx: a fragment of the error text
		wantLog    string // the fake ACD's record of the accepted action
	}{
		{name: "self login", path: "/api/agents/1001/login", wantStatus: 200, wantState: StateNotReady, wantLog: "login 1001 by=1001 reason="},
		{name: "supervisor login", path: "/api/agents/1001/login", body: `{"by":"sup-ana"}`, wantStatus: 200, wantState: StateNotReady, wantLog: "login 1001 by=sup-ana reason="},
		{name: "login then ready", setup: []string{"/api/agents/1001/login"}, path: "/api/agents/1001/ready", body: `{}`, wantStatus: 200, wantState: StateReady, wantLog: "ready 1001 by=1001 reason="},
		{name: "not ready with reason", path: "/api/agents/1002/not-ready", body: `{"reason":"break"}`, wantStatus: 200, wantState: StateNotReady, wantLog: "not-ready 1002 by=1002 reason=break"},
		{name: "supervisor forced not ready", path: "/api/agents/1002/not-ready", body: `{"by":"sup-ana","reason":"coaching"}`, wantStatus: 200, wantState: StateNotReady, wantLog: "not-ready 1002 by=sup-ana reason=coaching"},
		{name: "self logout without reason", path: "/api/agents/1002/logout", wantStatus: 200, wantState: StateLoggedOut, wantLog: "logout 1002 by=1002 reason="},
		{name: "forced logout with reason", path: "/api/agents/1002/logout", body: `{"by":"sup-ana","reason":"end of shift"}`, wantStatus: 200, wantState: StateLoggedOut, wantLog: "logout 1002 by=sup-ana reason=end of shift"},
		{name: "logout during a call is pending", path: "/api/agents/1003/logout", body: `{"by":"sup-ana","reason":"end of shift"}`, wantStatus: 200, wantState: StateOnCall, wantLog: "logout 1003 by=sup-ana reason=end of shift"},

		{name: "login twice conflicts", path: "/api/agents/1002/login", wantStatus: 409, wantErr: "already logged in"},
		{name: "ready while logged out conflicts", path: "/api/agents/1001/ready", wantStatus: 409, wantErr: "cannot go ready while logged_out"},
		{name: "unknown agent", path: "/api/agents/9999/login", wantStatus: 404, wantErr: "agent 9999"},
		{name: "reason code the ACD rejects", path: "/api/agents/1002/not-ready", body: `{"reason":"bogus"}`, wantStatus: 400, wantErr: `unknown reason code "bogus"`},
		{name: "not ready needs a reason", path: "/api/agents/1002/not-ready", body: `{}`, wantStatus: 400, wantErr: `"reason" is required`},
		{name: "forced logout needs a reason", path: "/api/agents/1002/logout", body: `{"by":"sup-ana"}`, wantStatus: 400, wantErr: `"reason" is required when "sup-ana"`},
		{name: "login takes no reason", path: "/api/agents/1001/login", body: `{"reason":"x"}`, wantStatus: 400, wantErr: `"reason" is not used by login`},
		{name: "ready takes no reason", path: "/api/agents/1002/ready", body: `{"reason":"x"}`, wantStatus: 400, wantErr: `"reason" is not used by ready`},
		{name: "unknown field", path: "/api/agents/1002/not-ready", body: `{"reason":"break","reson":"x"}`, wantStatus: 400, wantErr: `unknown field "reson"`},
		{name: "wrong type", path: "/api/agents/1002/not-ready", body: `{"reason":5}`, wantStatus: 400, wantErr: `field "reason" must be a string, not number`},
		{name: "not an object", path: "/api/agents/1002/not-ready", body: `["break"]`, wantStatus: 400, wantErr: "expected a JSON object, not array"},
		{name: "malformed JSON", path: "/api/agents/1002/not-ready", body: `{"reason":`, wantStatus: 400, wantErr: "unexpected end of body"},
		{name: "syntax error", path: "/api/agents/1002/not-ready", body: `{reason: "x"}`, wantStatus: 400, wantErr: "syntax error at byte 2"},
		{name: "trailing data", path: "/api/agents/1002/not-ready", body: `{"reason":"break"} {}`, wantStatus: 400, wantErr: "data after the object"},
		{name: "bad by", path: "/api/agents/1002/not-ready", body: `{"by":"ana smith","reason":"break"}`, wantStatus: 400, wantErr: `"by" "ana smith": character ' ' not allowed`},
		{name: "control character in reason", path: "/api/agents/1002/not-ready", body: `{"reason":"a\u0007b"}`, wantStatus: 400, wantErr: "control character"},
		{name: "reason too long", path: "/api/agents/1002/not-ready", body: `{"reason":"` + strings.Repeat("x", 201) + `"}`, wantStatus: 400, wantErr: "longer than 200 bytes"},
		{name: "bad agent id", path: "/api/agents/a%20b/login", wantStatus: 400, wantErr: `agent id "a b": character ' ' not allowed`},
		{name: "agent id too long", path: "/api/agents/" + strings.Repeat("9", 65) + "/login", wantStatus: 400, wantErr: "longer than 64 bytes"},
		{name: "body too large", path: "/api/agents/1002/not-ready", body: `{"reason":"` + strings.Repeat("x", 70<<10) + `"}`, wantStatus: 413, wantErr: "request body over 65536 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			for _, p := range tt.setup {
				if res := e.post(p, ""); res.status != 200 {
					t.Fatalf("setup POST %s = %d %s", p, res.status, res.body)
				}
			}
			before := len(e.center.actions())
			res := e.post(tt.path, tt.body)
			if res.status != tt.wantStatus {
				t.Fatalf("POST %s %s = %d %s; want %d", tt.path, tt.body, res.status, res.body, tt.wantStatus)
			}
			actions := e.center.actions()[before:]
			if tt.wantStatus != 200 {
				if msg := res.errorText(t); !strings.Contains(msg, tt.wantErr) {
					t.Errorf("error = %q; want it to contain %q", msg, tt.wantErr)
				}
				if len(actions) != 0 {
					t.Errorf("refused request changed state: %v", actions)
				}
				return
			}
			var a agentView
			res.json(t, &a)
			if a.State != tt.wantState {
				t.Errorf("state after = %q; want %q", a.State, tt.wantState)
			}
			if len(actions) != 1 || actions[0] != tt.wantLog {
				t.Errorf("ACD saw %q; want [%q]", actions, tt.wantLog)
			}
		})
	}
}

func TestAgentActionResultCarriesReasonAndPending(t *testing.T) {
	e := newEnv(t)
	var a agentView
	e.post("/api/agents/1002/not-ready", `{"reason":"training"}`).json(t, &a)
	if a.Reason != "training" || a.TimeInState != 0 {
		t.Errorf("after not-ready: reason %q, time in state %v; want training, 0", a.Reason, a.TimeInState)
	}
	e.post("/api/agents/1003/logout", ``).json(t, &a)
	if !a.LogoutPending || a.State != StateOnCall {
		t.Errorf("logout during call: %+v; want on_call with logout_pending", a)
	}
}

func TestContentTypeMustBeJSON(t *testing.T) {
	e := newEnv(t)
	for _, ct := range []string{"text/plain", "application/x-www-form-urlencoded", "bogus/"} {
		res := e.do("POST", "/api/agents/1002/not-ready", `{"reason":"break"}`, withToken(testToken), withHeader("Content-Type", ct))
		if res.status != http.StatusUnsupportedMediaType {
			t.Errorf("Content-Type %q: status %d; want 415", ct, res.status)
		}
	}
	res := e.do("POST", "/api/agents/1002/not-ready", `{"reason":"break"}`, withToken(testToken), withHeader("Content-Type", "application/json; charset=utf-8"))
	if res.status != http.StatusOK {
		t.Errorf("application/json; charset=utf-8: status %d %s; want 200", res.status, res.body)
	}
}

// TestAuth walks every state-changing route in the table: each refuses a
// missing, malformed or wrong token, and with no token configured it is
// disabled. Nothing changes in any of these cases.
func TestAuth(t *testing.T) {
	concrete := map[string]string{"/api/agents/{id}/login": "/api/agents/1001/login"}
	var paths []string
	e0 := newEnv(t)
	for _, rt := range e0.srv.routes() {
		if !rt.auth {
			continue
		}
		p := strings.ReplaceAll(rt.path, "{id}", "1002")
		if c, ok := concrete[rt.path]; ok {
			p = c
		}
		paths = append(paths, p)
	}
	if len(paths) != 5 {
		t.Fatalf("state-changing routes = %v; want the 4 agent actions and flow reload", paths)
	}
	cases := []struct {
		name       string
		token      string // server's
		header     string // Authorization sent
		wantStatus int
		wantWWW    string
		wantErr    string
	}{
		{"missing", testToken, "", 401, `Bearer realm="switchboard"`, "missing bearer token"},
		{"wrong token", testToken, "Bearer nope", 401, `Bearer realm="switchboard", error="invalid_token"`, "invalid bearer token"},
		{"token prefix", testToken, "Bearer " + testToken[:5], 401, `error="invalid_token"`, "invalid bearer token"},
		{"basic scheme", testToken, "Basic dXNlcjpwYXNz", 401, `error="invalid_request"`, "malformed Authorization header"},
		{"no token value", testToken, "Bearer ", 401, `error="invalid_request"`, "malformed Authorization header"},
		{"no token configured", "", "Bearer anything", 403, "", "no API token is configured"},
	}
	for _, c := range cases {
		for _, p := range paths {
			t.Run(c.name+" "+p, func(t *testing.T) {
				e := newEnv(t, func(cfg *Config, _ *Deps) { cfg.Token = c.token })
				var opts []reqOpt
				if c.header != "" {
					opts = append(opts, withHeader("Authorization", c.header))
				}
				res := e.do("POST", p, `{"reason":"break"}`, opts...)
				if res.status != c.wantStatus {
					t.Fatalf("status %d %s; want %d", res.status, res.body, c.wantStatus)
				}
				if got := res.header.Get("WWW-Authenticate"); !strings.Contains(got, c.wantWWW) || (c.wantWWW == "") != (got == "") {
					t.Errorf("WWW-Authenticate = %q; want %q", got, c.wantWWW)
				}
				if msg := res.errorText(t); !strings.Contains(msg, c.wantErr) {
					t.Errorf("error = %q; want %q", msg, c.wantErr)
				}
				if got := e.center.actions(); len(got) != 0 {
					t.Errorf("unauthorised request changed agents: %v", got)
				}
				if e.flows.calls != 0 {
					t.Errorf("unauthorised request reloaded flows")
				}
			})
		}
	}
	// Reads stay open without a token.
	for _, p := range []string{"/api/agents", "/api/queues", "/api/calls"} {
		if res := e0.do("GET", p, ""); res.status != 200 {
			t.Errorf("GET %s without token = %d; want 200", p, res.status)
		}
	}
}
