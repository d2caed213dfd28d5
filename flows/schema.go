package flows

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
)

// SchemaJSON is the JSON Schema (draft 2020-12) of the flow language, for
// editors: with the VS Code YAML extension, map it to configs/flows/*.yaml
// and flows autocomplete and show field documentation. A test keeps it
// equal to GenerateSchema, which derives it from the loader's field tables.
//
//go:embed schema.json
var SchemaJSON []byte

// SchemaID is the schema's $id.
const SchemaID = "https://switchboard-cc.github.io/switchboard/flows/schema.json"

// durationPattern matches what time.ParseDuration accepts, unsigned.
const durationPattern = `^([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|ms|s|m|h)(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|ms|s|m|h))*$`

// GenerateSchema builds the schema from the field tables.
func GenerateSchema() ([]byte, error) {
	defs := map[string]any{
		"duration": map[string]any{"type": "string", "pattern": durationPattern, "description": "A duration with a unit: 500ms, 5s, 1.5m, 2m30s."},
		"target":   map[string]any{"type": "string", "pattern": nameRE.String(), "description": "The ID of a node of this flow."},
		"prompt":   map[string]any{"type": "string", "minLength": 1, "description": "A prompt: a file name of the prompt set (welcome -> <lang>/welcome.wav), digits:{{var}}, number:{{var}} or sound:<asterisk sound>. {{var}} templates allowed."},
		"prompts": map[string]any{"anyOf": []any{
			map[string]any{"$ref": "#/$defs/prompt"},
			map[string]any{"type": "array", "items": map[string]any{"$ref": "#/$defs/prompt"}, "minItems": 1},
		}, "description": "One prompt or a list played in order."},
		"dtmf":          map[string]any{"type": "string", "enum": []any{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "#", ""}, "description": "One DTMF key, or \"\" for none."},
		"digits":        objectSchema(digitsFields, "", "How many digits an input node collects."),
		"announce":      objectSchema(announceFields, "", "Announcements while the caller waits in the queue."),
		"overflow_step": overflowStepSchema(),
	}
	var cases []any
	for _, t := range Types {
		defs[string(t)] = objectSchema(nodeFields[t], t, "")
		cases = append(cases, map[string]any{
			"if":   map[string]any{"properties": map[string]any{"type": map[string]any{"const": string(t)}}, "required": []any{"type"}},
			"then": map[string]any{"$ref": "#/$defs/" + string(t)},
		})
	}
	defs["node"] = map[string]any{
		"type":        "object",
		"description": "A node: its type decides the other fields.",
		"required":    []any{"type"},
		"properties":  map[string]any{"type": propSchema(nodeTypeField)},
		"allOf":       cases,
	}
	root := objectSchema(flowFields, "", "A Switchboard call flow.")
	root["$schema"] = "https://json-schema.org/draft/2020-12/schema"
	root["$id"] = SchemaID
	root["title"] = "Switchboard call flow"
	root["$defs"] = defs
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // "<lang>" reads better than "\u003clang\u003e"
	enc.SetIndent("", "  ")
	if err := enc.Encode(root); err != nil {
		return nil, fmt.Errorf("marshal schema: %w", err)
	}
	return b.Bytes(), nil
}

func objectSchema(fields []field, t Type, doc string) map[string]any {
	props := map[string]any{}
	var required []any
	if t != "" {
		props["type"] = map[string]any{"const": string(t)}
		required = append(required, "type")
	}
	for _, f := range fields {
		props[f.Name] = propSchema(f)
		if f.Required {
			required = append(required, f.Name)
		}
	}
	s := map[string]any{"type": "object", "properties": props, "additionalProperties": false}
	if len(required) > 0 {
		s["required"] = required
	}
	if doc != "" {
		s["description"] = doc
	}
	return s
}

func propSchema(f field) map[string]any {
	var s map[string]any
	ref := func(name string) map[string]any { return map[string]any{"$ref": "#/$defs/" + name} }
	switch f.Kind {
	case kString, kTemplate:
		s = map[string]any{"type": "string"}
	case kTarget:
		s = ref("target")
	case kPrompts:
		s = ref("prompts")
	case kDuration:
		s = ref("duration")
	case kInt:
		s = map[string]any{"type": "integer"}
	case kBool:
		s = map[string]any{"type": "boolean"}
	case kDTMF:
		s = ref("dtmf")
	case kDigits:
		s = ref("digits")
	case kAnnounce:
		s = ref("announce")
	case kOverflow:
		s = map[string]any{"type": "array", "items": ref("overflow_step"), "minItems": 1}
	case kStringList:
		s = map[string]any{"type": "array", "items": map[string]any{"type": "string"}}
	case kStringMap, kTemplateMap:
		s = map[string]any{"type": "object", "additionalProperties": map[string]any{"type": []any{"string", "number", "boolean"}}}
	case kSkills:
		s = map[string]any{"type": "object", "additionalProperties": map[string]any{"type": "integer", "minimum": 1, "maximum": 10}}
	case kCases:
		s = map[string]any{"type": "object", "additionalProperties": ref("target")}
	case kOptions:
		s = map[string]any{"type": "object", "minProperties": 1, "propertyNames": map[string]any{"pattern": "^[0-9*#]$"}, "additionalProperties": ref("target")}
	case kNodeType:
		names := make([]any, len(Types))
		for i, t := range Types {
			names[i] = string(t)
		}
		s = map[string]any{"enum": names}
	case kNodes:
		s = map[string]any{"type": "object", "minProperties": 1, "propertyNames": map[string]any{"pattern": nameRE.String()}, "additionalProperties": ref("node")}
	default:
		panic(fmt.Sprintf("flows: field %s has no schema for kind %d", f.Name, f.Kind))
	}
	if len(f.Enum) > 0 {
		enum := make([]any, len(f.Enum))
		for i, e := range f.Enum {
			enum[i] = e
		}
		s["enum"] = enum
	}
	doc := f.Doc
	if f.Default != "" {
		doc += " Default: " + f.Default + "."
	}
	s["description"] = doc
	if f.Kind == kInt && (f.Name == "retries") {
		s["minimum"] = 0
	}
	return s
}

// overflowStepSchema is one step of a queue node's overflow: its skills
// may be 0 (dropped), unlike the node's own skills.
func overflowStepSchema() map[string]any {
	s := objectSchema(overflowStepFields, "", "One overflow step of a queue node: after this wait, these skills of the node's own need only these levels.")
	props := s["properties"].(map[string]any)
	props["skills"].(map[string]any)["additionalProperties"] = map[string]any{"type": "integer", "minimum": 0, "maximum": 10}
	props["skills"].(map[string]any)["minProperties"] = 1
	return s
}
