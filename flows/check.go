package flows

import (
	"fmt"
	"io/fs"
	"sort"
	"strings"
)

// check runs the checks that need every node (and every flow) parsed.
func (l *loader) check() {
	byName := map[string]*flowBuild{}
	for _, fb := range l.flows {
		name := fb.f.Name
		if name == "" {
			continue
		}
		if first, dup := byName[name]; dup {
			l.add(posOf(fb.f.File, fb.nameNode), "flow %q is already defined at %s", name, posOf(first.f.File, first.nameNode))
			continue
		}
		byName[name] = fb
	}
	l.checkNumbers()
	for _, fb := range l.flows {
		l.resolveRefs(fb)
	}
	gotoRoots := l.resolveGotos(byName)
	for _, fb := range l.flows {
		l.checkReachable(fb, gotoRoots[fb])
		l.checkLoops(fb)
	}
	l.checkPrompts(byName)
}

func (l *loader) checkNumbers() {
	claimed := map[string]*flowBuild{}
	for _, fb := range l.flows {
		for i, num := range fb.f.Numbers {
			if other, dup := claimed[num]; dup {
				if other == fb {
					l.add(fb.numberPos[i], "number %q is listed twice", num)
				} else {
					l.add(fb.numberPos[i], "number %q is already claimed by flow %q (%s)", num, other.f.Name, other.f.Pos)
				}
				continue
			}
			claimed[num] = fb
		}
	}
}

func (l *loader) resolveRefs(fb *flowBuild) {
	ids := make([]string, 0, len(fb.f.Nodes))
	for _, n := range fb.f.Nodes {
		ids = append(ids, n.ID)
	}
	for _, r := range fb.refs {
		t, ok := fb.f.ByID[r.name]
		if !ok {
			l.add(r.pos, "unknown node %q%s", r.name, didYouMean(r.name, ids))
			continue
		}
		r.set(t)
	}
}

// resolveGotos checks goto targets and returns, per flow, the nodes other
// flows enter it at (they count as reachable).
func (l *loader) resolveGotos(byName map[string]*flowBuild) map[*flowBuild][]*Node {
	names := make([]string, 0, len(byName))
	for n := range byName {
		names = append(names, n)
	}
	sort.Strings(names)
	roots := map[*flowBuild][]*Node{}
	for _, fb := range l.flows {
		for _, g := range fb.gotos {
			if g.spec.Flow == "" {
				continue
			}
			target, ok := byName[g.spec.Flow]
			if !ok {
				l.add(g.flowPos, "goto: unknown flow %q%s", g.spec.Flow, didYouMean(g.spec.Flow, names))
				continue
			}
			if g.spec.Node == "" {
				continue
			}
			n, ok := target.f.ByID[g.spec.Node]
			if !ok {
				ids := make([]string, 0, len(target.f.Nodes))
				for _, n := range target.f.Nodes {
					ids = append(ids, n.ID)
				}
				l.add(g.nodePos, "goto: flow %q has no node %q%s", g.spec.Flow, g.spec.Node, didYouMean(g.spec.Node, ids))
				continue
			}
			roots[target] = append(roots[target], n)
		}
	}
	return roots
}

// successors are a node's ways out for the graph checks: its edges, or for
// a node that did not compile the targets it seems to name.
func (fb *flowBuild) successors(n *Node) []*Node {
	if fb.broken[n] {
		var out []*Node
		for _, id := range fb.hints[n] {
			if t, ok := fb.f.ByID[id]; ok {
				out = append(out, t)
			}
		}
		return out
	}
	if n.Type == "" {
		return nil
	}
	var out []*Node
	for _, e := range n.Edges() {
		out = append(out, e.To)
	}
	return out
}

func (l *loader) checkReachable(fb *flowBuild, extraRoots []*Node) {
	if fb.f.Start == nil {
		return
	}
	seen := map[*Node]bool{}
	stack := append([]*Node{fb.f.Start}, extraRoots...)
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[n] {
			continue
		}
		seen[n] = true
		stack = append(stack, fb.successors(n)...)
	}
	for _, n := range fb.f.Nodes {
		if !seen[n] {
			l.add(n.Pos, "node %q is unreachable from start %q", n.ID, fb.f.Start.ID)
		}
	}
}

// checkLoops finds strongly connected sets of nodes (Tarjan) in which no
// node waits for the caller and from which no path leads out: a call that
// enters one would spin forever without a key press to stop it.
func (l *loader) checkLoops(fb *flowBuild) {
	for _, n := range fb.f.Nodes {
		if fb.broken[n] {
			return // the loop check needs every node's real edges
		}
	}
	for _, scc := range stronglyConnected(fb.f.Nodes, fb.successors) {
		if len(scc) == 1 {
			self := false
			for _, s := range fb.successors(scc[0]) {
				self = self || s == scc[0]
			}
			if !self {
				continue
			}
		}
		in := map[*Node]bool{}
		for _, n := range scc {
			in[n] = true
		}
		escapes := false
		for _, n := range scc {
			if n.WaitsForCaller() || n.canEnd() {
				escapes = true
				break
			}
			for _, s := range fb.successors(n) {
				if !in[s] {
					escapes = true
				}
			}
		}
		if escapes {
			continue
		}
		sort.Slice(scc, func(i, j int) bool { return scc[i].Index < scc[j].Index })
		ids := make([]string, len(scc))
		for i, n := range scc {
			ids[i] = n.ID
		}
		l.add(scc[0].Pos, "nodes %s loop forever: none waits for the caller and none leads out", strings.Join(ids, " -> "))
	}
}

// stronglyConnected returns the strongly connected components of the graph
// (Tarjan's algorithm, iterative so a huge flow cannot overflow the stack).
func stronglyConnected(nodes []*Node, succ func(*Node) []*Node) [][]*Node {
	index := map[*Node]int{}
	low := map[*Node]int{}
	onStack := map[*Node]bool{}
	var stack []*Node
	var out [][]*Node
	next := 0
	type frame struct {
		n     *Node
		succ  []*Node
		child int
	}
	for _, root := range nodes {
		if _, seen := index[root]; seen {
			continue
		}
		work := []frame{{n: root, succ: succ(root)}}
		index[root], low[root] = next, next
		next++
		stack = append(stack, root)
		onStack[root] = true
		for len(work) > 0 {
			f := &work[len(work)-1]
			if f.child < len(f.succ) {
				w := f.succ[f.child]
				f.child++
				if _, seen := index[w]; !seen {
					index[w], low[w] = next, next
					next++
					stack = append(stack, w)
					onStack[w] = true
					work = append(work, frame{n: w, succ: succ(w)})
				} else if onStack[w] {
					low[f.n] = min(low[f.n], index[w])
				}
				continue
			}
			n := f.n
			work = work[:len(work)-1]
			if len(work) > 0 {
				p := work[len(work)-1].n
				low[p] = min(low[p], low[n])
			}
			if low[n] == index[n] {
				var scc []*Node
				for {
					w := stack[len(stack)-1]
					stack = stack[:len(stack)-1]
					onStack[w] = false
					scc = append(scc, w)
					if w == n {
						break
					}
				}
				out = append(out, scc)
			}
		}
	}
	return out
}

// checkPrompts checks that every static file prompt has audio in every
// language a call can be in while in the flow: the flow's own, those its
// set nodes switch to, and those of flows that goto it.
func (l *loader) checkPrompts(byName map[string]*flowBuild) {
	if l.env.Prompts == nil {
		return
	}
	for _, fb := range l.flows {
		fb.langs = map[string]bool{fb.f.Language: true}
		for _, lang := range fb.languages {
			fb.langs[lang] = true
		}
	}
	for changed := true; changed; {
		changed = false
		for _, fb := range l.flows {
			for _, g := range fb.gotos {
				target, ok := byName[g.spec.Flow]
				if !ok {
					continue
				}
				for lang := range fb.langs {
					if !target.langs[lang] {
						target.langs[lang] = true
						changed = true
					}
				}
			}
		}
	}
	exists := map[string]bool{}
	has := func(p string) bool {
		if v, ok := exists[p]; ok {
			return v
		}
		_, err := fs.Stat(l.env.Prompts, p)
		exists[p] = err == nil
		return err == nil
	}
	for _, fb := range l.flows {
		langs := make([]string, 0, len(fb.langs))
		for lang := range fb.langs {
			langs = append(langs, lang)
		}
		sort.Strings(langs)
		for _, p := range fb.prompts {
			if !p.Name.Static() {
				continue
			}
			var missing []string
			for _, lang := range langs {
				for _, file := range promptFiles(lang, p) {
					alts := strings.Split(file, "|")
					ok := has(alts[0])
					if !ok && len(alts) > 1 {
						ok = true
						for _, a := range alts[1:] {
							ok = ok && has(a)
						}
					}
					if !ok {
						missing = append(missing, alts[0])
					}
				}
			}
			if len(missing) > 0 {
				l.add(p.Pos, "prompt %q has no audio file %s in the prompt store", promptText(p), strings.Join(missing, ", "))
			}
		}
	}
}

// PromptFile is the prompt store path of a file prompt in lang.
func PromptFile(lang, name string) string { return lang + "/" + name + ".wav" }

func digitFiles(lang, s string) []string {
	var out []string
	for _, r := range s {
		name := string(r)
		switch r {
		case '*':
			name = "star"
		case '#':
			name = "pound"
		}
		out = append(out, PromptFile(lang, "digits/"+name))
	}
	return out
}

// promptFiles lists the audio files a static prompt needs in lang; an entry
// "a|b|c" is satisfied by a alone or by all of b and c.
func promptFiles(lang string, p PromptRef) []string {
	switch p.Kind {
	case "file":
		return []string{PromptFile(lang, p.Name.Raw)}
	case "digits":
		return digitFiles(lang, p.Name.Raw)
	case "number":
		// The engine reads a number it has no recording for digit by digit.
		return []string{PromptFile(lang, "numbers/"+p.Name.Raw) + "|" + strings.Join(digitFiles(lang, p.Name.Raw), "|")}
	}
	return nil // sound: an Asterisk sound, not in our store
}

func promptText(p PromptRef) string {
	if p.Kind == "file" {
		return p.Name.Raw
	}
	return fmt.Sprintf("%s:%s", p.Kind, p.Name.Raw)
}
