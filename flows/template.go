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

// Escaper rewrites a variable's value for the place it is inserted at;
// sofar is the text rendered before it (literal text and earlier, already
// escaped values), so the escaper can tell the context (a URL's query, a
// JSON string) from it.
type Escaper func(sofar, value string) string

// RenderEscaped substitutes variables like Render, passing each value
// through esc. Literal text is never escaped: it is the flow designer's,
// while the values may come from the caller.
func (t Template) RenderEscaped(v Vars, esc Escaper) string {
	var b strings.Builder
	for _, p := range t.parts {
		if !p.isVar {
			b.WriteString(p.text)
			continue
		}
		if val, ok := v.Get(p.text); ok {
			b.WriteString(esc(b.String(), val))
		}
	}
	return b.String()
}

// LiteralPrefix is the text before the first variable (all of it for a
// static template): what a designer fixed, such as a URL's scheme and host.
func (t Template) LiteralPrefix() string {
	if len(t.parts) == 0 || t.parts[0].isVar {
		return ""
	}
	return t.parts[0].text
}

// checkLookupURL says what is wrong with a lookup URL, or "" when nothing
// is. The scheme and host are the designer's, never a caller's: variables
// may stand in the path and query only, so a caller's input cannot turn a
// lookup into a request to another server.
func (l *loader) checkLookupURL(t Template) string {
	lit := t.LiteralPrefix()
	lower := strings.ToLower(lit)
	var rest string
	switch {
	case strings.HasPrefix(lower, "http://"):
		rest = lit[len("http://"):]
	case strings.HasPrefix(lower, "https://"):
		rest = lit[len("https://"):]
	case t.Raw == "":
		return "" // "url" required is reported on its own
	default:
		return fmt.Sprintf("%q: a lookup URL starts with http:// or https://", t.Raw)
	}
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		if !t.Static() {
			return fmt.Sprintf("%q: variables may stand in the path and query, not in the host: write the host out, then '/'", t.Raw)
		}
		end = len(rest)
	}
	if rest[:end] == "" {
		return fmt.Sprintf("%q: the URL names no host", t.Raw)
	}
	origin := lit[:len(lit)-len(rest)+end]
	if l.env.CheckURL != nil {
		if err := l.env.CheckURL(origin); err != nil {
			return err.Error()
		}
	}
	return ""
}
