package ivr_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/flows"
	"github.com/switchboard-cc/switchboard/ivr"
	. "github.com/switchboard-cc/switchboard/ivr/ivrtest"
)

// A caller's input reaches a lookup's URL, headers and body; it must stay
// data there: no extra query parameters, path segments or JSON fields.
func TestLookupEscapesCallerInput(t *testing.T) {
	cases := []struct {
		name     string
		account  string
		url      string
		body     string
		wantURL  string
		wantBody string
	}{
		{
			name: "query value cannot add a parameter", account: "5551234&admin=1",
			url: "http://svc/a?phone={{account}}", wantURL: "http://svc/a?phone=5551234%26admin%3D1",
		},
		{
			name: "path segment cannot climb or add a query", account: "../admin?x=1#f",
			url: "http://svc/accounts/{{account}}/status", wantURL: "http://svc/accounts/..%2Fadmin%3Fx%3D1%23f/status",
		},
		{
			name: "plain digits are unchanged", account: "12345678",
			url: "http://svc/a?account={{account}}", wantURL: "http://svc/a?account=12345678",
			body: `{"acct":"{{account}}"}`, wantBody: `{"acct":"12345678"}`,
		},
		{
			name: "inside a JSON string the value cannot close it", account: `1", "admin": true, "x": "`,
			url: "http://svc/a", wantURL: "http://svc/a",
			body: `{"acct":"{{account}}"}`, wantBody: `{"acct":"1\", \"admin\": true, \"x\": \""}`,
		},
		{
			name: "outside a string the value is a JSON string", account: `1, "admin": true`,
			url: "http://svc/a", wantURL: "http://svc/a",
			body: `{"acct": {{account}}}`, wantBody: `{"acct": "1, \"admin\": true"}`,
		},
		{
			name: "backslashes and control characters stay inside", account: "a\\\"\n}",
			url: "http://svc/a", wantURL: "http://svc/a",
			body: `{"note":"x {{account}} y", "n": {{account}}}`, wantBody: `{"note":"x a\\\"\n} y", "n": "a\\\"\n}"}`,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var got ivr.LookupRequest
			lk := lookupFunc(func(ctx context.Context, req ivr.LookupRequest) (map[string]string, error) {
				got = req
				return map[string]string{}, nil
			})
			b := NewFlow("test", "en", "100").Var("account", tc.account)
			b.Node("status", "bye", &flows.LookupSpec{
				Method: "POST", URL: T(tc.url), Body: T(tc.body),
				Headers: map[string]flows.Template{"X-Account": T("{{account}}")},
				Timeout: time.Second, Result: "r", OnError: b.Ref("bye"),
			})
			b.Node("bye", "", &flows.PlaySpec{Prompts: P("goodbye")})
			world{catalog: Catalog(b.Flow()), lookup: lk}.run(t)
			if got.URL != tc.wantURL {
				t.Errorf("url = %s; want %s", got.URL, tc.wantURL)
			}
			if got.Body != tc.wantBody {
				t.Errorf("body = %s; want %s", got.Body, tc.wantBody)
			}
			if tc.body != "" && !json.Valid([]byte(got.Body)) {
				t.Errorf("body %s is not valid JSON", got.Body)
			}
			for _, c := range got.Headers["X-Account"] {
				if c < 0x20 {
					t.Errorf("header X-Account = %q keeps a control character", got.Headers["X-Account"])
				}
			}
		})
	}
}
