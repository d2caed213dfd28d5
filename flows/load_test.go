package flows

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"testing/fstest"

	"gopkg.in/yaml.v3"

	"github.com/switchboard-cc/switchboard/hours"
)

// testEnv is a switchboard.yaml's worth of names and a prompt store.
func testEnv(t testing.TB) Env {
	t.Helper()
	var cfg hours.Config
	if err := yaml.Unmarshal([]byte(`{timezone: Asia/Shanghai, weekly: {mon-fri: ["08:00-18:00"]}}`), &cfg); err != nil {
		t.Fatal(err)
	}
	cal, err := cfg.Build("office")
	if err != nil {
		t.Fatal(err)
	}
	prompts := fstest.MapFS{}
	for _, lang := range []string{"en", "zh"} {
		for _, name := range []string{"welcome", "menu", "bye", "again", "moh", "digits/1", "digits/2"} {
			prompts[lang+"/"+name+".wav"] = &fstest.MapFile{Data: []byte("RIFF")}
		}
	}
	prompts["en/english_only.wav"] = &fstest.MapFile{Data: []byte("RIFF")}
	return Env{
		Calendars: map[string]*hours.Calendar{"office": cal},
		Groups:    []string{"billing", "support"},
		Skills:    []string{"billing", "english"},
		Prompts:   prompts,
	}
}

func compile(t testing.TB, env Env, files ...string) (*Catalog, error) {
	t.Helper()
	srcs := make([]Source, len(files))
	for i, f := range files {
		srcs[i] = Source{Name: []string{"a.yaml", "b.yaml", "c.yaml"}[i], Data: []byte(f)}
	}
	return Compile(context.Background(), srcs, env)
}

func issuesOf(t *testing.T, err error) []string {
	t.Helper()
	if err == nil {
		return nil
	}
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("error %v is not a *ValidationError", err)
	}
	out := make([]string, len(ve.Issues))
	for i, is := range ve.Issues {
		out[i] = is.String()
	}
	return out
}

const minimal = `flow: small
numbers: ["100"]
language: en
start: hello
nodes:
  hello: {type: play, prompt: [welcome], next: bye}
  bye: {type: hangup}
`

func TestCompileMinimal(t *testing.T) {
	cat, err := compile(t, testEnv(t), minimal)
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	f := cat.Flows["small"]
	if f == nil || cat.ByNumber["100"] != f {
		t.Fatalf("catalog = %+v", cat)
	}
	hello := f.ByID["hello"]
	if f.Start != hello || hello.Next != f.ByID["bye"] || !hello.Play.Barge || hello.Index != 0 || f.Nodes[1].Index != 1 {
		t.Errorf("graph not wired: start=%v next=%v barge=%v", f.Start, hello.Next, hello.Play.Barge)
	}
	if want := (Pos{"a.yaml", 6, 3}); hello.Pos != want {
		t.Errorf("hello.Pos = %v; want %v", hello.Pos, want)
	}
	if f.ByID["bye"].Hangup.Cause != "normal" {
		t.Errorf("hangup cause default = %q", f.ByID["bye"].Hangup.Cause)
	}
}

// TestValidationIssues holds one case per class of problem the loader
// reports; each must come out at the right file:line:col.
func TestValidationIssues(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string // "line:col: message substring", in order
	}{
		{"unknown node type with hint", `flow: f
start: a
nodes:
  a: {type: paly, prompt: welcome, next: b}
  b: {type: hangup}
`, []string{`4:13: unknown node type "paly" (did you mean "play"?)`}},
		{"unknown field with hint", `flow: f
start: a
nodes:
  a: {type: play, promt: welcome, next: b}
  b: {type: hangup}
`, []string{`4:19: unknown field "promt" for a play node (did you mean "prompt"?)`, `4:3: play node "a" needs "prompt"`}},
		{"field of another type", `flow: f
start: a
nodes:
  a: {type: play, prompt: welcome, on_timeout: b, next: b}
  b: {type: hangup}
`, []string{`4:36: unknown field "on_timeout" for a play node ("on_timeout" belongs to [queue] nodes)`}},
		{"unknown flow field", `flow: f
strat: a
start: a
nodes:
  a: {type: hangup}
`, []string{`2:1: unknown flow field "strat" (did you mean "start"?)`}},
		{"missing flow fields", `description: nothing
`, []string{`1:1: flow needs "flow"`, `1:1: flow needs "start"`, `1:1: flow needs "nodes"`}},
		{"node without type", `flow: f
start: a
nodes:
  a: {prompt: welcome}
`, []string{`4:3: node "a" has no type`}},
		{"missing required field", `flow: f
start: a
nodes:
  a: {type: input, prompt: welcome, next: b}
  b: {type: hangup}
`, []string{`4:3: input node "a" needs "var"`}},
		{"dangling target with hint", `flow: f
start: a
nodes:
  a: {type: play, prompt: welcome, next: goodbye}
  goodby: {type: hangup}
`, []string{`4:42: unknown node "goodbye" (did you mean "goodby"?)`, `5:3: node "goodby" is unreachable`}},
		{"dangling start", `flow: f
start: begin
nodes:
  a: {type: hangup}
`, []string{`2:8: unknown node "begin"`}},
		{"unreachable node", `flow: f
start: a
nodes:
  a: {type: hangup}
  lost: {type: play, prompt: welcome, next: a}
`, []string{`5:3: node "lost" is unreachable from start "a"`}},
		{"loop without input or exit", `flow: f
start: a
nodes:
  a: {type: play, prompt: welcome, next: b}
  b: {type: set, vars: {x: "1"}, next: c}
  c: {type: switch, value: "{{x}}", cases: {"1": a}, default: b}
`, []string{`4:3: nodes a -> b -> c loop forever`}},
		{"self loop", `flow: f
start: a
nodes:
  a: {type: set, vars: {x: "1"}, next: a}
`, []string{`4:3: nodes a loop forever`}},
		{"prompt without audio", `flow: f
language: en
start: a
nodes:
  a: {type: play, prompt: [welcome, welcom, "digits:12", "digits:3", "sound:beep", "x_{{v}}"], next: b}
  b: {type: play, prompt: ["number:12", "number:13", "digits:2#"], next: c}
  c: {type: hangup}
`, []string{`5:37: prompt "welcom" has no audio file en/welcom.wav`, `5:58: prompt "digits:3" has no audio file en/digits/3.wav`,
			`6:41: prompt "number:13" has no audio file en/numbers/13.wav`, `6:54: prompt "digits:2#" has no audio file en/digits/pound.wav`}},
		{"prompt missing in a language set switches to", `flow: f
language: en
start: a
nodes:
  a: {type: set, vars: {language: zh}, next: b}
  b: {type: play, prompt: english_only, next: c}
  c: {type: hangup}
`, []string{`6:27: prompt "english_only" has no audio file zh/english_only.wav`}},
		{"bad durations", `flow: f
start: a
nodes:
  a: {type: menu, prompt: menu, options: {"1": b}, timeout: 5, retries: x}
  b: {type: record, max: 2 minutes, silence: -1s, next: c}
  c: {type: hangup}
`, []string{`4:61: a.timeout: bad duration "5": want a unit is missing (write 5s)`, `4:73: a.retries: "x" is not a whole number`, `5:26: b.max: bad duration "2 minutes"`, `5:46: b.silence: duration "-1s" must not be negative`}},
		{"unknown calendar, group, skill", `flow: f
start: a
nodes:
  a: {type: hours, calendar: ofice, open: b, closed: b}
  b: {type: queue, group: biling, skills: {englsh: 2, billing: 11}, next: c}
  c: {type: callback, group: sales, next: d}
  d: {type: hangup}
`, []string{`4:30: unknown calendar "ofice" (did you mean "office"?)`, `5:27: unknown group "biling" (did you mean "billing"?)`, `5:44: unknown skill "englsh" (did you mean "english"?)`, `5:64: b.skills.billing: level 11 is outside 1-10`, `6:30: unknown group "sales"`}},
		{"duplicate node ID", `flow: f
start: a
nodes:
  a: {type: hangup}
  a: {type: hangup}
`, []string{`5:3: duplicate node ID "a" (first at line 4)`}},
		{"bad templates", `flow: f
start: a
nodes:
  a: {type: set, vars: {x: "{{caller"}, next: b}
  b: {type: play, prompt: "n_{{ }}", next: c}
  c: {type: hangup}
`, []string{`4:28: a.vars.x: bad template: "{{caller": unclosed {{`, `5:27: b.prompt: bad template: "n_{{ }}": empty variable name`}},
		{"goto unknown flow and node", `flow: f
start: a
nodes:
  a: {type: menu, prompt: menu, options: {"1": b, "2": c}}
  b: {type: goto, flow: g}
  c: {type: goto, flow: f, node: nowhere}
`, []string{`5:25: goto: unknown flow "g"`, `6:34: goto: flow "f" has no node "nowhere"`}},
		{"menu keys not DTMF", `flow: f
start: a
nodes:
  a: {type: menu, prompt: menu, options: {"10": b, "A": b, "#": b}}
  b: {type: hangup}
`, []string{`4:43: a.options: "10" is not one DTMF key`, `4:52: a.options: "A" is not one DTMF key`}},
		{"digits min over max", `flow: f
start: a
nodes:
  a: {type: input, prompt: menu, var: acct, digits: {min: 8, max: 6, terminator: "##"}, next: b}
  b: {type: hangup}
`, []string{`4:59: a.digits: min 8 is more than max 6`, `4:82: a.digits.terminator "##" is not one DTMF key`}},
		{"queue needs group or skills, enum values", `flow: f
start: a
nodes:
  a: {type: queue, next: b}
  b: {type: transfer, to: "100", kind: numbr, on_fail: c}
  c: {type: hangup, cause: bussy}
`, []string{`4:3: queue node "a" needs "group" or "skills"`, `5:40: b.kind: "numbr" is not one of [number uri dialplan] (did you mean "number"?)`, `6:28: c.cause: "bussy" is not one of`}},
		{"yaml syntax error", "flow: f\nstart: a\nnodes:\n  a: {type: hangup\n", []string{`3:1: yaml: did not find expected ',' or '}'`}},
		{"wrong shapes", `flow: [f]
start: a
nodes:
  a: "just text"
`, []string{`1:7: flow must be a single value`, `4:6: node a must be a mapping`}},
	}
	env := testEnv(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := compile(t, env, tt.src)
			got := issuesOf(t, err)
			for _, w := range tt.want {
				found := false
				for _, g := range got {
					if strings.HasPrefix(g, "a.yaml:"+w) {
						found = true
					}
				}
				if !found {
					t.Errorf("missing issue %q\ngot:\n  %s", w, strings.Join(got, "\n  "))
				}
			}
			if len(got) != len(tt.want) {
				t.Errorf("got %d issues; want %d:\n  %s", len(got), len(tt.want), strings.Join(got, "\n  "))
			}
		})
	}
}

func TestIssuesSortedAcrossFiles(t *testing.T) {
	a := strings.Replace(minimal, "next: bye", "next: by", 1)
	b := `flow: other
numbers: ["100"]
start: x
nodes:
  x: {type: goto, flow: smal}
`
	_, err := compile(t, testEnv(t), b, a) // a.yaml holds b, b.yaml holds a
	got := issuesOf(t, err)
	want := []string{
		`a.yaml:5:25: goto: unknown flow "smal" (did you mean "small"?)`,
		`b.yaml:2:11: number "100" is already claimed by flow "other" (a.yaml:1:1)`,
		`b.yaml:6:48: unknown node "by" (did you mean "bye"?)`,
		`b.yaml:7:3: node "bye" is unreachable from start "hello"`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("issues:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

func TestDuplicateFlowName(t *testing.T) {
	b := strings.Replace(minimal, `"100"`, `"200"`, 1)
	got := issuesOf(t, func() error { _, err := compile(t, testEnv(t), minimal, b); return err }())
	if len(got) != 1 || !strings.HasPrefix(got[0], `b.yaml:1:7: flow "small" is already defined at a.yaml:1:7`) {
		t.Errorf("issues = %q", got)
	}
}

func TestTypoedTypeDoesNotCascade(t *testing.T) {
	// One typo'd type: the nodes behind it stay reachable through the
	// targets it names, so the report holds the typo only.
	src := `flow: f
start: a
nodes:
  a: {type: menu, prompt: menu, options: {"1": b}}
  b: {type: paly, prompt: welcome, next: c}
  c: {type: hangup}
`
	got := issuesOf(t, func() error { _, err := compile(t, testEnv(t), src); return err }())
	if len(got) != 1 || !strings.Contains(got[0], `unknown node type "paly"`) {
		t.Errorf("issues = %q", got)
	}
}

func TestCompiledDefaultsAndWiring(t *testing.T) {
	src := `flow: full
numbers: ["1", "+861"]
language: zh
vars: {tier: gold}
start: m
nodes:
  m:
    type: menu
    prompt: [welcome, menu]
    options: {1: i, 2: h, 3: sw, 4: q, 5: t, 6: r, 7: cb, 8: l, 9: g, "*": s, 0: p}
    invalid: again
  i: {type: input, prompt: menu, var: acct, next: bye}
  h: {type: hours, calendar: office, open: bye, closed: m}
  sw: {type: switch, value: "{{acct}}", cases: {"": i, "42": bye}, default: m}
  q: {type: queue, skills: {billing: 3}, announce: {position: true}, on_timeout: m, on_closed: m, next: bye}
  t: {type: transfer, to: "sip:{{acct}}@pbx", kind: uri, on_fail: m}
  r: {type: record, prompt: menu, next: bye}
  cb: {type: callback, on_fail: m, next: bye}
  l: {type: lookup, url: "http://x/{{acct}}", headers: {X-Id: "{{caller}}"}, next: bye}
  g: {type: goto, flow: full, node: m}
  s: {type: set, vars: {language: en, x: "{{tier}}"}, next: m}
  p: {type: play, prompt: welcome, barge: false, next: bye}
  bye: {type: hangup, cause: busy, continue: true}
`
	env := testEnv(t)
	cat, err := compile(t, env, src)
	if err != nil {
		t.Fatal(err)
	}
	f := cat.Flows["full"]
	n := f.ByID
	m := n["m"].Menu
	if m.Timeout != DefaultMenuTimeout || m.Retries != DefaultMenuRetries || len(m.NoInput) != 1 || m.NoInput[0].Name.Raw != "again" || m.Options["1"] != n["i"] || m.Options["*"] != n["s"] || m.OnFail != nil {
		t.Errorf("menu = %+v", m)
	}
	in := n["i"].Input
	if in.Min != 1 || in.Max != 20 || in.Terminator != "#" || in.FirstDigit != DefaultFirstDigit || in.InterDigit != DefaultInterDigit || in.Retries != 2 || n["i"].Next != n["bye"] {
		t.Errorf("input = %+v", in)
	}
	h := n["h"].Hours
	if h.Calendar != env.Calendars["office"] || h.Holiday != n["m"] || h.Closed != n["m"] || h.Open != n["bye"] {
		t.Errorf("hours = %+v", h)
	}
	sw := n["sw"].Switch
	if len(sw.Cases) != 2 || sw.Cases[0].Value != "" || sw.Cases[0].Target != n["i"] || sw.Cases[1].Value != "42" || sw.Default != n["m"] {
		t.Errorf("switch = %+v", sw)
	}
	q := n["q"].Queue
	if q.Skills["billing"] != 3 || q.Announce.Every != DefaultAnnounceEvery || !q.Announce.Position || len(q.Music) != 1 || q.Music[0].Name.Raw != "moh" || q.OnTimeout != n["m"] {
		t.Errorf("queue = %+v", q)
	}
	if tr := n["t"].Transfer; tr.Kind != "uri" || tr.Target.Raw != "sip:{{acct}}@pbx" || tr.OnFail != n["m"] {
		t.Errorf("transfer = %+v", tr)
	}
	if r := n["r"].Record; r.Max != DefaultRecordMax || r.Silence != DefaultRecordSilence || !r.Beep || r.Var != "recording" || r.Terminator != "#" {
		t.Errorf("record = %+v", r)
	}
	if cb := n["cb"].Callback; cb.Number.Raw != "{{caller}}" || cb.OnFail != n["m"] || n["cb"].Next != n["bye"] {
		t.Errorf("callback = %+v", cb)
	}
	l := n["l"].Lookup
	if l.Method != "GET" || l.Timeout != DefaultLookupTimeout || l.Result != "l" || l.OnError != n["bye"] || l.Headers["X-Id"].Raw != "{{caller}}" {
		t.Errorf("lookup = %+v", l)
	}
	if g := n["g"].Goto; g.Flow != "full" || g.Node != "m" {
		t.Errorf("goto = %+v", g)
	}
	s := n["s"].Set
	if len(s.Vars) != 2 || s.Vars[0].Var != "language" || s.Vars[1].Value.Raw != "{{tier}}" {
		t.Errorf("set = %+v", s)
	}
	if hg := n["bye"].Hangup; hg.Cause != "busy" || !hg.Continue {
		t.Errorf("hangup = %+v", hg)
	}
	if f.Vars["tier"] != "gold" || f.Language != "zh" || cat.ByNumber["+861"] != f {
		t.Errorf("flow = %+v", f)
	}
	if n["p"].Play.Barge {
		t.Errorf("play barge: false not honoured")
	}
	types := map[Type]bool{}
	for _, nd := range f.Nodes {
		types[nd.Type] = true
	}
	if len(types) != len(Types) {
		t.Errorf("test covers %d node types; want all %d", len(types), len(Types))
	}
}

func TestSkipsChecksWithoutConfig(t *testing.T) {
	// No groups, skills or prompt store: those names are not checked, but
	// calendars always are (the engine needs the calendar).
	src := `flow: f
start: q
nodes:
  q: {type: queue, group: anything, skills: {whatever: 1}, music: nothing, next: h}
  h: {type: hours, calendar: office, open: q, closed: q}
`
	got := issuesOf(t, func() error { _, err := compile(t, Env{}, src); return err }())
	if len(got) != 1 || !strings.Contains(got[0], `unknown calendar "office"; switchboard.yaml defines no calendars`) {
		t.Errorf("issues = %q", got)
	}
}

func TestExampleFlowsValidate(t *testing.T) {
	env := testEnv(t)
	env.Prompts = os.DirFS("../configs/prompts")
	data, err := os.ReadFile("../configs/switchboard.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		Calendars map[string]hours.Config `yaml:"calendars"`
	}
	if err := yaml.Unmarshal(data, &cfg); err != nil {
		t.Fatal(err)
	}
	cals, errs := hours.Build(cfg.Calendars)
	if len(errs) > 0 {
		t.Fatalf("calendars of switchboard.yaml: %v", errs)
	}
	env.Calendars = cals
	env.Groups = []string{"billing", "outage", "repair", "operator", "changes", "refunds", "agents"}
	cat, err := LoadDir(context.Background(), os.DirFS("../configs"), "flows", env)
	if err != nil {
		t.Fatalf("example flows:\n%v", err)
	}
	if cat.ByNumber["96069"] == nil || cat.Flows["heating-hotline"] == nil {
		t.Errorf("heating-hotline not in catalog: %v", cat.Flows)
	}
	if len(cat.Flows) < 2 {
		t.Errorf("want at least two example flows, got %d", len(cat.Flows))
	}
}

func TestLoadFromFS(t *testing.T) {
	fsys := fstest.MapFS{
		"flows/a.yaml":      {Data: []byte(minimal)},
		"flows/.a.yaml.swp": {Data: []byte("garbage")},
		"flows/notes.txt":   {Data: []byte("garbage")},
		"flows/sub/x.yaml":  {Data: []byte("garbage")},
	}
	cat, err := LoadDir(context.Background(), fsys, "flows", testEnv(t))
	if err != nil {
		t.Fatal(err)
	}
	if cat.Flows["small"].File != "flows/a.yaml" {
		t.Errorf("File = %q", cat.Flows["small"].File)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := LoadDir(ctx, fsys, "flows", testEnv(t)); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled Load err = %v", err)
	}
}

func TestMultipleDocumentsPerFile(t *testing.T) {
	second := strings.NewReplacer("small", "second", `"100"`, `"101"`).Replace(minimal)
	cat, err := compile(t, testEnv(t), minimal+"---\n"+second)
	if err != nil {
		t.Fatal(err)
	}
	if cat.Flows["second"].Pos.Line != 9 {
		t.Errorf("second flow at %v; want line 9", cat.Flows["second"].Pos)
	}
}
