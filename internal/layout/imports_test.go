package layout

import (
	"bufio"
	"bytes"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

const module = "github.com/switchboard-cc/switchboard"

// core are the domain packages; ivr's own subpackages (test kits, the
// scripted call) are held to the same rule.
var core = []string{"flows", "hours", "ivr", "ivr/...", "routing", "events", "metrics"}

// forbiddenInCore says why a package may not be among a core package's
// dependencies, or "" when it may.
func forbiddenInCore(p string) string {
	switch {
	case p == "net", strings.HasPrefix(p, "net/http"), p == "net/rpc", p == "net/smtp", p == "crypto/tls":
		// net/url and net/netip are values; these open connections.
		return "network"
	case p == "database/sql" || strings.HasPrefix(p, "database/sql/"),
		strings.HasPrefix(p, "modernc.org/sqlite"), strings.HasPrefix(p, "github.com/mattn/go-sqlite3"),
		strings.HasPrefix(p, "github.com/jackc/"), strings.HasPrefix(p, "github.com/lib/pq"),
		strings.HasPrefix(p, "github.com/redis/"):
		return "database driver"
	case strings.Contains(p, "emiago/sipgo"), strings.HasPrefix(p, "github.com/pion/"),
		strings.HasPrefix(p, "github.com/CyCoreSystems/"), strings.HasPrefix(p, "golang.org/x/net/websocket"):
		return "transport library"
	case strings.HasPrefix(p, module+"/"):
		switch top := strings.SplitN(strings.TrimPrefix(p, module+"/"), "/", 2)[0]; top {
		case "sip", "ari", "media", "lookup", "httpapi", "cmd":
			return "transport or adapter " + top
		}
		if strings.HasPrefix(p, module+"/internal/peers") {
			return "real SIP peers"
		}
	}
	return ""
}

// TestCoreImportsStayInward: no core package, nor its tests, depends on a
// transport, a network package or a database driver, directly or not.
func TestCoreImportsStayInward(t *testing.T) {
	checked := 0
	for _, pattern := range core {
		for root, g := range depGraphs(t, pattern) {
			checked++
			for dep := range g {
				if why := forbiddenInCore(dep); why != "" {
					t.Errorf("%s depends on %s (%s): %s", root, dep, why, strings.Join(g.path(root, dep), " -> "))
				}
			}
		}
	}
	if checked < len(core) {
		t.Fatalf("checked %d packages; want at least %d", checked, len(core))
	}
}

// TestTransportsStayApart: sip and ari, with their subpackages and tests,
// do not depend on each other.
func TestTransportsStayApart(t *testing.T) {
	transports := []string{"sip", "ari"}
	for _, from := range transports {
		for root, g := range depGraphs(t, from+"/...") {
			for dep := range g {
				for _, to := range transports {
					if to != from && (dep == module+"/"+to || strings.HasPrefix(dep, module+"/"+to+"/")) {
						t.Errorf("%s depends on %s: %s", root, dep, strings.Join(g.path(root, dep), " -> "))
					}
				}
			}
		}
	}
}

// TestRulesCatchViolations: the rules see what they are meant to see, so
// the tests above cannot pass by looking at nothing.
func TestRulesCatchViolations(t *testing.T) {
	for p, bad := range map[string]bool{
		"net/http": true, "net": true, "net/url": false, "net/netip": false, "database/sql": true,
		"modernc.org/sqlite": true, "github.com/jackc/pgx/v5": true, "github.com/redis/go-redis/v9": true,
		"github.com/emiago/sipgo": true, module + "/sip": true, module + "/ari": true, module + "/internal/peers": true,
		module + "/events": false, module + "/internal/clock": false, "log/slog": false,
	} {
		if got := forbiddenInCore(p) != ""; got != bad {
			t.Errorf("forbiddenInCore(%q) = %v; want %v", p, got, bad)
		}
	}
	g := depGraphs(t, "cmd/switchboard")[module+"/cmd/switchboard"]
	if g == nil || len(g.path(module+"/cmd/switchboard", module+"/sip")) < 2 {
		t.Fatalf("cmd/switchboard's graph does not reach sip: the graph reader is broken")
	}
}

// graph is a package's dependencies (test variants folded into their
// package): import path -> what it imports.
type graph map[string][]string

// path is the import chain from root to dep (breadth first, so shortest).
func (g graph) path(root, dep string) []string {
	prev := map[string]string{root: ""}
	queue := []string{root}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		if p == dep {
			var chain []string
			for ; p != ""; p = prev[p] {
				chain = append([]string{p}, chain...)
			}
			return chain
		}
		for _, n := range g[p] {
			if _, seen := prev[n]; !seen {
				prev[n] = p
				queue = append(queue, n)
			}
		}
	}
	return []string{root, "?", dep}
}

// depGraphs runs `go list -deps -test` (or go list with listFlags) for a
// package pattern (relative to the module) and returns, for each package
// of the module it names, the graph of its dependencies (and its tests').
func depGraphs(t *testing.T, pattern string, listFlags ...string) map[string]graph {
	t.Helper()
	goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := exec.LookPath(goTool); err != nil {
		goTool = "go"
	}
	if listFlags == nil {
		listFlags = []string{"-deps", "-test"}
	}
	args := append(append([]string{"list"}, listFlags...), "-f", "{{.ImportPath}}\t{{join .Imports \" \"}}\t{{.DepOnly}}", "./"+pattern)
	cmd := exec.Command(goTool, args...)
	cmd.Dir = filepath.Join("..", "..")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list %s: %v\n%s", pattern, err, stderr.String())
	}
	// One graph for the whole listing; each root reads it from itself.
	all := graph{}
	roots := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		fields := strings.Split(sc.Text(), "\t")
		if len(fields) < 3 {
			continue
		}
		p := bare(fields[0])
		if fields[2] == "false" && !strings.HasSuffix(fields[0], ".test") {
			roots[p] = true // named by the pattern, not only a dependency
		}
		for _, imp := range strings.Fields(fields[1]) {
			all[p] = append(all[p], bare(imp))
		}
		if _, ok := all[p]; !ok {
			all[p] = nil
		}
	}
	graphs := map[string]graph{}
	for root := range roots {
		// Only what root reaches belongs to its graph.
		reach := graph{}
		queue := []string{root}
		for len(queue) > 0 {
			p := queue[0]
			queue = queue[1:]
			if _, seen := reach[p]; seen {
				continue
			}
			reach[p] = all[p]
			queue = append(queue, all[p]...)
		}
		graphs[root] = reach
	}
	return graphs
}

// bare drops go list's test-variant suffix: "x [y.test]" is x; "y.test"
// (the generated test main) is y.
func bare(p string) string {
	if i := strings.Index(p, " ["); i >= 0 {
		p = p[:i]
	}
	return strings.TrimSuffix(p, ".test")
}

// TestBinaryLinksNoTesting: the shipped program does not link package
// testing (nor a test kit that would pull it in): what simulate runs is in
// ivr/scripted, not ivr/ivrtest.
func TestBinaryLinksNoTesting(t *testing.T) {
	g := depGraphs(t, "cmd/switchboard", "-deps")[module+"/cmd/switchboard"]
	if g == nil {
		t.Fatal("cmd/switchboard not listed")
	}
	for _, dep := range []string{"testing", module + "/ivr/ivrtest", module + "/internal/peers"} {
		if _, ok := g[dep]; ok {
			t.Errorf("switchboard links %s: %s", dep, strings.Join(g.path(module+"/cmd/switchboard", dep), " -> "))
		}
	}
}
