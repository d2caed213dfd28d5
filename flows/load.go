package flows

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/switchboard-cc/switchboard/hours"
)

// Env is what flows may refer to outside themselves: the names defined in
// switchboard.yaml and the prompt audio. Validation checks every reference
// against it.
type Env struct {
	// Calendars by name; an hours node naming any other calendar is an
	// error (always checked: the engine needs the calendar itself). A nil
	// value is a calendar that is defined but did not build: its own
	// errors are the caller's to report, so an hours node naming it adds
	// no "unknown calendar" on top. Such an Env is for validation only.
	Calendars map[string]*hours.Calendar
	// Groups are the skill groups (queues). nil: not checked (no
	// switchboard.yaml at hand); non-nil, even empty: checked.
	Groups []string
	// Skills are the skill names agents can have. nil: not checked.
	Skills []string
	// Prompts is the prompt store, rooted at configs/prompts
	// (<lang>/<name>.wav). nil: prompt files are not checked.
	Prompts fs.FS
	// CheckURL vets a lookup's fixed origin ("https://host:port") beyond
	// the scheme and the rule that variables stay out of it, e.g. refusing
	// link-local and cloud metadata addresses; the message is the reason.
	// nil: not checked (serve and validate set it from the lookup package).
	CheckURL func(origin string) error
}

// Source is one flow file's content and the name positions report it by.
type Source struct {
	Name string
	Data []byte
}

// FlowFiles lists the flow files (*.yaml, *.yml) directly in dir of fsys,
// sorted.
func FlowFiles(fsys fs.FS, dir string) ([]string, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("read flow directory: %w", err)
	}
	var out []string
	for _, e := range entries {
		if e.IsDir() || !IsFlowFile(e.Name()) {
			continue
		}
		out = append(out, path.Join(dir, e.Name()))
	}
	sort.Strings(out)
	return out, nil
}

// IsFlowFile reports whether name looks like a flow file (.yaml or .yml, not
// hidden: editors' swap and backup files are skipped).
func IsFlowFile(name string) bool {
	base := path.Base(strings.ReplaceAll(name, "\\", "/"))
	if strings.HasPrefix(base, ".") {
		return false
	}
	ext := path.Ext(base)
	return ext == ".yaml" || ext == ".yml"
}

// LoadDir loads every flow file directly in dir of fsys: the form the server
// uses, with os.DirFS("configs") or an embed.FS alike.
func LoadDir(ctx context.Context, fsys fs.FS, dir string, env Env) (*Catalog, error) {
	paths, err := FlowFiles(fsys, dir)
	if err != nil {
		return nil, err
	}
	return Load(ctx, fsys, paths, env)
}

// Limits on what a flow file may hold. A hand-written flow is a few
// kilobytes and tens of nodes; these bounds are far above that and keep a
// runaway or hostile file from costing gigabytes and minutes to validate.
const (
	MaxFileBytes = 1 << 20
	MaxNodes     = 2000
)

// Load reads the named files of fsys and compiles them into one Catalog.
// Issues are reported with the paths as given.
func Load(ctx context.Context, fsys fs.FS, paths []string, env Env) (*Catalog, error) {
	srcs := make([]Source, 0, len(paths))
	for _, p := range paths {
		src, err := ReadSource(fsys, p, p)
		if err != nil {
			return nil, err
		}
		srcs = append(srcs, src)
	}
	return Compile(ctx, srcs, env)
}

// ReadSource reads path of fsys as the Source called name. It reads at most
// one byte past MaxFileBytes, so an oversized file costs no more memory
// than that and Compile reports it as too large.
func ReadSource(fsys fs.FS, path, name string) (Source, error) {
	f, err := fsys.Open(path)
	if err != nil {
		return Source{}, fmt.Errorf("read flow file: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileBytes+1))
	if err != nil {
		return Source{}, fmt.Errorf("read flow file %s: %w", name, err)
	}
	return Source{Name: name, Data: data}, nil
}

// Compile parses, validates and compiles the sources into one immutable
// Catalog. Every problem in every source is reported together, as a
// *ValidationError sorted by position; a Catalog is returned only when there
// are none. A file may hold several flows as YAML documents separated by ---.
func Compile(ctx context.Context, srcs []Source, env Env) (*Catalog, error) {
	l := &loader{env: env}
	for _, src := range srcs {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("compile flows: %w", err)
		}
		l.parseFile(src)
	}
	l.check()
	if len(l.issues) > 0 {
		sortIssues(l.issues)
		return nil, &ValidationError{Issues: l.issues}
	}
	cat := &Catalog{Flows: map[string]*Flow{}, ByNumber: map[string]*Flow{}}
	for _, fb := range l.flows {
		cat.Flows[fb.f.Name] = fb.f
		for _, n := range fb.f.Numbers {
			cat.ByNumber[n] = fb.f
		}
	}
	return cat, nil
}

type loader struct {
	env    Env
	issues []Issue
	flows  []*flowBuild
}

func (l *loader) add(p Pos, format string, args ...any) {
	l.issues = append(l.issues, Issue{Pos: p, Message: fmt.Sprintf(format, args...)})
}

// flowBuild is a flow being compiled, with what the checks need.
type flowBuild struct {
	f         *Flow
	nameNode  *yaml.Node
	refs      []ref
	gotos     []gotoRef
	numberPos []Pos
	prompts   []PromptRef
	languages []string       // set nodes' static language values
	broken    map[*Node]bool // nodes that failed to compile (unknown type)
	hints     map[*Node][]string
	langPos   Pos
	langs     map[string]bool
}

// ref is a target written in a flow, resolved once every node exists.
type ref struct {
	name string
	pos  Pos
	set  func(*Node)
}

type gotoRef struct {
	node             *Node
	spec             *GotoSpec
	flowPos, nodePos Pos
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

func (l *loader) parseFile(src Source) {
	if len(src.Data) > MaxFileBytes {
		l.add(Pos{File: src.Name, Line: 1, Col: 1}, "file is larger than %d KiB: split it into several flow files", MaxFileBytes>>10)
		return
	}
	dec := yaml.NewDecoder(bytes.NewReader(src.Data))
	docs := 0
	for {
		var doc yaml.Node
		err := decodeSafely(dec, &doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			p, msg := yamlIssue(src.Name, src.Data, err)
			l.add(p, "%s", msg)
			return
		}
		if len(doc.Content) == 0 {
			continue
		}
		docs++
		l.parseFlow(src.Name, doc.Content[0])
	}
	if docs == 0 {
		l.add(Pos{File: src.Name, Line: 1, Col: 1}, "file holds no flow")
	}
}

// decodeSafely turns a panic inside the YAML library into an error, so a
// hostile file can never take the server down.
func decodeSafely(dec *yaml.Decoder, n *yaml.Node) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("yaml: unreadable document: %v", r)
		}
	}()
	return dec.Decode(n)
}

func posOf(file string, n *yaml.Node) Pos { return Pos{File: file, Line: n.Line, Col: n.Column} }

// resolve follows YAML aliases (*name) to the node they stand for.
func resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 16; i++ {
		n = n.Alias
	}
	return n
}

// pair is one key: value of a mapping.
type pair struct {
	key, val *yaml.Node
}

// mapping returns the pairs of a mapping node in file order; a repeated key
// is reported and dropped.
func (l *loader) mapping(file string, n *yaml.Node, what string) ([]pair, bool) {
	n = resolve(n)
	if n == nil || n.Kind != yaml.MappingNode {
		if n != nil {
			l.add(posOf(file, n), "%s must be a mapping (key: value)", what)
		}
		return nil, false
	}
	seen := map[string]*yaml.Node{}
	var out []pair
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := resolve(n.Content[i]), resolve(n.Content[i+1])
		if k == nil || v == nil {
			continue
		}
		if k.Kind != yaml.ScalarNode {
			l.add(posOf(file, k), "%s: keys must be plain names", what)
			continue
		}
		if first, dup := seen[k.Value]; dup {
			if what == "nodes" {
				l.add(posOf(file, k), "duplicate node ID %q (first at line %d)", k.Value, first.Line)
			} else {
				l.add(posOf(file, k), "%s: %q is given twice (first at line %d)", what, k.Value, first.Line)
			}
			continue
		}
		seen[k.Value] = k
		out = append(out, pair{k, v})
	}
	return out, true
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

func (l *loader) parseFlow(file string, root *yaml.Node) {
	f := &Flow{File: file, Pos: posOf(file, root), ByID: map[string]*Node{}, Vars: map[string]string{}, Language: defaultLanguage}
	fb := &flowBuild{f: f, broken: map[*Node]bool{}, hints: map[*Node][]string{}}
	pairs, ok := l.mapping(file, root, "a flow")
	if !ok {
		return
	}
	got := map[string]pair{}
	for _, p := range pairs {
		if _, known := findField(flowFields, p.key.Value); !known {
			l.add(posOf(file, p.key), "unknown flow field %q%s", p.key.Value, didYouMean(p.key.Value, fieldNames(flowFields)))
			continue
		}
		got[p.key.Value] = p
	}
	for _, fd := range flowFields {
		if _, ok := got[fd.Name]; fd.Required && !ok {
			l.add(f.Pos, "flow needs %q", fd.Name)
		}
	}
	s := scalars{l: l, file: file}
	if p, ok := got["flow"]; ok {
		f.Name = s.str(p.val, "flow")
		fb.nameNode = p.val
		if f.Name != "" && !validName(f.Name) {
			l.add(posOf(file, p.val), "flow name %q: use letters, digits, '-', '_' and '.'", f.Name)
		}
	}
	if p, ok := got["description"]; ok {
		f.Description = s.str(p.val, "description")
	}
	if p, ok := got["language"]; ok {
		f.Language = s.str(p.val, "language")
		fb.langPos = posOf(file, p.val)
		if f.Language == "" {
			l.add(posOf(file, p.val), "language must not be empty")
		}
	}
	if p, ok := got["numbers"]; ok {
		for _, item := range s.list(p.val, "numbers") {
			num := s.str(item, "a number")
			if num == "" || strings.ContainsAny(num, " \t") {
				l.add(posOf(file, item), "dialed number %q must be non-empty and without spaces", num)
				continue
			}
			f.Numbers = append(f.Numbers, num)
			fb.numberPos = append(fb.numberPos, posOf(file, item))
		}
	}
	if p, ok := got["vars"]; ok {
		vp, _ := l.mapping(file, p.val, "vars")
		for _, v := range vp {
			if !validVar(v.key.Value) {
				l.add(posOf(file, v.key), "variable name %q: use letters, digits, '_' and '.'", v.key.Value)
			}
			f.Vars[v.key.Value] = s.str(v.val, "a variable's value")
		}
	}
	if p, ok := got["nodes"]; ok {
		if n := len(p.val.Content) / 2; p.val.Kind == yaml.MappingNode && n > MaxNodes {
			l.add(posOf(file, p.val), "flow has %d nodes; at most %d are allowed: split it with goto", n, MaxNodes)
			return // its nodes are not built, so nothing else about it would be true
		}
		l.parseNodes(fb, p.val)
	}
	if p, ok := got["start"]; ok {
		name := s.str(p.val, "start")
		fb.refs = append(fb.refs, ref{name: name, pos: posOf(file, p.val), set: func(n *Node) { f.Start = n }})
	}
	l.flows = append(l.flows, fb)
}

const defaultLanguage = "en"

var (
	nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)
	varRE  = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*$`)
)

func validName(s string) bool { return nameRE.MatchString(s) }
func validVar(s string) bool  { return varRE.MatchString(s) }

func (l *loader) parseNodes(fb *flowBuild, n *yaml.Node) {
	file := fb.f.File
	pairs, ok := l.mapping(file, n, "nodes")
	if !ok {
		return
	}
	if len(pairs) == 0 {
		l.add(posOf(file, n), "nodes is empty")
	}
	for _, p := range pairs {
		id := p.key.Value
		node := &Node{ID: id, Pos: posOf(file, p.key), Index: len(fb.f.Nodes)}
		if !validName(id) {
			l.add(node.Pos, "node ID %q: use letters, digits, '-', '_' and '.'", id)
		}
		fb.f.Nodes = append(fb.f.Nodes, node)
		fb.f.ByID[id] = node
		l.parseNode(fb, node, p.val)
	}
}
