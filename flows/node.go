package flows

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Defaults the compiler fills in, so the engine never has to.
const (
	DefaultMenuTimeout    = 5 * time.Second
	DefaultMenuRetries    = 3
	DefaultFirstDigit     = 5 * time.Second
	DefaultInterDigit     = 3 * time.Second
	DefaultInputRetries   = 2
	DefaultMinDigits      = 1
	DefaultMaxDigits      = 20
	DefaultTerminator     = "#"
	DefaultRecordMax      = 120 * time.Second
	DefaultRecordSilence  = 5 * time.Second
	DefaultRecordVar      = "recording"
	DefaultLookupTimeout  = 2 * time.Second
	DefaultAnnounceEvery  = 60 * time.Second
	DefaultHangupCause    = "normal"
	DefaultTransferKind   = "number"
	DefaultMusicOnHold    = "moh"
	DefaultCallbackNumber = "{{caller}}"
)

// nodeCtx decodes one node's fields.
type nodeCtx struct {
	s   scalars
	fb  *flowBuild
	n   *Node
	got map[string]*yaml.Node
}

func (c *nodeCtx) what(name string) string { return c.n.ID + "." + name }

func (c *nodeCtx) field(name string) (*yaml.Node, bool) {
	v, ok := c.got[name]
	return v, ok
}

func (c *nodeCtx) str(name, def string) string {
	if v, ok := c.got[name]; ok {
		return c.s.str(v, c.what(name))
	}
	return def
}

func (c *nodeCtx) enum(name, def string) string {
	v, ok := c.got[name]
	if !ok {
		return def
	}
	s := c.s.str(v, c.what(name))
	fd, _ := findField(nodeFields[c.n.Type], name)
	if s != "" && !slices.Contains(fd.Enum, s) {
		c.s.l.add(c.s.pos(v), "%s: %q is not one of %v%s", c.what(name), s, fd.Enum, didYouMean(s, fd.Enum))
	}
	return s
}

func (c *nodeCtx) template(name, def string) Template {
	if v, ok := c.got[name]; ok {
		return c.s.template(v, c.what(name))
	}
	return MustTemplate(def)
}

func (c *nodeCtx) duration(name string, def time.Duration) time.Duration {
	if v, ok := c.got[name]; ok {
		return c.s.duration(v, c.what(name))
	}
	return def
}

// positiveDuration is duration for a field where 0s makes no sense.
func (c *nodeCtx) positiveDuration(name string, def time.Duration) time.Duration {
	v, ok := c.got[name]
	if !ok {
		return def
	}
	before := len(c.s.l.issues)
	d := c.s.duration(v, c.what(name))
	if d == 0 && len(c.s.l.issues) == before {
		c.s.l.add(c.s.pos(v), "%s must be more than 0s", c.what(name))
	}
	return d
}

func (c *nodeCtx) integer(name string, def int) int {
	if v, ok := c.got[name]; ok {
		return c.s.integer(v, c.what(name))
	}
	return def
}

func (c *nodeCtx) boolean(name string, def bool) bool {
	if v, ok := c.got[name]; ok {
		return c.s.boolean(v, c.what(name))
	}
	return def
}

func (c *nodeCtx) dtmf(name, def string) string {
	if v, ok := c.got[name]; ok {
		return c.s.dtmf(v, c.what(name))
	}
	return def
}

func (c *nodeCtx) prompts(name string) []PromptRef {
	v, ok := c.got[name]
	if !ok {
		return nil
	}
	ps := c.s.prompts(v, c.what(name))
	c.fb.prompts = append(c.fb.prompts, ps...)
	return ps
}

// target records a reference to a node of this flow; set runs once the
// whole flow is parsed and the name resolves.
func (c *nodeCtx) target(name string, set func(*Node)) {
	v, ok := c.got[name]
	if !ok {
		return
	}
	c.targetAt(v, c.what(name), set)
}

func (c *nodeCtx) targetAt(v *yaml.Node, what string, set func(*Node)) {
	id := c.s.str(v, what)
	if id == "" {
		return
	}
	c.fb.refs = append(c.fb.refs, ref{name: id, pos: c.s.pos(v), set: set})
}

// checkName reports a name that is not in known (when known is non-nil).
func (c *nodeCtx) checkName(v *yaml.Node, kindName, name string, known []string) {
	if known == nil || name == "" || slices.Contains(known, name) {
		return
	}
	c.s.l.add(c.s.pos(v), "unknown %s %q%s; %s", kindName, name, didYouMean(name, known), defines(kindName, known))
}

// defines says which names of a kind switchboard.yaml has, for the
// message about a name it lacks.
func defines(kindName string, names []string) string {
	if len(names) == 0 {
		return "switchboard.yaml defines no " + kindName + "s"
	}
	return fmt.Sprintf("switchboard.yaml defines %ss %s", kindName, strings.Join(names, ", "))
}

func (l *loader) parseNode(fb *flowBuild, n *Node, v *yaml.Node) {
	file := fb.f.File
	pairs, ok := l.mapping(file, v, "node "+n.ID)
	if !ok {
		fb.broken[n] = true
		return
	}
	got := map[string]*yaml.Node{}
	keys := map[string]*yaml.Node{}
	for _, p := range pairs {
		got[p.key.Value] = p.val
		keys[p.key.Value] = p.key
	}
	s := scalars{l: l, file: file}
	tv, ok := got["type"]
	if !ok {
		l.add(n.Pos, "node %q has no type (one of %v)", n.ID, typeNames())
		fb.broken[n] = true
		fb.hints[n] = targetHints(got, s)
		return
	}
	typ := Type(s.str(tv, n.ID+".type"))
	fields, known := nodeFields[typ]
	if !known {
		if typ != "" {
			l.add(s.pos(tv), "unknown node type %q%s; the types are %s", typ, didYouMean(string(typ), typeNames()), strings.Join(typeNames(), ", "))
		}
		fb.broken[n] = true
		fb.hints[n] = targetHints(got, s)
		return
	}
	n.Type = typ
	delete(got, "type")
	for name, val := range got {
		if _, ok := findField(fields, name); ok {
			continue
		}
		hint := didYouMean(name, fieldNames(fields))
		if hint == "" {
			if owner := fieldOwner(name); owner != "" {
				hint = fmt.Sprintf(" (%q belongs to %s nodes)", name, owner)
			}
		}
		l.add(posOf(file, keys[name]), "unknown field %q for a %s node%s", name, typ, hint)
		delete(got, name)
		_ = val
	}
	for _, fd := range fields {
		if _, ok := got[fd.Name]; fd.Required && !ok {
			l.add(n.Pos, "%s node %q needs %q", typ, n.ID, fd.Name)
		}
	}
	c := &nodeCtx{s: s, fb: fb, n: n, got: got}
	build[typ](c)
}

// fieldOwner names the node types that have a field, for the hint on a
// field written on the wrong type.
func fieldOwner(name string) string {
	var owners []string
	for _, t := range Types {
		if _, ok := findField(nodeFields[t], name); ok {
			owners = append(owners, string(t))
		}
	}
	if len(owners) == 0 || len(owners) > 3 {
		return ""
	}
	return fmt.Sprint(owners)
}

// targetHints collects what look like targets in a node that did not
// compile, so reachability still sees past it and one typo does not make
// the rest of the flow "unreachable".
func targetHints(got map[string]*yaml.Node, s scalars) []string {
	var out []string
	for name, v := range got {
		v = resolve(v)
		switch name {
		case "options", "cases":
			if v.Kind == yaml.MappingNode {
				for i := 1; i < len(v.Content); i += 2 {
					if t := resolve(v.Content[i]); t.Kind == yaml.ScalarNode {
						out = append(out, t.Value)
					}
				}
			}
			continue
		}
		for _, t := range Types {
			if fd, ok := findField(nodeFields[t], name); ok && fd.Kind == kTarget && v.Kind == yaml.ScalarNode {
				out = append(out, v.Value)
				break
			}
		}
	}
	sort.Strings(out)
	return out
}

var build map[Type]func(*nodeCtx)

func init() {
	build = map[Type]func(*nodeCtx){
		Play: buildPlay, Menu: buildMenu, Input: buildInput, Hours: buildHours,
		Switch: buildSwitch, Set: buildSet, Queue: buildQueue, Transfer: buildTransfer,
		Record: buildRecord, Callback: buildCallback, Lookup: buildLookup,
		Goto: buildGoto, Hangup: buildHangup,
	}
}

func (c *nodeCtx) next() { c.target("next", func(t *Node) { c.n.Next = t }) }

func buildPlay(c *nodeCtx) {
	sp := &PlaySpec{Prompts: c.prompts("prompt"), Barge: c.boolean("barge", true)}
	c.n.Play = sp
	c.next()
}

func buildMenu(c *nodeCtx) {
	sp := &MenuSpec{
		Prompts: c.prompts("prompt"),
		Options: map[string]*Node{},
		Timeout: c.positiveDuration("timeout", DefaultMenuTimeout),
		Retries: c.retries("retries", DefaultMenuRetries),
		Invalid: c.prompts("invalid"),
	}
	sp.NoInput = c.prompts("no_input")
	if _, ok := c.field("no_input"); !ok {
		sp.NoInput = sp.Invalid
	}
	c.n.Menu = sp
	if v, ok := c.field("options"); ok {
		pairs, _ := c.s.l.mapping(c.s.file, v, c.what("options"))
		if ok && len(pairs) == 0 && resolve(v).Kind == yaml.MappingNode {
			c.s.l.add(c.s.pos(v), "%s is empty", c.what("options"))
		}
		for _, p := range pairs {
			key := p.key.Value
			if !isDTMF(key) {
				c.s.l.add(c.s.pos(p.key), "%s: %q is not one DTMF key (0-9, *, #)", c.what("options"), key)
				continue
			}
			c.targetAt(p.val, c.what("options."+key), func(t *Node) { sp.Options[key] = t })
		}
	}
	c.target("on_fail", func(t *Node) { sp.OnFail = t })
}

func (c *nodeCtx) retries(name string, def int) int {
	r := c.integer(name, def)
	if r < 0 {
		v, _ := c.field(name)
		c.s.l.add(c.s.pos(v), "%s must not be negative", c.what(name))
		return 0
	}
	return r
}

func buildInput(c *nodeCtx) {
	sp := &InputSpec{
		Prompts:    c.prompts("prompt"),
		Var:        c.str("var", ""),
		Min:        DefaultMinDigits,
		Max:        DefaultMaxDigits,
		Terminator: DefaultTerminator,
		FirstDigit: c.positiveDuration("timeout", DefaultFirstDigit),
		InterDigit: c.positiveDuration("inter_digit", DefaultInterDigit),
		Retries:    c.retries("retries", DefaultInputRetries),
		Invalid:    c.prompts("invalid"),
	}
	c.n.Input = sp
	if c.boolean("sensitive", false) {
		sp.Mask = MaskAll
	}
	if _, ok := c.field("mask"); ok {
		sp.Mask = c.enum("mask", MaskAll)
		if v, ok := c.field("sensitive"); ok && !c.s.boolean(v, c.what("sensitive")) {
			c.s.l.add(c.s.pos(v), "%s: a masked input is sensitive; drop sensitive: false or the mask", c.what("sensitive"))
		}
	}
	if v, ok := c.field("var"); ok && sp.Var != "" && !validVar(sp.Var) {
		c.s.l.add(c.s.pos(v), "%s: variable name %q: use letters, digits, '_' and '.'", c.what("var"), sp.Var)
	}
	if v, ok := c.field("digits"); ok {
		pairs, _ := c.s.l.mapping(c.s.file, v, c.what("digits"))
		var minPos, maxPos *yaml.Node
		for _, p := range pairs {
			w := c.what("digits." + p.key.Value)
			switch p.key.Value {
			case "min":
				sp.Min, minPos = c.s.integer(p.val, w), p.val
			case "max":
				sp.Max, maxPos = c.s.integer(p.val, w), p.val
			case "terminator":
				sp.Terminator = c.s.dtmf(p.val, w)
			default:
				c.s.l.add(c.s.pos(p.key), "unknown field %q in digits%s", p.key.Value, didYouMean(p.key.Value, fieldNames(digitsFields)))
			}
		}
		if minPos != nil && sp.Min < 1 {
			c.s.l.add(c.s.pos(minPos), "%s must be at least 1", c.what("digits.min"))
		}
		if maxPos != nil && sp.Max < 1 {
			c.s.l.add(c.s.pos(maxPos), "%s must be at least 1", c.what("digits.max"))
		}
		if sp.Min > sp.Max && sp.Max >= 1 {
			at := minPos
			if at == nil {
				at = maxPos
			}
			c.s.l.add(c.s.pos(at), "%s: min %d is more than max %d", c.what("digits"), sp.Min, sp.Max)
		}
	}
	c.target("on_fail", func(t *Node) { sp.OnFail = t })
	c.next()
}

func buildHours(c *nodeCtx) {
	sp := &HoursSpec{CalendarName: c.str("calendar", "")}
	c.n.Hours = sp
	if v, ok := c.field("calendar"); ok && sp.CalendarName != "" {
		var defined bool
		sp.Calendar, defined = c.s.l.env.Calendars[sp.CalendarName]
		if !defined {
			names := make([]string, 0, len(c.s.l.env.Calendars))
			for n := range c.s.l.env.Calendars {
				names = append(names, n)
			}
			sort.Strings(names)
			c.s.l.add(c.s.pos(v), "unknown calendar %q%s; %s", sp.CalendarName, didYouMean(sp.CalendarName, names), defines("calendar", names))
		}
	}
	c.target("open", func(t *Node) { sp.Open = t })
	c.target("closed", func(t *Node) {
		sp.Closed = t
		if sp.Holiday == nil {
			sp.Holiday = t
		}
	})
	c.target("holiday", func(t *Node) { sp.Holiday = t })
}

func buildSwitch(c *nodeCtx) {
	sp := &SwitchSpec{Value: c.template("value", "")}
	c.n.Switch = sp
	if v, ok := c.field("cases"); ok {
		pairs, _ := c.s.l.mapping(c.s.file, v, c.what("cases"))
		sp.Cases = make([]SwitchCase, len(pairs))
		for i, p := range pairs {
			val := p.key.Value
			if isNull(p.key) {
				val = ""
			}
			sp.Cases[i].Value = val
			c.targetAt(p.val, c.what("cases."+val), func(t *Node) { sp.Cases[i].Target = t })
		}
	}
	c.target("default", func(t *Node) { sp.Default = t })
}

func buildSet(c *nodeCtx) {
	sp := &SetSpec{}
	c.n.Set = sp
	if v, ok := c.field("vars"); ok {
		pairs, _ := c.s.l.mapping(c.s.file, v, c.what("vars"))
		if len(pairs) == 0 && resolve(v).Kind == yaml.MappingNode {
			c.s.l.add(c.s.pos(v), "%s is empty", c.what("vars"))
		}
		for _, p := range pairs {
			name := p.key.Value
			if !validVar(name) {
				c.s.l.add(c.s.pos(p.key), "variable name %q: use letters, digits, '_' and '.'", name)
			}
			val := c.s.template(p.val, c.what("vars."+name))
			sp.Vars = append(sp.Vars, Assignment{Var: name, Value: val})
			if name == "language" && val.Static() && val.Raw != "" {
				c.fb.languages = append(c.fb.languages, val.Raw)
			}
		}
	}
	c.next()
}

func buildQueue(c *nodeCtx) {
	sp := &QueueSpec{
		Group:    c.str("group", ""),
		Priority: c.integer("priority", 0),
		MaxWait:  c.duration("max_wait", 0),
		Music:    c.prompts("music"),
	}
	c.n.Queue = sp
	env := c.s.l.env
	if v, ok := c.field("group"); ok {
		c.checkName(v, "group", sp.Group, env.Groups)
	}
	if v, ok := c.field("skills"); ok {
		pairs, _ := c.s.l.mapping(c.s.file, v, c.what("skills"))
		sp.Skills = map[string]int{}
		for _, p := range pairs {
			c.checkName(p.key, "skill", p.key.Value, env.Skills)
			lvl := c.s.integer(p.val, c.what("skills."+p.key.Value))
			if lvl < 1 || lvl > 10 {
				c.s.l.add(c.s.pos(p.val), "%s: level %d is outside 1-10", c.what("skills."+p.key.Value), lvl)
			}
			sp.Skills[p.key.Value] = lvl
		}
	}
	c.queueOverflow(sp)
	_, hasGroup := c.field("group")
	_, hasSkills := c.field("skills")
	if !hasGroup && !hasSkills {
		c.s.l.add(c.n.Pos, "queue node %q needs \"group\" or \"skills\"", c.n.ID)
	}
	if _, ok := c.field("music"); !ok {
		sp.Music = []PromptRef{{Kind: "file", Name: MustTemplate(DefaultMusicOnHold), Pos: c.n.Pos}}
	}
	if v, ok := c.field("announce"); ok {
		pairs, _ := c.s.l.mapping(c.s.file, v, c.what("announce"))
		sp.Announce.Every = DefaultAnnounceEvery
		for _, p := range pairs {
			w := c.what("announce." + p.key.Value)
			switch p.key.Value {
			case "position":
				sp.Announce.Position = c.s.boolean(p.val, w)
			case "wait_time":
				sp.Announce.WaitTime = c.s.boolean(p.val, w)
			case "every":
				sp.Announce.Every = c.s.duration(p.val, w)
				if sp.Announce.Every > 0 && sp.Announce.Every < 10*time.Second {
					c.s.l.add(c.s.pos(p.val), "%s: %s is too often to announce (at least 10s)", w, sp.Announce.Every)
				}
			default:
				c.s.l.add(c.s.pos(p.key), "unknown field %q in announce%s", p.key.Value, didYouMean(p.key.Value, fieldNames(announceFields)))
			}
		}
	}
	c.target("on_timeout", func(t *Node) { sp.OnTimeout = t })
	c.target("on_closed", func(t *Node) { sp.OnClosed = t })
	c.next()
}

func buildTransfer(c *nodeCtx) {
	sp := &TransferSpec{Target: c.template("to", ""), Kind: c.enum("kind", DefaultTransferKind)}
	c.n.Transfer = sp
	c.target("on_fail", func(t *Node) { sp.OnFail = t })
}

func buildRecord(c *nodeCtx) {
	sp := &RecordSpec{
		Prompts:    c.prompts("prompt"),
		Max:        c.positiveDuration("max", DefaultRecordMax),
		Silence:    c.duration("silence", DefaultRecordSilence),
		Terminator: c.dtmf("terminator", DefaultTerminator),
		Beep:       c.boolean("beep", true),
		Var:        c.str("var", DefaultRecordVar),
	}
	c.n.Record = sp
	if v, ok := c.field("var"); ok && sp.Var != "" && !validVar(sp.Var) {
		c.s.l.add(c.s.pos(v), "%s: variable name %q: use letters, digits, '_' and '.'", c.what("var"), sp.Var)
	}
	c.next()
}

func buildCallback(c *nodeCtx) {
	sp := &CallbackSpec{
		Number:  c.template("number", DefaultCallbackNumber),
		Group:   c.str("group", ""),
		Prompts: c.prompts("prompt"),
		// A callback keeps to its group's hours unless the flow says.
		OutsideHours: c.boolean("outside_hours", false),
	}
	c.n.Callback = sp
	if v, ok := c.field("group"); ok {
		c.checkName(v, "group", sp.Group, c.s.l.env.Groups)
	}
	c.target("on_fail", func(t *Node) { sp.OnFail = t })
	c.next()
}

func buildLookup(c *nodeCtx) {
	sp := &LookupSpec{
		Method:  c.enum("method", "GET"),
		URL:     c.template("url", ""),
		Body:    c.template("body", ""),
		Timeout: c.positiveDuration("timeout", DefaultLookupTimeout),
		Result:  c.str("result", c.n.ID),
		Say:     c.prompts("say"),
	}
	c.n.Lookup = sp
	if v, ok := c.field("url"); ok {
		if msg := c.s.l.checkLookupURL(sp.URL); msg != "" {
			c.s.l.add(c.s.pos(v), "%s: %s", c.what("url"), msg)
		}
	}
	if v, ok := c.field("result"); ok && sp.Result != "" && !validVar(sp.Result) {
		c.s.l.add(c.s.pos(v), "%s: variable prefix %q: use letters, digits, '_' and '.'", c.what("result"), sp.Result)
	}
	if v, ok := c.field("headers"); ok {
		pairs, _ := c.s.l.mapping(c.s.file, v, c.what("headers"))
		sp.Headers = map[string]Template{}
		for _, p := range pairs {
			sp.Headers[p.key.Value] = c.s.template(p.val, c.what("headers."+p.key.Value))
		}
	}
	_, explicitError := c.field("on_error")
	c.target("next", func(t *Node) {
		c.n.Next = t
		if !explicitError {
			sp.OnError = t
		}
	})
	c.target("on_error", func(t *Node) { sp.OnError = t })
}

func buildGoto(c *nodeCtx) {
	sp := &GotoSpec{Flow: c.str("flow", ""), Node: c.str("node", "")}
	c.n.Goto = sp
	g := gotoRef{node: c.n, spec: sp}
	if v, ok := c.field("flow"); ok {
		g.flowPos = c.s.pos(v)
	}
	if v, ok := c.field("node"); ok {
		g.nodePos = c.s.pos(v)
	}
	c.fb.gotos = append(c.fb.gotos, g)
}

func buildHangup(c *nodeCtx) {
	c.n.Hangup = &HangupSpec{Cause: c.enum("cause", DefaultHangupCause), Continue: c.boolean("continue", false)}
}
