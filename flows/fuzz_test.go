package flows

import (
	"context"
	"errors"
	"testing"
)

// FuzzLoad feeds arbitrary bytes to the loader: it must never panic, and it
// must either compile or explain itself with positioned issues.
func FuzzLoad(f *testing.F) {
	f.Add([]byte(minimal))
	f.Add([]byte("flow: f\nstart: a\nnodes:\n  a: {type: menu, prompt: [x, \"digits:{{v}}\"], options: {1: a, \"#\": b}, timeout: 1.5m}\n  b: {type: goto, flow: f, node: a}\n"))
	f.Add([]byte("flow: f\nstart: a\nnodes:\n  a: &x {type: set, vars: {language: zh}, next: a}\n  b: *x\n"))
	f.Add([]byte("flow: f\nnumbers: [1, 1]\nstart: a\nnodes: {a: {type: switch, value: '{{', cases: {~: a}}}\n---\nflow: f\n"))
	env := testEnv(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		cat, err := Compile(context.Background(), []Source{{Name: "fuzz.yaml", Data: data}}, env)
		if err != nil {
			var ve *ValidationError
			if !errors.As(err, &ve) || len(ve.Issues) == 0 {
				t.Fatalf("error without issues: %v", err)
			}
			for _, is := range ve.Issues {
				if is.Pos.File != "fuzz.yaml" || is.Pos.Line < 1 {
					t.Fatalf("issue without position: %v", is)
				}
			}
			return
		}
		for _, fl := range cat.Flows {
			if fl.Start == nil {
				t.Fatalf("compiled flow %q has no start", fl.Name)
			}
			for i, n := range fl.Nodes {
				if n.Index != i || n.Type == "" {
					t.Fatalf("node %q: index %d type %q", n.ID, n.Index, n.Type)
				}
				_ = n.Edges()
			}
		}
	})
}
