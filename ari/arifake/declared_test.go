package arifake

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

type declaredOp struct {
	path     string
	method   string
	required []string // required query/body parameters
}

// declared reads the API declarations in testdata (Swagger 1.1, from the
// Asterisk commit Switchboard targets).
func declared(t *testing.T) map[string]declaredOp {
	t.Helper()
	files, _ := filepath.Glob("testdata/*.json")
	ops := map[string]declaredOp{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			APIs []struct {
				Path       string `json:"path"`
				Operations []struct {
					Method     string `json:"httpMethod"`
					Parameters []struct {
						Name      string `json:"name"`
						ParamType string `json:"paramType"`
						Required  bool   `json:"required"`
					} `json:"parameters"`
				} `json:"operations"`
			} `json:"apis"`
		}
		if err := json.Unmarshal(data, &doc); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, api := range doc.APIs {
			for _, op := range api.Operations {
				d := declaredOp{path: api.Path, method: op.Method}
				for _, p := range op.Parameters {
					if p.Required && p.ParamType != "path" {
						d.required = append(d.required, p.Name)
					}
				}
				ops[op.Method+" "+api.Path] = d
			}
		}
	}
	if len(ops) < 50 {
		t.Fatalf("read %d declared operations; the declarations are missing", len(ops))
	}
	return ops
}

// TestRoutesAreDeclared: the fake serves only resources Asterisk declares.
func TestRoutesAreDeclared(t *testing.T) {
	ops := declared(t)
	for _, rt := range routes {
		key := rt.method + " /" + strings.Join(rt.pattern, "/")
		if _, ok := ops[key]; !ok {
			t.Errorf("the fake serves %s, which the API declarations do not have", key)
		}
	}
}

// TestRequiredParameters: a request without a declared required parameter
// never succeeds.
func TestRequiredParameters(t *testing.T) {
	ops := declared(t)
	f := New(Options{})
	c := newClient(t, f)
	ch, _ := f.Call(CallSpec{Exten: "1000"})
	if s, _ := c.do("POST", "/ari/bridges/b1", ""); s != 200 {
		t.Fatal("bridge")
	}
	fill := strings.NewReplacer("{channelId}", ch.ID(), "{bridgeId}", "b1", "{playbackId}", "pb1",
		"{recordingName}", "r1", "{applicationName}", "switchboard", "{soundId}", "hello-world")
	checked := 0
	for _, rt := range routes {
		path := "/" + strings.Join(rt.pattern, "/")
		op := ops[rt.method+" "+path]
		if len(op.required) == 0 {
			continue
		}
		checked++
		status, body := c.do(rt.method, "/ari"+fill.Replace(path), "")
		if status < 400 {
			t.Errorf("%s %s without %v = %d %v; want an error", rt.method, path, op.required, status, body)
		}
		if status != http.StatusNotFound && body["message"] == nil && body["error"] == nil {
			t.Errorf("%s %s: error body %v has no message", rt.method, path, body)
		}
	}
	if checked < 8 {
		t.Errorf("checked %d routes with required parameters; want every one", checked)
	}
}
