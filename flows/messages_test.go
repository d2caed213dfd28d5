package flows

import (
	"slices"
	"testing"
)

// TestDesignerMessages holds the exact messages for the mistakes a
// newcomer makes first: each names the spot and says what to write.
func TestDesignerMessages(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{"unknown node type lists the types", `flow: f
start: a
nodes:
  a: {type: paly, prompt: welcome, next: b}
  b: {type: hangup}
`, []string{`a.yaml:4:13: unknown node type "paly" (did you mean "play"?); the types are play, menu, input, hours, switch, set, queue, transfer, record, callback, lookup, goto, hangup`}},
		{"unknown node type without a near one", `flow: f
start: a
nodes:
  a: {type: prompt, next: b}
  b: {type: hangup}
`, []string{`a.yaml:4:13: unknown node type "prompt"; the types are play, menu, input, hours, switch, set, queue, transfer, record, callback, lookup, goto, hangup`}},
		{"unknown group lists the groups", `flow: f
start: a
nodes:
  a: {type: queue, group: sales}
`, []string{`a.yaml:4:27: unknown group "sales"; switchboard.yaml defines groups billing, support`}},
		{"unknown skill lists the skills", `flow: f
start: a
nodes:
  a: {type: queue, skills: {french: 1}}
`, []string{`a.yaml:4:29: unknown skill "french"; switchboard.yaml defines skills billing, english`}},
		{"unquoted star key in a block mapping", `flow: f
start: m
nodes:
  m:
    type: menu
    prompt: welcome
    options:
      1: b
      *: b
  b: {type: hangup}
`, []string{`a.yaml:9:7: yaml: a bare * starts an alias (*name) in YAML; quote it: "*"`}},
		{"unquoted star key in a flow mapping", `flow: f
start: m
nodes:
  m:
    type: menu
    prompt: welcome
    options: {1: b, *: b}
  b: {type: hangup}
`, []string{`a.yaml:7:21: yaml: a bare * starts an alias (*name) in YAML; quote it: "*"`}},
		{"unquoted star terminator", `flow: f
start: i
nodes:
  i:
    type: input
    prompt: welcome
    var: account
    digits: {max: 6, terminator: *}
    next: b
  b: {type: hangup}
`, []string{`a.yaml:8:34: yaml: a bare * starts an alias (*name) in YAML; quote it: "*"`}},
		{"alias of no anchor", `flow: f
start: m
nodes:
  m: {type: play, prompt: welcome, next: *b}
  b: {type: hangup}
`, []string{`a.yaml:4:42: yaml: *b is an alias of an anchor &b that does not exist; for the text, quote it: "*b"`}},
		{"tab before a key", "flow: f\nstart: a\nnodes:\n  a:\n\ttype: hangup\n",
			[]string{`a.yaml:5:1: yaml: tab character in the indentation; YAML indents with spaces only`}},
		{"tab after a space, the library names the line before", "flow: f\nstart: a\nnodes:\n  a:\n    type: hangup\n  \t# spare\n",
			[]string{`a.yaml:6:3: yaml: tab character in the indentation; YAML indents with spaces only`}},
		{"a star inside quotes is fine, the real one is found", `flow: f
start: m
nodes:
  m:
    type: menu
    prompt: welcome
    options: {"*": b, '#': b, *: b}
  b: {type: hangup}
`, []string{`a.yaml:7:31: yaml: a bare * starts an alias (*name) in YAML; quote it: "*"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := compile(t, testEnv(t), tt.src)
			if got := issuesOf(t, err); !slices.Equal(got, tt.want) {
				t.Errorf("issues:\n%q\nwant:\n%q", got, tt.want)
			}
		})
	}
}

// A calendar that is defined but did not build (a nil Env entry) is the
// config's problem, reported there: the flows naming it add nothing.
func TestBrokenCalendarDoesNotCascade(t *testing.T) {
	env := testEnv(t)
	env.Calendars["office"] = nil
	src := `flow: f
start: h
nodes:
  h: {type: hours, calendar: office, open: b, closed: b}
  b: {type: hangup}
`
	if _, err := compile(t, env, src); err != nil {
		t.Errorf("Compile with a defined but broken calendar: %v", err)
	}
	delete(env.Calendars, "office")
	want := []string{`a.yaml:4:30: unknown calendar "office"; switchboard.yaml defines no calendars`}
	if got := issuesOf(t, func() error { _, err := compile(t, env, src); return err }()); !slices.Equal(got, want) {
		t.Errorf("issues = %q; want %q", got, want)
	}
}
