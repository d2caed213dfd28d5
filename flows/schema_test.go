package flows

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"
)

var update = flag.Bool("update", false, "rewrite schema.json from the field tables")

func TestSchemaUpToDate(t *testing.T) {
	want, err := GenerateSchema()
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile("schema.json", want, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if !bytes.Equal(SchemaJSON, want) {
		t.Fatal("schema.json is stale: run go test ./flows -run TestSchemaUpToDate -update")
	}
}

// TestSchemaMatchesFieldTables reads schema.json as a document and checks,
// both ways, that every node type and field the loader knows is in the
// schema and the schema has nothing the loader would refuse.
func TestSchemaMatchesFieldTables(t *testing.T) {
	var doc struct {
		Properties map[string]json.RawMessage `json:"properties"`
		Defs       map[string]struct {
			Properties map[string]json.RawMessage `json:"properties"`
			Required   []string                   `json:"required"`
		} `json:"$defs"`
	}
	if err := json.Unmarshal(SchemaJSON, &doc); err != nil {
		t.Fatal(err)
	}
	compare := func(what string, schema map[string]json.RawMessage, fields []field, extra ...string) {
		var got, want []string
		for k := range schema {
			got = append(got, k)
		}
		want = append(fieldNames(fields), extra...)
		sort.Strings(got)
		sort.Strings(want)
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("%s: schema has %v; loader has %v", what, got, want)
		}
	}
	compare("flow", doc.Properties, flowFields)
	compare("digits", doc.Defs["digits"].Properties, digitsFields)
	compare("announce", doc.Defs["announce"].Properties, announceFields)
	compare("overflow_step", doc.Defs["overflow_step"].Properties, overflowStepFields)
	for _, typ := range Types {
		def, ok := doc.Defs[string(typ)]
		if !ok {
			t.Errorf("schema has no definition for node type %s", typ)
			continue
		}
		compare(string(typ), def.Properties, nodeFields[typ], "type")
		var req []string
		for _, f := range nodeFields[typ] {
			if f.Required {
				req = append(req, f.Name)
			}
		}
		sort.Strings(req)
		got := append([]string(nil), def.Required...)
		sort.Strings(got)
		if strings.Join(got, ",") != strings.Join(sortedWith(req, "type"), ",") {
			t.Errorf("%s: schema requires %v; loader requires %v", typ, got, req)
		}
	}
	for name := range doc.Defs {
		switch name {
		case "duration", "target", "prompt", "prompts", "dtmf", "digits", "announce", "overflow_step", "node":
			continue
		}
		if _, ok := nodeFields[Type(name)]; !ok {
			t.Errorf("schema defines node type %q that the loader does not know", name)
		}
	}
}

func sortedWith(list []string, extra string) []string {
	out := append(append([]string(nil), list...), extra)
	sort.Strings(out)
	return out
}

func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(SchemaJSON))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(SchemaID, doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(SchemaID)
	if err != nil {
		t.Fatal(err)
	}
	return sch
}

// yamlToJSON decodes YAML the way an editor's schema validator sees it.
func yamlToJSON(t *testing.T, data []byte) any {
	t.Helper()
	var v any
	if err := yaml.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(stringKeys(v))
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return inst
}

func stringKeys(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = stringKeys(e)
		}
		return x
	case map[any]any:
		out := map[string]any{}
		for k, e := range x {
			out[fmt.Sprint(k)] = stringKeys(e)
		}
		return out
	case []any:
		for i := range x {
			x[i] = stringKeys(x[i])
		}
	}
	return v
}

func TestExampleFlowsMatchSchema(t *testing.T) {
	sch := compileSchema(t)
	files, _ := filepath.Glob("../configs/flows/*.yaml")
	if len(files) < 2 {
		t.Fatalf("found %d example flows", len(files))
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := sch.Validate(yamlToJSON(t, data)); err != nil {
			t.Errorf("%s does not match schema.json:\n%v", f, err)
		}
	}
}

func TestSchemaRejectsWhatLoaderRejects(t *testing.T) {
	sch := compileSchema(t)
	bad := []string{
		"flow: f\nstart: a\nnodes: {a: {type: paly}}\n",
		"flow: f\nstart: a\nnodes: {a: {type: play, prompt: x, promt: y}}\n",
		"flow: f\nstart: a\nnodes: {a: {type: menu, prompt: x, options: {\"10\": a}}}\n",
		"flow: f\nstart: a\nnodes: {a: {type: menu, prompt: x, options: {\"1\": a}, timeout: 5}}\n",
		"flow: f\nstart: a\nnodes: {a: {type: input, prompt: x, next: a}}\n",
		"flow: f\nstrat: a\nnodes: {a: {type: hangup}}\n",
	}
	for _, src := range bad {
		if err := sch.Validate(yamlToJSON(t, []byte(src))); err == nil {
			t.Errorf("schema accepted:\n%s", src)
		}
		if _, err := compile(t, testEnv(t), src); err == nil {
			t.Errorf("loader accepted:\n%s", src)
		}
	}
}

// TestExampleFlowsNameTheSchema: each example flow's first line points
// editors (yaml-language-server) at schema.json by a relative path that
// resolves from where the flow lives.
func TestExampleFlowsNameTheSchema(t *testing.T) {
	files, _ := filepath.Glob("../configs/flows/*.yaml")
	if len(files) < 2 {
		t.Fatalf("found %d example flows", len(files))
	}
	const prefix = "# yaml-language-server: $schema="
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		first, _, _ := strings.Cut(string(data), "\n")
		if !strings.HasPrefix(first, prefix) {
			t.Errorf("%s: first line %q; want %s<relative path to flows/schema.json>", f, first, prefix)
			continue
		}
		target := filepath.Join(filepath.Dir(f), strings.TrimPrefix(first, prefix))
		if abs, _ := filepath.Abs(target); abs != mustAbs(t, "schema.json") {
			t.Errorf("%s: schema line points at %s; want flows/schema.json", f, target)
		}
	}
}

func mustAbs(t *testing.T, p string) string {
	t.Helper()
	abs, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return abs
}
