package ivrtest

import (
	"fmt"
	"strings"

	"github.com/switchboard-cc/switchboard/flows"
)

// Builder assembles a compiled flows.Flow in Go, for tests and the
// conformance suite, without the YAML loader. Targets are named with Ref
// before or after the node is defined.
//
//	b := ivrtest.NewFlow("demo", "en", "100")
//	b.Node("menu", "", &flows.MenuSpec{Prompts: ivrtest.P("main"),
//		Options: map[string]*flows.Node{"1": b.Ref("bye")}, Retries: 1})
//	b.Node("bye", "", &flows.HangupSpec{})
//	f := b.Flow()
type Builder struct {
	f    *flows.Flow
	refs map[string]*flows.Node
	set  map[string]bool
}

// NewFlow starts a flow with a default language and dialed numbers.
func NewFlow(name, language string, numbers ...string) *Builder {
	return &Builder{
		f:    &flows.Flow{Name: name, Language: language, Numbers: numbers, ByID: map[string]*flows.Node{}, Vars: map[string]string{}},
		refs: map[string]*flows.Node{},
		set:  map[string]bool{},
	}
}

// Ref returns the node id, defined now or later.
func (b *Builder) Ref(id string) *flows.Node {
	if id == "" {
		return nil
	}
	n, ok := b.refs[id]
	if !ok {
		n = &flows.Node{ID: id}
		b.refs[id] = n
	}
	return n
}

// Var sets an initial flow variable.
func (b *Builder) Var(name, value string) *Builder {
	b.f.Vars[name] = value
	return b
}

// Node defines node id with spec (a *flows.XxxSpec, which sets the type)
// and next ("" for none). The first node defined is the start.
func (b *Builder) Node(id, next string, spec any) *Builder {
	if b.set[id] {
		panic(fmt.Sprintf("ivrtest: node %s defined twice", id))
	}
	n := b.Ref(id)
	n.Next = b.Ref(next)
	switch s := spec.(type) {
	case *flows.PlaySpec:
		n.Type, n.Play = flows.Play, s
	case *flows.MenuSpec:
		n.Type, n.Menu = flows.Menu, s
	case *flows.InputSpec:
		n.Type, n.Input = flows.Input, s
	case *flows.HoursSpec:
		n.Type, n.Hours = flows.Hours, s
	case *flows.SwitchSpec:
		n.Type, n.Switch = flows.Switch, s
	case *flows.SetSpec:
		n.Type, n.Set = flows.Set, s
	case *flows.QueueSpec:
		n.Type, n.Queue = flows.Queue, s
	case *flows.TransferSpec:
		n.Type, n.Transfer = flows.Transfer, s
	case *flows.RecordSpec:
		n.Type, n.Record = flows.Record, s
	case *flows.CallbackSpec:
		n.Type, n.Callback = flows.Callback, s
	case *flows.LookupSpec:
		n.Type, n.Lookup = flows.Lookup, s
	case *flows.GotoSpec:
		n.Type, n.Goto = flows.Goto, s
	case *flows.HangupSpec:
		n.Type, n.Hangup = flows.Hangup, s
	default:
		panic(fmt.Sprintf("ivrtest: node %s: %T is not a node spec", id, spec))
	}
	n.Index = len(b.f.Nodes)
	b.f.Nodes = append(b.f.Nodes, n)
	b.f.ByID[id] = n
	b.set[id] = true
	if b.f.Start == nil {
		b.f.Start = n
	}
	return b
}

// Start makes id the start node instead of the first one defined.
func (b *Builder) Start(id string) *Builder {
	b.f.Start = b.Ref(id)
	return b
}

// Flow returns the flow; it panics when a Ref was never defined.
func (b *Builder) Flow() *flows.Flow {
	for id := range b.refs {
		if !b.set[id] {
			panic(fmt.Sprintf("ivrtest: flow %s: node %s referenced but not defined", b.f.Name, id))
		}
	}
	return b.f
}

// Catalog bundles flows the way the loader would.
func Catalog(fs ...*flows.Flow) *flows.Catalog {
	c := &flows.Catalog{Flows: map[string]*flows.Flow{}, ByNumber: map[string]*flows.Flow{}}
	for _, f := range fs {
		c.Flows[f.Name] = f
		for _, n := range f.Numbers {
			c.ByNumber[n] = f
		}
	}
	return c
}

// P parses prompt items as a flow writes them: "welcome",
// "digits:{{account}}", "number:{{position}}", "sound:beep".
func P(items ...string) []flows.PromptRef {
	out := make([]flows.PromptRef, 0, len(items))
	for _, it := range items {
		kind, name := "file", it
		for _, k := range []string{"digits", "number", "sound"} {
			if rest, ok := strings.CutPrefix(it, k+":"); ok {
				kind, name = k, rest
			}
		}
		out = append(out, flows.PromptRef{Kind: kind, Name: flows.MustTemplate(name)})
	}
	return out
}

// T parses a template; it panics on a bad one.
func T(s string) flows.Template { return flows.MustTemplate(s) }
