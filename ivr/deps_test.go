package ivr_test

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/switchboard-cc/switchboard/"

// The engine is domain core: neither it nor any project package it pulls in
// may import a transport, a network package or a database driver.
func TestImportsStayInward(t *testing.T) {
	forbidden := func(p string) bool {
		switch {
		case p == "net" || strings.HasPrefix(p, "net/"), p == "database/sql", strings.HasPrefix(p, "modernc.org/"):
			return true
		case strings.HasPrefix(p, module):
			switch strings.SplitN(strings.TrimPrefix(p, module), "/", 2)[0] {
			case "sip", "ari", "media", "lookup", "httpapi", "cmd":
				return true
			}
		case strings.Contains(p, "sipgo") || strings.Contains(p, "pion/") || strings.Contains(p, "CyCoreSystems"):
			return true
		}
		return false
	}
	seen := map[string]bool{}
	var visit func(pkg, dir string, chain []string)
	visit = func(pkg, dir string, chain []string) {
		if seen[pkg] {
			return
		}
		seen[pkg] = true
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			af, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
			if err != nil {
				t.Fatal(err)
			}
			for _, imp := range af.Imports {
				p, _ := strconv.Unquote(imp.Path.Value)
				if forbidden(p) {
					t.Errorf("%s imports %s (via %s)", f, p, strings.Join(append(chain, pkg), " -> "))
				}
				if strings.HasPrefix(p, module) {
					visit(p, filepath.Join("..", strings.TrimPrefix(p, module)), append(chain, pkg))
				}
			}
		}
	}
	if _, err := os.Stat("engine.go"); err != nil {
		t.Fatal("run from the ivr directory")
	}
	visit(module+"ivr", ".", nil)
	if len(seen) < 4 {
		t.Errorf("walked only %v", seen)
	}
}
