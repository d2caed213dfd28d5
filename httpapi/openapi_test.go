package httpapi

import (
	"encoding/json"
	"net/http"
	"sort"
	"strings"
	"testing"
)

// docPathOf maps a mux pattern path to its OpenAPI path ("/{$}" is "/").
func docPathOf(muxPath string) string {
	if muxPath == "/{$}" {
		return "/"
	}
	return muxPath
}

// TestOpenAPIMatchesRoutes holds openapi.json and the route table equal in
// both directions, checks that the mux really serves every documented
// operation, and that the security requirement matches the token guard.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	e := newEnv(t)
	var doc struct {
		OpenAPI string `json:"openapi"`
		Paths   map[string]map[string]struct {
			OperationID string                      `json:"operationId"`
			Security    []map[string][]string       `json:"security"`
			Responses   map[string]json.RawMessage  `json:"responses"`
			Parameters  []struct{ Name, In string } `json:"parameters"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(openAPIDoc, &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	if doc.OpenAPI != "3.1.0" {
		t.Errorf("openapi = %q; want 3.1.0", doc.OpenAPI)
	}

	inRoutes := map[string]route{}
	for _, rt := range e.srv.routes() {
		if rt.undocumented {
			continue
		}
		inRoutes[rt.method+" "+docPathOf(rt.path)] = rt
	}
	inDoc := map[string]bool{}
	ids := map[string]string{}
	for p, ops := range doc.Paths {
		for m, op := range ops {
			key := strings.ToUpper(m) + " " + p
			inDoc[key] = true
			if prev, dup := ids[op.OperationID]; dup || op.OperationID == "" {
				t.Errorf("%s: operationId %q missing or also used by %s", key, op.OperationID, prev)
			}
			ids[op.OperationID] = key
			rt, ok := inRoutes[key]
			if !ok {
				t.Errorf("openapi.json documents %s, which no route serves", key)
				continue
			}
			// Private reads need the token only off loopback: their
			// security is "none, or the bearer token".
			optional := len(op.Security) == 2 && len(op.Security[0]) == 0 && op.Security[1]["bearerAuth"] != nil
			if secured := len(op.Security) > 0 && !optional; secured != rt.auth || optional != rt.private {
				t.Errorf("%s: openapi security %v; route needs token %v, private %v", key, op.Security, rt.auth, rt.private)
			}
			if rt.auth || rt.private {
				for _, code := range []string{"401", "403"} {
					if _, ok := op.Responses[code]; !ok {
						t.Errorf("%s needs the token but does not document %s", key, code)
					}
				}
			}
			for _, prm := range op.Parameters {
				if prm.In == "path" && !strings.Contains(rt.path, "{"+prm.Name+"}") {
					t.Errorf("%s: path parameter %q not in route %s", key, prm.Name, rt.path)
				}
			}
			// The mux must answer the documented operation, not 404/405.
			concrete := strings.ReplaceAll(p, "{id}", "1001")
			h, pattern := e.srv.mux.Handler(mustRequest(t, strings.ToUpper(m), concrete))
			if h == nil || pattern != rt.method+" "+rt.path {
				t.Errorf("mux sends %s %s to %q; want %q", m, concrete, pattern, rt.method+" "+rt.path)
			}
		}
	}
	var missing []string
	for key := range inRoutes {
		if !inDoc[key] {
			missing = append(missing, key)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("routes missing from openapi.json: %v", missing)
	}
}

func TestOpenAPIServedAndSchemasCompile(t *testing.T) {
	e := newEnv(t)
	res := e.do("GET", "/openapi.json", "")
	if res.status != 200 || string(res.body) != string(openAPIDoc) {
		t.Fatalf("GET /openapi.json = %d, %d bytes; want the embedded document", res.status, len(res.body))
	}
	_, c := loadOpenAPI(t)
	var doc struct {
		Components struct {
			Schemas map[string]json.RawMessage `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(openAPIDoc, &doc); err != nil {
		t.Fatal(err)
	}
	for name := range doc.Components.Schemas {
		if _, err := c.Compile(openAPIURL + "#/components/schemas/" + name); err != nil {
			t.Errorf("schema %s: %v", name, err)
		}
	}
}

func mustRequest(t *testing.T, method, path string) *http.Request {
	t.Helper()
	r, err := http.NewRequest(method, "http://127.0.0.1"+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
