package ivr

import (
	"testing"

	"github.com/switchboard-cc/switchboard/flows"
)

// TestEveryNodeTypeRuns: the engine has a handler for every node type the
// flow loader accepts, and none for a type it does not (a handler nobody
// can reach is a type the loader forgot).
func TestEveryNodeTypeRuns(t *testing.T) {
	known := map[flows.Type]bool{}
	for _, typ := range flows.Types {
		known[typ] = true
		if nodeHandlers[typ] == nil {
			t.Errorf("flow node type %q has no engine handler (ivr/run.go nodeHandlers)", typ)
		}
	}
	for typ := range nodeHandlers {
		if !known[typ] {
			t.Errorf("engine handles node type %q, which flows.Types does not list", typ)
		}
	}
	if len(flows.Types) == 0 {
		t.Fatal("flows.Types is empty")
	}
}
