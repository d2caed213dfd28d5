package flows

import (
	"fmt"
	"io"
	"sort"
	"strings"
)

// Graph formats accepted by WriteGraph.
const (
	FormatDOT     = "dot"
	FormatMermaid = "mermaid"
	FormatSVG     = "svg"
)

// GraphFormats lists the formats, for usage messages.
var GraphFormats = []string{FormatDOT, FormatMermaid, FormatSVG}

// WriteGraph draws f in the given format: one box per node, one labelled
// arrow per way out (menu keys, open/closed, on_fail...). A goto leads to a
// dashed box standing for the other flow.
func WriteGraph(w io.Writer, f *Flow, format string) error {
	switch format {
	case FormatDOT:
		return WriteDOT(w, f)
	case FormatMermaid:
		return WriteMermaid(w, f)
	case FormatSVG:
		return WriteSVG(w, f)
	}
	return fmt.Errorf("unknown graph format %q (want %s)", format, strings.Join(GraphFormats, ", "))
}

// nodeSummary is the second line of a node's box: what it does.
func nodeSummary(n *Node) string {
	prompts := func(ps []PromptRef) string {
		names := make([]string, len(ps))
		for i, p := range ps {
			names[i] = promptText(p)
		}
		return strings.Join(names, ", ")
	}
	switch n.Type {
	case Play:
		return prompts(n.Play.Prompts)
	case Menu:
		return prompts(n.Menu.Prompts)
	case Input:
		return fmt.Sprintf("%s: %d-%d digits", n.Input.Var, n.Input.Min, n.Input.Max)
	case Hours:
		return "calendar " + n.Hours.CalendarName
	case Switch:
		return n.Switch.Value.Raw
	case Set:
		parts := make([]string, len(n.Set.Vars))
		for i, a := range n.Set.Vars {
			parts[i] = a.Var + "=" + a.Value.Raw
		}
		return strings.Join(parts, ", ")
	case Queue:
		s := n.Queue.Group
		if len(n.Queue.Skills) > 0 {
			skills := make([]string, 0, len(n.Queue.Skills))
			for k, v := range n.Queue.Skills {
				skills = append(skills, fmt.Sprintf("%s>=%d", k, v))
			}
			sort.Strings(skills)
			s = strings.TrimSpace(s + " " + strings.Join(skills, ","))
		}
		if n.Queue.MaxWait > 0 {
			s += fmt.Sprintf(" (max %s)", n.Queue.MaxWait)
		}
		return s
	case Transfer:
		return n.Transfer.Kind + " " + n.Transfer.Target.Raw
	case Record:
		return fmt.Sprintf("max %s, var %s", n.Record.Max, n.Record.Var)
	case Callback:
		return n.Callback.Number.Raw
	case Lookup:
		return n.Lookup.Method + " " + n.Lookup.URL.Raw
	case Goto:
		if n.Goto.Node != "" {
			return n.Goto.Flow + "/" + n.Goto.Node
		}
		return n.Goto.Flow
	case Hangup:
		return n.Hangup.Cause
	}
	return ""
}

// truncate keeps labels readable; the full text is in the flow file.
func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

const summaryWidth = 40

// gotoTarget names the dashed box a goto leads to.
func gotoTarget(n *Node) string {
	if n.Goto.Node != "" {
		return "flow " + n.Goto.Flow + " / " + n.Goto.Node
	}
	return "flow " + n.Goto.Flow
}

// WriteDOT writes a Graphviz digraph.
func WriteDOT(w io.Writer, f *Flow) error {
	var b strings.Builder
	q := func(s string) string {
		return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s) + `"`
	}
	fmt.Fprintf(&b, "digraph %s {\n", q(f.Name))
	fmt.Fprintf(&b, "  label=%s;\n  labelloc=t;\n  rankdir=TB;\n  node [shape=box, style=\"rounded,filled\", fontname=\"Helvetica\", fontsize=11];\n  edge [fontname=\"Helvetica\", fontsize=10];\n", q(f.Name+": "+f.Description))
	for _, n := range f.Nodes {
		shape := ""
		switch n.Type {
		case Menu, Switch, Hours:
			shape = ", shape=diamond"
		case Hangup:
			shape = ", shape=doubleoctagon"
		}
		label := n.ID + "\n" + string(n.Type)
		if s := truncate(nodeSummary(n), summaryWidth); s != "" {
			label += ": " + s
		}
		pen := ""
		if n == f.Start {
			pen = ", penwidth=2"
		}
		fmt.Fprintf(&b, "  %s [label=%s, fillcolor=%s%s%s];\n", q(n.ID), q(label), q(typeColor(n.Type)), shape, pen)
	}
	for _, n := range f.Nodes {
		for _, e := range n.Edges() {
			fmt.Fprintf(&b, "  %s -> %s [label=%s];\n", q(n.ID), q(e.To.ID), q(e.Label))
		}
		if n.Type == Goto {
			fmt.Fprintf(&b, "  %s [label=%s, style=dashed];\n", q("goto:"+n.ID), q(gotoTarget(n)))
			fmt.Fprintf(&b, "  %s -> %s [style=dashed];\n", q(n.ID), q("goto:"+n.ID))
		}
	}
	b.WriteString("}\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteMermaid writes a Mermaid flowchart (renders on GitHub and in many
// editors).
func WriteMermaid(w io.Writer, f *Flow) error {
	var b strings.Builder
	esc := func(s string) string {
		return strings.NewReplacer(`"`, "#quot;", "<", "#lt;", ">", "#gt;", "\n", "<br/>").Replace(s)
	}
	ids := map[*Node]string{}
	for i, n := range f.Nodes {
		ids[n] = fmt.Sprintf("n%d", i)
	}
	b.WriteString("flowchart TD\n")
	for _, n := range f.Nodes {
		label := esc(n.ID) + "<br/><i>" + string(n.Type) + "</i>"
		if s := truncate(nodeSummary(n), summaryWidth); s != "" {
			label += " " + esc(s)
		}
		open, closeB := "[", "]"
		switch n.Type {
		case Menu, Switch, Hours:
			open, closeB = "{", "}"
		case Hangup:
			open, closeB = "([", "])"
		}
		fmt.Fprintf(&b, "  %s%s\"%s\"%s\n", ids[n], open, label, closeB)
	}
	for _, n := range f.Nodes {
		for _, e := range n.Edges() {
			fmt.Fprintf(&b, "  %s -->|\"%s\"| %s\n", ids[n], esc(e.Label), ids[e.To])
		}
		if n.Type == Goto {
			fmt.Fprintf(&b, "  %s -.-> %s_goto[\"%s\"]\n", ids[n], ids[n], esc(gotoTarget(n)))
		}
	}
	for _, n := range f.Nodes {
		fmt.Fprintf(&b, "  style %s fill:%s\n", ids[n], typeColor(n.Type))
	}
	if f.Start != nil {
		fmt.Fprintf(&b, "  style %s fill:%s,stroke-width:3px\n", ids[f.Start], typeColor(f.Start.Type))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// typeColor gives each kind of node a pale fill, so the shape of a flow
// reads at a glance: caller input blue, waiting green, branches yellow.
func typeColor(t Type) string {
	switch t {
	case Menu, Input:
		return "#dbeafe"
	case Queue, Transfer, Callback:
		return "#dcfce7"
	case Hours, Switch:
		return "#fef9c3"
	case Lookup, Set:
		return "#f3e8ff"
	case Record:
		return "#ffedd5"
	case Hangup, Goto:
		return "#e5e7eb"
	}
	return "#ffffff"
}
