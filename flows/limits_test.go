package flows

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"testing/fstest"
)

// compileIssues compiles one source and returns its issues as
// "line:col: message".
func compileIssues(t *testing.T, env Env, src string) []string {
	t.Helper()
	_, err := Compile(context.Background(), []Source{{Name: "f.yaml", Data: []byte(src)}}, env)
	if err == nil {
		return nil
	}
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("Compile: %v", err)
	}
	var out []string
	for _, is := range ve.Issues {
		out = append(out, fmt.Sprintf("%d:%d: %s", is.Pos.Line, is.Pos.Col, is.Message))
	}
	return out
}

func lookupFlowYAML(url string) string {
	return fmt.Sprintf(`flow: f
start: l
nodes:
  l: {type: lookup, url: %q, next: bye}
  bye: {type: hangup}
`, url)
}

// A lookup's scheme and host are the designer's: validate refuses other
// schemes, variables in the host, and what the operator's check refuses.
func TestLookupURLValidation(t *testing.T) {
	env := testEnv(t)
	env.CheckURL = func(origin string) error {
		if strings.Contains(origin, "169.254.169.254") {
			return fmt.Errorf("%s is a link-local (cloud metadata) address", origin)
		}
		return nil
	}
	tests := []struct {
		url  string
		want string // "" : valid
	}{
		{"http://127.0.0.1:9000/outages?account={{account}}", ""},
		{"HTTPS://crm.example.com/c/{{caller}}", ""},
		{"https://crm.example.com", ""},
		{"file:///etc/passwd", `4:26: l.url: "file:///etc/passwd": a lookup URL starts with http:// or https://`},
		{"gopher://x/{{a}}", `a lookup URL starts with http:// or https://`},
		{"{{base}}/outages", `a lookup URL starts with http:// or https://`},
		{"http://{{host}}/outages", `variables may stand in the path and query, not in the host`},
		{"http://crm.example.com{{path}}", `variables may stand in the path and query, not in the host`},
		{"http:///x", `the URL names no host`},
		{"http://169.254.169.254/latest/meta-data/{{x}}", `http://169.254.169.254 is a link-local (cloud metadata) address`},
	}
	for _, tc := range tests {
		got := compileIssues(t, env, lookupFlowYAML(tc.url))
		switch {
		case tc.want == "" && len(got) > 0:
			t.Errorf("url %q: issues %q; want none", tc.url, got)
		case tc.want != "" && (len(got) != 1 || !strings.Contains(got[0], tc.want)):
			t.Errorf("url %q: issues %q; want one containing %q", tc.url, got, tc.want)
		}
	}
}

// A hostile flow file costs bounded memory and time: over MaxFileBytes it
// is refused unread, over MaxNodes its nodes are not built.
func TestFlowFileLimits(t *testing.T) {
	env := testEnv(t)
	var b strings.Builder
	b.WriteString("flow: f\nstart: n0\nnodes:\n")
	for i := 0; i <= MaxNodes; i++ {
		fmt.Fprintf(&b, "  n%d: {type: play, prompt: welcome, next: n%d}\n", i, i+1)
	}
	fmt.Fprintf(&b, "  n%d: {type: hangup}\n", MaxNodes+1)
	got := compileIssues(t, env, b.String())
	if want := fmt.Sprintf("4:3: flow has %d nodes; at most %d are allowed: split it with goto", MaxNodes+2, MaxNodes); len(got) != 1 || got[0] != want {
		t.Errorf("too many nodes: issues %q; want [%q]", got, want)
	}

	big := strings.Repeat("# padding\n", MaxFileBytes/10+1)
	got = compileIssues(t, env, big+lookupFlowYAML("http://x/"))
	if want := "1:1: file is larger than 1024 KiB: split it into several flow files"; len(got) != 1 || got[0] != want {
		t.Errorf("large file: issues %q; want [%q]", got, want)
	}

	// ReadSource stops reading one byte past the limit.
	fsys := fstest.MapFS{"huge.yaml": {Data: []byte(strings.Repeat("x", 3*MaxFileBytes))}}
	src, err := ReadSource(fsys, "huge.yaml", "huge.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(src.Data) != MaxFileBytes+1 {
		t.Errorf("ReadSource read %d bytes; want %d", len(src.Data), MaxFileBytes+1)
	}
}
