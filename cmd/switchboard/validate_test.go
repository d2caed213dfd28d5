package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/switchboard-cc/switchboard/flows"
)

func runMain(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	m := &Main{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb}
	code = m.Run(context.Background(), args)
	return code, out.String(), errb.String()
}

// copyTree copies the configs folder so a test can break it.
func copyTree(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		target := filepath.Join(to, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if d.Type()&os.ModeSymlink != 0 {
			link, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(link, target)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestValidateExampleConfigs(t *testing.T) {
	code, out, errOut := runMain(t, "validate", "../../configs")
	if code != 0 {
		t.Fatalf("validate configs: exit %d\n%s%s", code, out, errOut)
	}
	if !strings.Contains(out, "heating-hotline") || !strings.Contains(out, "airline-changes") {
		t.Errorf("output = %q", out)
	}
}

func TestValidateReportsEveryIssue(t *testing.T) {
	dir := t.TempDir()
	copyTree(t, "../../configs", dir)
	file := filepath.Join(dir, "flows", "heating-hotline.yaml")
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	src := string(data)
	src = strings.Replace(src, "holiday_closed: {type: play,", "holiday_closed: {type: paly,", 1) // typo'd type
	src = strings.Replace(src, "    next: billing\n", "    next: biling\n", 1)                    // dangling target
	src += "  orphan: {type: play, prompt: [goodbye], next: end}\n"                               // unreachable
	if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, arg := range []string{dir, filepath.Join(dir, "flows"), file} {
		code, out, errOut := runMain(t, "validate", arg)
		if code != 1 {
			t.Errorf("validate %s: exit %d; want 1\n%s%s", arg, code, out, errOut)
		}
		for _, want := range []string{
			`heating-hotline.yaml:31:26: unknown node type "paly" (did you mean "play"?)`,
			`heating-hotline.yaml:52:11: unknown node "biling" (did you mean "billing"?)`,
			`: node "orphan" is unreachable from start "language"`,
		} {
			if !strings.Contains(out, want) {
				t.Errorf("validate %s: output lacks %q:\n%s", arg, want, out)
			}
		}
		for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
			if !regexp.MustCompile(`^[^:]+:\d+:\d+: `).MatchString(line) {
				t.Errorf("line %q is not file:line:col: message", line)
			}
		}
	}
}

func TestValidateCalendarIssuesCarryConfigPositions(t *testing.T) {
	dir := t.TempDir()
	copyTree(t, "../../configs", dir)
	cfgFile := filepath.Join(dir, "switchboard.yaml")
	data, _ := os.ReadFile(cfgFile)
	bad := strings.Replace(string(data), "timezone: Asia/Shanghai", "timezone: Asia/Shangai", 1)
	if err := os.WriteFile(cfgFile, []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, _ := runMain(t, "validate", dir)
	if code != 1 || !regexp.MustCompile(`switchboard\.yaml:\d+:\d+: calendar office: unknown time zone "Asia/Shangai"`).MatchString(out) {
		t.Errorf("exit %d, output:\n%s", code, out)
	}
	if strings.Contains(out, `unknown calendar`) {
		t.Errorf("a broken calendar cascades into unknown-calendar issues:\n%s", out)
	}
}

func TestGraphCommand(t *testing.T) {
	code, out, errOut := runMain(t, "graph", "--config", "../../configs/switchboard.yaml", "--flow", "heating-hotline", "--format", "dot")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.HasPrefix(out, `digraph "heating-hotline" {`) {
		t.Errorf("not a digraph: %.80s", out)
	}
	cfg, err := loadConfig("../../configs/switchboard.yaml")
	if err != nil {
		t.Fatal(err)
	}
	env, err := cfg.flowEnv()
	if err != nil {
		t.Fatal(err)
	}
	cat, err := flows.LoadDir(context.Background(), cfg.fsys, cfg.Flows, env)
	if err != nil {
		t.Fatal(err)
	}
	want := len(cat.Flows["heating-hotline"].Nodes)
	if n := len(regexp.MustCompile(`(?m)^  "[^"]+" \[label=`).FindAllString(out, -1)); n != want {
		t.Errorf("dot has %d node declarations; heating-hotline has %d nodes", n, want)
	}
	for _, format := range []string{"mermaid", "svg"} {
		code, out, errOut := runMain(t, "graph", "--config", "../../configs/switchboard.yaml", "--flow", "airline-changes", "--format", format)
		if code != 0 || out == "" {
			t.Errorf("%s: exit %d: %s", format, code, errOut)
		}
	}
	if code, _, _ := runMain(t, "graph", "--config", "../../configs/switchboard.yaml", "--flow", "nope"); code != 2 {
		t.Errorf("unknown flow: exit %d; want 2", code)
	}
	if code, _, _ := runMain(t, "graph", "--flow", "heating-hotline", "--format", "png"); code != 2 {
		t.Errorf("unknown format: exit %d; want 2", code)
	}
}
