package flows

import (
	"fmt"
	"slices"
	"sort"
	"time"

	"gopkg.in/yaml.v3"
)

// queueOverflow reads a queue node's own overflow steps: each lowers the
// levels of skills the node requires (0 drops one) once the call has
// waited `after`. Steps are checked against the node's skills as they
// stand at that step, so a typo, a raised level or a step out of order is
// reported at its place in the file.
func (c *nodeCtx) queueOverflow(sp *QueueSpec) {
	v, ok := c.field("overflow")
	if !ok {
		return
	}
	what := c.what("overflow")
	list := resolve(v)
	if list.Kind != yaml.SequenceNode {
		c.s.l.add(c.s.pos(v), "%s must be a list of steps like [{after: 120s, skills: {english: 1}}]", what)
		return
	}
	if len(list.Content) == 0 {
		c.s.l.add(c.s.pos(v), "%s is empty", what)
		return
	}
	if len(sp.Skills) == 0 {
		c.s.l.add(c.s.pos(v), "%s lowers the node's own skills, and the node has none: add skills, or widen the group with its overflow in switchboard.yaml", what)
		return
	}
	current := make(map[string]int, len(sp.Skills))
	for s, l := range sp.Skills {
		current[s] = l
	}
	var prev time.Duration
	for i, item := range list.Content {
		w := fmt.Sprintf("%s[%d]", what, i)
		pairs, ok := c.s.l.mapping(c.s.file, item, w)
		if !ok {
			continue
		}
		step := QueueStep{Skills: map[string]int{}}
		var afterAt, skillsAt *yaml.Node
		for _, p := range pairs {
			switch p.key.Value {
			case "after":
				afterAt = p.val
				before := len(c.s.l.issues)
				step.After = c.s.duration(p.val, w+".after")
				if len(c.s.l.issues) > before {
					afterAt = nil // reported already
					step.After = prev
				}
			case "skills":
				skillsAt = p.val
			default:
				c.s.l.add(c.s.pos(p.key), "unknown field %q in %s%s", p.key.Value, w, didYouMean(p.key.Value, fieldNames(overflowStepFields)))
			}
		}
		switch {
		case afterAt == nil && step.After == 0 && !hasKey(pairs, "after"):
			c.s.l.add(c.s.pos(item), "%s needs \"after\" (how long the call has waited, e.g. 120s)", w)
		case afterAt != nil && i == 0 && step.After <= 0:
			c.s.l.add(c.s.pos(afterAt), "%s.after must be more than 0s", w)
		case afterAt != nil && step.After <= prev:
			c.s.l.add(c.s.pos(afterAt), "%s.after: %s must be later than the step before (%s)", w, step.After, prev)
		}
		prev = max(prev, step.After)
		if skillsAt == nil {
			if !hasKey(pairs, "skills") {
				c.s.l.add(c.s.pos(item), "%s needs \"skills\" (the node's skills with lower levels, e.g. {english: 1})", w)
			}
			sp.Overflow = append(sp.Overflow, step)
			continue
		}
		skills, _ := c.s.l.mapping(c.s.file, skillsAt, w+".skills")
		if len(skills) == 0 && resolve(skillsAt).Kind == yaml.MappingNode {
			c.s.l.add(c.s.pos(skillsAt), "%s.skills is empty", w)
		}
		for _, p := range skills {
			name := p.key.Value
			sw := w + ".skills." + name
			if known := c.s.l.env.Skills; known != nil && !slices.Contains(known, name) {
				c.s.l.add(c.s.pos(p.key), "%s: unknown skill %q%s", sw, name, didYouMean(name, known))
				continue
			}
			lvl := c.s.integer(p.val, sw)
			cur, required := current[name]
			switch {
			case !required:
				c.s.l.add(c.s.pos(p.key), "%s: the node does not require %s at this step (steps only lower the node's own skills: %s)", sw, name, skillList(current))
			case lvl < 0 || lvl > cur:
				c.s.l.add(c.s.pos(p.val), "%s: level %d must be between 0 and the current %d (steps only lower levels; 0 drops the skill)", sw, lvl, cur)
			default:
				step.Skills[name] = lvl
			}
		}
		for name, lvl := range step.Skills {
			if lvl == 0 {
				delete(current, name)
			} else {
				current[name] = lvl
			}
		}
		sp.Overflow = append(sp.Overflow, step)
	}
}

func hasKey(pairs []pair, key string) bool {
	for _, p := range pairs {
		if p.key.Value == key {
			return true
		}
	}
	return false
}

// skillList shows a requirement for a message: "english:3, billing:1".
func skillList(skills map[string]int) string {
	if len(skills) == 0 {
		return "none left"
	}
	names := make([]string, 0, len(skills))
	for s := range skills {
		names = append(names, s)
	}
	sort.Strings(names)
	out := ""
	for i, s := range names {
		if i > 0 {
			out += ", "
		}
		out += fmt.Sprintf("%s:%d", s, skills[s])
	}
	return out
}
