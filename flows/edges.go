package flows

import "sort"

// Edge is one way out of a node: Label says when it is taken ("next", a
// menu key, "open", "on_fail"...). Graph rendering and validation walk
// edges; the engine follows the typed spec fields instead.
type Edge struct {
	Label string
	To    *Node
}

// Edges lists the node's ways out in a stable order. A default the compiler
// filled in (an hours node's holiday that is its closed target, a lookup's
// on_error that is its next) merges into one edge with both labels.
func (n *Node) Edges() []Edge {
	var out []Edge
	add := func(label string, to *Node) {
		if to == nil {
			return
		}
		for i := range out {
			if out[i].To == to {
				out[i].Label += ", " + label
				return
			}
		}
		out = append(out, Edge{label, to})
	}
	switch n.Type {
	case Menu:
		keys := make([]string, 0, len(n.Menu.Options))
		for k := range n.Menu.Options {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool { return dtmfOrder(keys[i]) < dtmfOrder(keys[j]) })
		for _, k := range keys {
			add(k, n.Menu.Options[k])
		}
		add("on_fail", n.Menu.OnFail)
	case Input:
		add("next", n.Next)
		add("on_fail", n.Input.OnFail)
	case Hours:
		add("open", n.Hours.Open)
		add("closed", n.Hours.Closed)
		add("holiday", n.Hours.Holiday)
	case Switch:
		for _, c := range n.Switch.Cases {
			label := "= " + c.Value
			if c.Value == "" {
				label = "empty"
			}
			add(label, c.Target)
		}
		add("default", n.Switch.Default)
	case Queue:
		add("next", n.Next)
		add("on_timeout", n.Queue.OnTimeout)
		add("on_closed", n.Queue.OnClosed)
	case Transfer:
		add("on_fail", n.Transfer.OnFail)
	case Lookup:
		add("next", n.Next)
		add("on_error", n.Lookup.OnError)
	case Callback:
		add("next", n.Next)
		add("on_fail", n.Callback.OnFail)
	default:
		add("next", n.Next)
	}
	return out
}

// dtmfOrder sorts keys as on a phone: 1-9, 0, *, #.
func dtmfOrder(k string) int {
	switch k {
	case "0":
		return 10
	case "*":
		return 11
	case "#":
		return 12
	}
	if len(k) == 1 && k[0] >= '1' && k[0] <= '9' {
		return int(k[0] - '0')
	}
	return 13
}

// WaitsForCaller reports whether the node waits for the caller (a key, a
// recording, an agent): a loop through such a node cannot spin on its own.
func (n *Node) WaitsForCaller() bool {
	switch n.Type {
	case Menu, Input, Record, Queue:
		return true
	}
	return false
}

// canEnd reports whether the call can leave the flow at this node without
// following an edge: it hangs up, moves on to another flow or party, or has
// no target for some outcome (the call ends there).
func (n *Node) canEnd() bool {
	switch n.Type {
	case Hangup, Goto, Transfer:
		return true
	case Menu:
		return n.Menu.OnFail == nil
	case Input:
		return n.Input.OnFail == nil || n.Next == nil
	case Hours:
		return n.Hours.Open == nil || n.Hours.Closed == nil
	case Switch:
		return n.Switch.Default == nil
	case Queue:
		return n.Next == nil || n.Queue.OnTimeout == nil || n.Queue.OnClosed == nil
	case Lookup:
		return n.Next == nil || n.Lookup.OnError == nil
	}
	return n.Next == nil
}
