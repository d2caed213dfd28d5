package flows

import (
	"fmt"
	"strings"
)

// Template is text with {{var}} references, parsed once at load time.
type Template struct {
	Raw   string
	parts []templatePart
}

type templatePart struct {
	text  string
	isVar bool
}

// Vars resolves variable names while rendering.
type Vars interface {
	Get(name string) (string, bool)
}

// ParseTemplate parses s. A "{{" without a closing "}}" or an empty name is an
// error.
func ParseTemplate(s string) (Template, error) {
	t := Template{Raw: s}
	rest := s
	for {
		i := strings.Index(rest, "{{")
		if i < 0 {
			if rest != "" {
				t.parts = append(t.parts, templatePart{text: rest})
			}
			return t, nil
		}
		if i > 0 {
			t.parts = append(t.parts, templatePart{text: rest[:i]})
		}
		rest = rest[i+2:]
		j := strings.Index(rest, "}}")
		if j < 0 {
			return Template{}, fmt.Errorf("template %q: unclosed {{", s)
		}
		name := strings.TrimSpace(rest[:j])
		if name == "" {
			return Template{}, fmt.Errorf("template %q: empty variable name", s)
		}
		t.parts = append(t.parts, templatePart{text: name, isVar: true})
		rest = rest[j+2:]
	}
}

// MustTemplate parses s and panics on error; for tests and constants.
func MustTemplate(s string) Template {
	t, err := ParseTemplate(s)
	if err != nil {
		panic(err)
	}
	return t
}

// Static reports whether the template has no variables.
func (t Template) Static() bool {
	for _, p := range t.parts {
		if p.isVar {
			return false
		}
	}
	return true
}

// VarNames lists the variables the template refers to.
func (t Template) VarNames() []string {
	var names []string
	for _, p := range t.parts {
		if p.isVar {
			names = append(names, p.text)
		}
	}
	return names
}

// Render substitutes variables; an unknown variable renders as "".
func (t Template) Render(v Vars) string {
	if len(t.parts) == 1 && !t.parts[0].isVar {
		return t.parts[0].text
	}
	var b strings.Builder
	for _, p := range t.parts {
		if !p.isVar {
			b.WriteString(p.text)
			continue
		}
		if val, ok := v.Get(p.text); ok {
			b.WriteString(val)
		}
	}
	return b.String()
}
