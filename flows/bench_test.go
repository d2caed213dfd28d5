package flows

import (
	"context"
	"os"
	"testing"
)

// BenchmarkLoadExamples measures a full reload's compile step: both example
// flows parsed, validated (prompt files checked on disk) and compiled.
func BenchmarkLoadExamples(b *testing.B) {
	env := testEnv(b)
	env.Groups = nil
	env.Prompts = os.DirFS("../configs/prompts")
	fsys := os.DirFS("../configs")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := LoadDir(context.Background(), fsys, "flows", env); err != nil {
			b.Fatal(err)
		}
	}
}
