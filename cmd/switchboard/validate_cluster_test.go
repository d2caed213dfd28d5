package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// withSections copies configs/ and appends yaml (top-level sections) to
// its switchboard.yaml; it returns the folder and the line number the
// appended text starts at.
func withSections(t *testing.T, yaml string) (dir string, first int) {
	t.Helper()
	dir = t.TempDir()
	copyTree(t, "../../configs", dir)
	cfgFile := filepath.Join(dir, "switchboard.yaml")
	data, err := os.ReadFile(cfgFile)
	if err != nil {
		t.Fatal(err)
	}
	text := strings.TrimRight(string(data), "\n") + "\n"
	first = strings.Count(text, "\n") + 1
	if err := os.WriteFile(cfgFile, []byte(text+yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, first
}

// validate refuses what a cluster node could not use — a registrar_rpc
// that is no http(s) URL, a registrar_poll (dead_after, lease) that is not
// positive, a redis:// or postgres:// URL that does not parse, a store
// with another scheme — each as file:line:col naming the field, without
// contacting any service (port 1 on loopback, where nothing listens), and
// without printing a password. Before, validate accepted all of these (it
// never looked at the cluster section); serve failed later, or not at
// all: a negative registrar_poll silently became 1s, `store: mysql://…`
// a data folder named "mysql:".
func TestValidateClusterSection(t *testing.T) {
	cases := []struct {
		name string
		yaml string // appended; the bad value is on line `line` of it (1-based)
		line int
		want string // regexp after file:line:col:
	}{
		{"registrar_rpc without scheme", "cluster:\n  redis: redis://127.0.0.1:1/0\n  registrar_rpc: 127.0.0.1:1/RPC\n", 3,
			`cluster\.registrar_rpc: .*want an http:// or https:// URL`},
		{"registrar_rpc ftp", "cluster:\n  registrar_rpc: ftp://127.0.0.1/RPC\n", 2,
			`cluster\.registrar_rpc: "ftp://127\.0\.0\.1/RPC": want an http:// or https:// URL`},
		{"registrar_rpc with a password, no scheme", "cluster:\n  registrar_rpc: \"kam:s3cret@127.0.0.1:1/RPC\"\n", 2,
			`cluster\.registrar_rpc: "…@127\.0\.0\.1:1/RPC": want an http:// or https:// URL`},
		{"registrar_rpc no host", "cluster:\n  registrar_rpc: http:///RPC\n", 2,
			`cluster\.registrar_rpc: `},
		{"registrar_poll zero", "cluster:\n  redis: redis://127.0.0.1:1/0\n  registrar_poll: 0s\n", 3,
			`cluster\.registrar_poll: 0s: must be positive`},
		{"registrar_poll negative", "cluster:\n  registrar_poll: -1s\n", 2,
			`cluster\.registrar_poll: -1s: must be positive`},
		{"dead_after negative", "cluster:\n  dead_after: -3s\n", 2,
			`cluster\.dead_after: -3s: must be positive`},
		{"lease not above dead_after", "cluster:\n  dead_after: 3s\n  lease: 2s\n", 3,
			`cluster\.lease: lease 2s must exceed dead_after 3s`},
		{"redis bad database", "cluster:\n  redis: redis://:s3cret@127.0.0.1:1/zero\n", 2,
			`cluster\.redis: "redis://:xxxxx@127\.0\.0\.1:1/zero" is not a redis:// URL: .*invalid database`},
		{"redis wrong scheme", "cluster:\n  redis: http://127.0.0.1:1\n", 2,
			`cluster\.redis: "http://127\.0\.0\.1:1" is not a redis:// URL: .*invalid URL scheme`},
		{"redis unparsable", "cluster:\n  redis: \"redis://127.0.0.1:63 79\"\n", 2,
			`cluster\.redis: "redis://…" is not a redis:// URL: invalid port`},
		{"postgres bad port", "events:\n  store: postgres://sb:s3cret@127.0.0.1:notaport/switchboard\n", 2,
			`events\.store: "postgres://…" is not a usable postgres:// URL: `},
		{"postgres bad sslmode", "events:\n  store: postgres://sb:s3cret@127.0.0.1/switchboard?sslmode=sometimes\n", 2,
			`events\.store: "postgres://sb:xxxxx@127\.0\.0\.1/switchboard\?sslmode=sometimes" is not a usable postgres:// URL: .*sslmode`},
		{"store with another scheme", "events:\n  store: mysql://127.0.0.1/switchboard\n", 2,
			`events\.store: "mysql://127\.0\.0\.1/switchboard": want a postgres:// \(or postgresql://\) URL, or a data folder`},
		{"node with a space", "cluster:\n  node: node 1\n", 2,
			`cluster\.node: "node 1": no spaces`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir, first := withSections(t, tc.yaml)
			code, out, errOut := runMain(t, "validate", dir)
			line := first + tc.line - 1
			re := regexp.MustCompile(fmt.Sprintf(`switchboard\.yaml:%d:\d+: %s`, line, tc.want))
			if code != 1 || !re.MatchString(out) {
				t.Errorf("exit %d; want 1 and a line matching %s:\n%s%s", code, re, out, errOut)
			}
			if strings.Contains(out+errOut, "s3cret") {
				t.Errorf("the password is in the output:\n%s%s", out, errOut)
			}
		})
	}
}

// The cluster example of docs/cluster.md (on loopback) validates (nothing
// listens on port 1, nothing is contacted), and serve refuses a config
// that validate refuses, with the same message, before starting anything.
func TestClusterSectionValidAndServeRefusesBadOne(t *testing.T) {
	good := "cluster:\n  redis: redis://127.0.0.1:1/0\n  node: node-1\n  proxy: 127.0.0.1:1\n" +
		"  registrar_rpc: http://127.0.0.1:1/RPC\n  registrar_poll: 1s\n  dead_after: 3s\n  lease: 10s\n" +
		"events:\n  store: postgres://switchboard@127.0.0.1/switchboard\n"
	dir, _ := withSections(t, good)
	if code, out, errOut := runMain(t, "validate", dir); code != 0 {
		t.Fatalf("validate the documented cluster section: exit %d\n%s%s", code, out, errOut)
	}

	dir, first := withSections(t, "cluster:\n  redis: redis://127.0.0.1:1/0\n  registrar_poll: -1s\n")
	code, out, errOut := runMain(t, "serve", "--config", filepath.Join(dir, "switchboard.yaml"), "--sip", "127.0.0.1:0", "--http", "127.0.0.1:0", "--data", t.TempDir())
	want := fmt.Sprintf("switchboard.yaml:%d:", first+2)
	if code == 0 || !strings.Contains(out+errOut, want) || !strings.Contains(out+errOut, "cluster.registrar_poll: -1s: must be positive") {
		t.Errorf("serve with registrar_poll -1s: exit %d; want a refusal at %s\n%s%s", code, want, out, errOut)
	}

	code, out, errOut = runMain(t, "serve", "--cluster", "redis://:s3cret@127.0.0.1:1/zero", "--sip", "127.0.0.1:0", "--http", "127.0.0.1:0", "--data", t.TempDir())
	if code == 0 || !strings.Contains(out+errOut, "--cluster") || !strings.Contains(out+errOut, "invalid database") || strings.Contains(out+errOut, "s3cret") {
		t.Errorf("serve --cluster with a bad redis URL: exit %d; want a usage error without the password\n%s%s", code, out, errOut)
	}
}
