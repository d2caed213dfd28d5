package flows

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// scalars decodes single values, reporting each problem at the value.
type scalars struct {
	l    *loader
	file string
}

func (s scalars) pos(n *yaml.Node) Pos { return posOf(s.file, n) }

func (s scalars) str(n *yaml.Node, what string) string {
	n = resolve(n)
	if n.Kind != yaml.ScalarNode {
		s.l.add(s.pos(n), "%s must be a single value, not a list or mapping", what)
		return ""
	}
	if isNull(n) {
		s.l.add(s.pos(n), "%s is empty", what)
		return ""
	}
	return n.Value
}

func (s scalars) list(n *yaml.Node, what string) []*yaml.Node {
	n = resolve(n)
	switch n.Kind {
	case yaml.SequenceNode:
		out := make([]*yaml.Node, 0, len(n.Content))
		for _, c := range n.Content {
			out = append(out, resolve(c))
		}
		return out
	case yaml.ScalarNode:
		return []*yaml.Node{n}
	}
	s.l.add(s.pos(n), "%s must be a list", what)
	return nil
}

func (s scalars) template(n *yaml.Node, what string) Template {
	raw := s.str(n, what)
	t, err := ParseTemplate(raw)
	if err != nil {
		s.l.add(s.pos(n), "%s: bad template: %s", what, strings.TrimPrefix(err.Error(), "template "))
	}
	return t
}

func (s scalars) duration(n *yaml.Node, what string) time.Duration {
	raw := s.str(n, what)
	if raw == "" {
		return 0
	}
	d, err := time.ParseDuration(raw)
	if err != nil {
		hint := "a number with a unit, e.g. 5s, 1.5m or 2m30s"
		if _, nerr := strconv.ParseFloat(raw, 64); nerr == nil {
			hint = fmt.Sprintf("a unit is missing (write %ss)", raw)
		}
		s.l.add(s.pos(n), "%s: bad duration %q: want %s", what, raw, hint)
		return 0
	}
	if d < 0 {
		s.l.add(s.pos(n), "%s: duration %q must not be negative", what, raw)
		return 0
	}
	return d
}

func (s scalars) integer(n *yaml.Node, what string) int {
	raw := s.str(n, what)
	if raw == "" {
		return 0
	}
	v, err := strconv.Atoi(raw)
	if err != nil {
		s.l.add(s.pos(n), "%s: %q is not a whole number", what, raw)
		return 0
	}
	return v
}

func (s scalars) boolean(n *yaml.Node, what string) bool {
	n = resolve(n)
	var b bool
	if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" || n.Decode(&b) != nil {
		s.l.add(s.pos(n), "%s must be true or false", what)
	}
	return b
}

// dtmf decodes one key (0-9, *, #) or "" (none).
func (s scalars) dtmf(n *yaml.Node, what string) string {
	n = resolve(n)
	if n.Kind == yaml.ScalarNode && (isNull(n) || n.Value == "") {
		return ""
	}
	v := s.str(n, what)
	if !isDTMF(v) {
		s.l.add(s.pos(n), "%s %q is not one DTMF key (0-9, *, #)", what, v)
	}
	return v
}

func isDTMF(s string) bool {
	return len(s) == 1 && strings.Contains("0123456789*#", s)
}

var promptKinds = []string{"digits", "number", "sound"}

// prompts decodes a prompt field: one item or a list of items.
func (s scalars) prompts(n *yaml.Node, what string) []PromptRef {
	var out []PromptRef
	items := s.list(n, what)
	if n := resolve(n); n.Kind == yaml.SequenceNode && len(items) == 0 {
		s.l.add(s.pos(n), "%s is an empty list", what)
	}
	for _, item := range items {
		raw := s.str(item, what)
		if raw == "" {
			continue
		}
		p := PromptRef{Kind: "file", Pos: s.pos(item)}
		name := raw
		if i := strings.IndexByte(raw, ':'); i >= 0 && !strings.Contains(raw[:i], "{{") {
			k := raw[:i]
			switch k {
			case "digits", "number", "sound":
				p.Kind, name = k, raw[i+1:]
			default:
				s.l.add(s.pos(item), "%s: unknown prompt kind %q in %q (use digits:, number:, sound: or a file name)%s", what, k+":", raw, didYouMean(k, promptKinds))
				continue
			}
			if name == "" {
				s.l.add(s.pos(item), "%s: %q names nothing", what, raw)
				continue
			}
		}
		t, err := ParseTemplate(name)
		if err != nil {
			s.l.add(s.pos(item), "%s: bad template: %s", what, strings.TrimPrefix(err.Error(), "template "))
			continue
		}
		if p.Kind == "file" && t.Static() && (strings.HasSuffix(name, ".wav") || strings.Contains(name, "..") || strings.HasPrefix(name, "/")) {
			s.l.add(s.pos(item), "%s: prompt %q: give the name without .wav and without a directory outside the prompt set", what, raw)
			continue
		}
		p.Name = t
		out = append(out, p)
	}
	return out
}
