package main

import (
	"bytes"
	"encoding"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"

	"github.com/switchboard-cc/switchboard/hours"
	"github.com/switchboard-cc/switchboard/routing"
)

// configs/switchboard.schema.json is the JSON Schema of switchboard.yaml,
// for editors (the yaml-language-server line at the top of the file). It
// is generated from the Config struct's yaml tags, so it cannot drift: this
// test regenerates it and compares.
var updateConfigSchema = flag.Bool("update-config-schema", false, "rewrite configs/switchboard.schema.json from the Config struct")

const (
	configSchemaFile = "../../configs/switchboard.schema.json"
	configSchemaID   = "https://switchboard-cc.github.io/switchboard/configs/switchboard.schema.json"
)

var (
	durationType    = reflect.TypeOf(time.Duration(0))
	routingDuration = reflect.TypeOf(routing.Duration(0))
	calendarType    = reflect.TypeOf(hours.Config{})
	textUnmarshaler = reflect.TypeOf((*encoding.TextUnmarshaler)(nil)).Elem()
)

// durationSchema: Go durations, as written in switchboard.yaml ("20s", "1m30s").
var durationSchema = map[string]any{
	"type":        "string",
	"pattern":     `^\s*([0-9]+(\.[0-9]*)?(ns|us|µs|ms|s|m|h))+\s*$`,
	"description": "A duration with a unit: 500ms, 20s, 2m, 1h30m.",
}

// rangesSchema: one range or weekday name, or a list of ranges.
var rangesSchema = map[string]any{"oneOf": []any{
	map[string]any{"type": "string"},
	map[string]any{"type": "array", "items": map[string]any{"type": "string"}},
}}

// calendarSchema mirrors hours.Config.UnmarshalYAML, which decodes the
// calendar by hand (positions for its messages), not by struct tags.
var calendarSchema = map[string]any{
	"type":                 "object",
	"additionalProperties": false,
	"properties": map[string]any{
		"timezone": map[string]any{"type": "string", "description": "IANA time zone, e.g. Asia/Shanghai."},
		"weekly": map[string]any{"type": "object", "description": "Days (mon, mon-fri) to opening ranges \"08:00-18:00\".",
			"additionalProperties": rangesSchema},
		"holidays": map[string]any{"type": "array", "items": map[string]any{
			"type": "object", "additionalProperties": false, "required": []any{"date"},
			"properties": map[string]any{"date": map[string]any{"type": "string"}, "name": map[string]any{"type": "string"}, "yearly": map[string]any{"type": "boolean"}}}},
		"exceptions": map[string]any{"type": "array", "items": map[string]any{
			"type": "object", "additionalProperties": false, "required": []any{"date"},
			"properties": map[string]any{"date": map[string]any{"type": "string"}, "name": map[string]any{"type": "string"}, "closed": map[string]any{"type": "boolean"},
				"open": rangesSchema}}},
	},
}

// yamlFields lists a struct's fields as yaml.v3 decodes them: tag name (or
// the lower-cased field name), inline structs flattened, "-" skipped.
func yamlFields(t reflect.Type) []reflect.StructField {
	var out []reflect.StructField
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("yaml")
		name, opts, _ := strings.Cut(tag, ",")
		if !f.IsExported() || name == "-" {
			continue
		}
		if strings.Contains(opts, "inline") {
			out = append(out, yamlFields(f.Type)...)
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		f.Name = name
		out = append(out, f)
	}
	return out
}

func typeSchema(t reflect.Type) any {
	switch {
	case t == durationType || t == routingDuration:
		return map[string]any{"$ref": "#/$defs/duration"}
	case t == calendarType:
		return map[string]any{"$ref": "#/$defs/calendar"}
	case reflect.PointerTo(t).Implements(textUnmarshaler):
		return map[string]any{"type": "string"}
	}
	switch t.Kind() {
	case reflect.Pointer:
		return typeSchema(t.Elem())
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return map[string]any{"type": "integer"}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.Slice, reflect.Array:
		return map[string]any{"type": "array", "items": typeSchema(t.Elem())}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": typeSchema(t.Elem())}
	case reflect.Struct:
		props := map[string]any{}
		for _, f := range yamlFields(t) {
			props[f.Name] = typeSchema(f.Type)
		}
		return map[string]any{"type": "object", "additionalProperties": false, "properties": props}
	}
	return map[string]any{}
}

func generateConfigSchema() []byte {
	root := typeSchema(reflect.TypeOf(Config{})).(map[string]any)
	root["$schema"] = "https://json-schema.org/draft/2020-12/schema"
	root["$id"] = configSchemaID
	root["title"] = "Switchboard configuration (switchboard.yaml)"
	root["description"] = "Generated from the Config struct by TestConfigSchemaUpToDate; see docs/operations.md."
	root["$defs"] = map[string]any{"duration": durationSchema, "calendar": calendarSchema}
	b, err := json.MarshalIndent(root, "", "  ")
	if err != nil {
		panic(err)
	}
	return append(b, '\n')
}

func TestConfigSchemaUpToDate(t *testing.T) {
	want := generateConfigSchema()
	if *updateConfigSchema {
		if err := os.WriteFile(configSchemaFile, want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(configSchemaFile)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("configs/switchboard.schema.json is stale: run go test ./cmd/switchboard -run TestConfigSchemaUpToDate -update-config-schema")
	}
}

// TestConfigSchemaHasEveryField walks the Config struct and finds each
// field it decodes in the shipped schema, by path.
func TestConfigSchemaHasEveryField(t *testing.T) {
	var doc map[string]any
	data, err := os.ReadFile(configSchemaFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	defs := doc["$defs"].(map[string]any)
	var walk func(path string, typ reflect.Type, sch map[string]any)
	walk = func(path string, typ reflect.Type, sch map[string]any) {
		if ref, ok := sch["$ref"].(string); ok {
			sch = defs[strings.TrimPrefix(ref, "#/$defs/")].(map[string]any)
		}
		for typ.Kind() == reflect.Pointer {
			typ = typ.Elem()
		}
		switch {
		case typ == calendarType:
			props, _ := sch["properties"].(map[string]any)
			for _, k := range []string{"timezone", "weekly", "holidays", "exceptions"} {
				if props[k] == nil {
					t.Errorf("schema lacks %s.%s", path, k)
				}
			}
		case typ.Kind() == reflect.Struct && typ != durationType:
			props, _ := sch["properties"].(map[string]any)
			for _, f := range yamlFields(typ) {
				p, ok := props[f.Name].(map[string]any)
				if !ok {
					t.Errorf("schema lacks %s%s", path, f.Name)
					continue
				}
				walk(path+f.Name+".", f.Type, p)
			}
		case typ.Kind() == reflect.Map:
			if sub, ok := sch["additionalProperties"].(map[string]any); ok {
				walk(path+"*.", typ.Elem(), sub)
			} else {
				t.Errorf("schema of %s has no value schema", strings.TrimSuffix(path, "."))
			}
		case typ.Kind() == reflect.Slice:
			if sub, ok := sch["items"].(map[string]any); ok {
				walk(path+"[].", typ.Elem(), sub)
			} else {
				t.Errorf("schema of %s has no item schema", strings.TrimSuffix(path, "."))
			}
		}
	}
	walk("", reflect.TypeOf(Config{}), doc)
}

func compileConfigSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(generateConfigSchema()))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(configSchemaID, doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(configSchemaID)
	if err != nil {
		t.Fatal(err)
	}
	return sch
}

// yamlAsJSON decodes YAML into the values a JSON Schema validates.
func yamlAsJSON(t *testing.T, data []byte) any {
	t.Helper()
	var v any
	if err := yaml.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(jsonKeys(v))
	if err != nil {
		t.Fatal(err)
	}
	out, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func jsonKeys(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = jsonKeys(e)
		}
	case map[any]any:
		out := map[string]any{}
		for k, e := range x {
			out[yamlKey(k)] = jsonKeys(e)
		}
		return out
	case []any:
		for i := range x {
			x[i] = jsonKeys(x[i])
		}
	case time.Time: // an unquoted date (holidays) is text in the file
		return x.Format(time.DateOnly)
	}
	return v
}

func yamlKey(k any) string {
	b, _ := json.Marshal(k)
	return strings.Trim(string(b), `"`)
}

// TestShippedConfigsMatchSchema: every switchboard.yaml the project ships
// validates against the schema, and a misspelt key does not.
func TestShippedConfigsMatchSchema(t *testing.T) {
	sch := compileConfigSchema(t)
	files := []string{"../../configs/switchboard.yaml"}
	more, _ := filepath.Glob("../../configs/bench/*.yaml")
	files = append(files, more...)
	sort.Strings(files)
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := loadConfig(f); err != nil {
			continue // not a switchboard.yaml (a bench fixture of another kind)
		}
		if err := sch.Validate(yamlAsJSON(t, data)); err != nil {
			t.Errorf("%s does not match switchboard.schema.json:\n%v", f, err)
		}
	}
	data, _ := os.ReadFile("../../configs/switchboard.yaml")
	typo := strings.Replace(string(data), "\nsip:\n", "\nsipp:\n", 1)
	if typo == string(data) {
		t.Fatal("configs/switchboard.yaml has no top-level sip: to misspell")
	}
	if err := sch.Validate(yamlAsJSON(t, []byte(typo))); err == nil {
		t.Error("the schema accepts a misspelt top-level key (sipp)")
	}
	if !strings.HasPrefix(string(data), "# yaml-language-server: $schema=switchboard.schema.json\n") {
		t.Error("configs/switchboard.yaml does not start with its yaml-language-server schema line")
	}
}
