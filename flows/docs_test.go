package flows

import (
	"os"
	"strings"
	"testing"
)

// TestDocsCoverEveryField keeps docs/flows.md a complete reference: each
// node type has a section whose table lists every field the loader knows.
func TestDocsCoverEveryField(t *testing.T) {
	data, err := os.ReadFile("../docs/flows.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	section := func(heading string) string {
		i := strings.Index(doc, heading+"\n")
		if i < 0 {
			return ""
		}
		rest := doc[i+len(heading):]
		if j := strings.Index(rest, "\n## "); j >= 0 {
			rest = rest[:j]
		}
		if j := strings.Index(rest, "\n### "); j >= 0 && !strings.HasPrefix(heading, "## ") {
			rest = rest[:j]
		}
		return rest
	}
	check := func(heading string, fields []field) {
		s := section(heading)
		if s == "" {
			t.Errorf("docs/flows.md has no %q section", heading)
			return
		}
		for _, f := range fields {
			if !strings.Contains(s, "| `"+f.Name+"` |") {
				t.Errorf("docs/flows.md %s: field %q is not documented", heading, f.Name)
			}
		}
	}
	check("## The flow file", flowFields)
	check("## Nodes", append(append(append([]field(nil), digitsFields...), announceFields...), overflowStepFields...))
	for _, typ := range Types {
		check("### "+string(typ), nodeFields[typ])
	}
}
