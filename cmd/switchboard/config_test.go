package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/switchboard-cc/switchboard/flows"
)

// The embedded defaults and the on-disk configs/ must both load, and their
// flows must validate against them: serve starts from either.
func TestConfigsLoadAndFlowsValidate(t *testing.T) {
	for _, p := range []string{"", filepath.Join("..", "..", "configs", "switchboard.yaml")} {
		cfg, err := loadConfig(p)
		if err != nil {
			t.Fatalf("loadConfig(%q): %v", p, err)
		}
		env, err := cfg.flowEnv()
		if err != nil {
			t.Fatalf("flowEnv(%q): %v", p, err)
		}
		cat, err := flows.LoadDir(context.Background(), cfg.fsys, cfg.Flows, env)
		if err != nil {
			t.Fatalf("LoadDir(%q): %v", p, err)
		}
		if cat.ByNumber["96069"] == nil {
			t.Errorf("%q: no flow claims 96069", p)
		}
	}
}

func TestConfigRejectsUnknownField(t *testing.T) {
	p := filepath.Join(t.TempDir(), "switchboard.yaml")
	if err := os.WriteFile(p, []byte("sip:\n  listen: 127.0.0.1:0\nhtpp:\n  listen: x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := loadConfig(p)
	if err == nil || !strings.Contains(err.Error(), "htpp") {
		t.Fatalf("loadConfig with a typo = %v; want an error naming htpp", err)
	}
}
