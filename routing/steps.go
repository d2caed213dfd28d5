package routing

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/switchboard-cc/switchboard/events"
)

// Overflow steps: the group's (queue.overflow in switchboard.yaml) and the
// request's own (the queue node's overflow), both counted from the moment
// the call joined. Each only widens who may take the call; the call keeps
// its place in line throughout.

// entriesFor computes the lines t waits in at its current overflow step,
// reusing entries of old for pools it stays in.
func (a *ACD) entriesFor(t *Ticket, old []*entry) []*entry {
	g := t.group
	skills := g.skills
	var others []*group
	if t.step > 0 {
		st := g.steps[t.step-1]
		skills, others = st.skills, st.groups
	}
	var out []*entry
	if len(others) == 0 && old == nil {
		out = t.entryArray[:0]
	} else {
		out = make([]*entry, 0, 1+len(others))
	}
	add := func(p *pool, via *group) {
		for _, e := range out {
			if e.pool == p {
				return
			}
		}
		for _, e := range old {
			if e.pool == p {
				e.group = via
				out = append(out, e)
				return
			}
		}
		if old == nil && len(out) == 0 {
			t.ownEntry = entry{t: t, pool: p, group: via, index: -1}
			out = append(out, &t.ownEntry)
			return
		}
		out = append(out, &entry{t: t, pool: p, group: via, index: -1})
	}
	if len(t.skills) == 0 {
		add(g.own[t.step], g)
	} else {
		add(a.poolFor(mergeSkills(skills, t.skills), g.strategy), g)
	}
	for _, o := range others {
		add(o.base, o)
	}
	return out
}

// nextStepAfter is when t's next overflow step (the group's or the
// request's own, whichever comes first) applies, counted from entered.
func (t *Ticket) nextStepAfter() (time.Duration, bool) {
	var after time.Duration
	ok := false
	if t.step < len(t.group.steps) {
		after, ok = t.group.steps[t.step].after, true
	}
	if t.nodeStep < len(t.req.Overflow) {
		if n := t.req.Overflow[t.nodeStep].After; !ok || n < after {
			after, ok = n, true
		}
	}
	return after, ok
}

func (a *ACD) scheduleStep(t *Ticket) {
	if after, ok := t.nextStepAfter(); ok {
		a.schedule(&t.nextStep, t.entered.Add(after))
	}
}

// overflowStep widens the call's requirement by the steps that fell due:
// the group's next step, the request's own next step, or both when they
// share an instant. Each is recorded as a queue.overflow event.
func (a *ACD) overflowStep(t *Ticket) {
	ctx := context.Background()
	if t.state != waiting && t.state != offered {
		return
	}
	inLine := t.state == waiting
	if inLine {
		a.leaveLines(t)
	}
	waited := a.now.Sub(t.entered)
	for {
		var data map[string]string
		switch {
		case t.step < len(t.group.steps) && t.group.steps[t.step].after <= waited:
			t.step++
			data = map[string]string{"to": joinComma(t.group.steps[t.step-1].added)}
		case t.nodeStep < len(t.req.Overflow) && t.req.Overflow[t.nodeStep].After <= waited:
			t.skills = applySkillStep(t.skills, t.req.Overflow[t.nodeStep].Skills)
			t.nodeStep++
			data = map[string]string{"to": "skills:" + t.requirement(), "by": "node"}
		}
		if data == nil {
			break
		}
		data["step"] = strconv.Itoa(t.step + t.nodeStep)
		t.group.stats.overflowed++
		a.emit(ctx, events.Event{CallID: t.req.CallID, Type: events.QueueOverflow, Queue: t.group.name, Data: data})
	}
	t.entries = a.entriesFor(t, t.entries)
	a.scheduleStep(t)
	if inLine {
		a.toLine(t)
		a.matchCall(ctx, t)
	}
}

// requirement is the call's own current requirement, as events show it.
func (t *Ticket) requirement() string {
	skills := t.group.skills
	if t.step > 0 {
		skills = t.group.steps[t.step-1].skills
	}
	if req := newRequirement(mergeSkills(skills, t.skills)).String(); req != "" {
		return req
	}
	return "any"
}

// applySkillStep returns skills with a step's levels applied (0 drops the
// skill); skills itself is not changed (it may be the request's map).
func applySkillStep(skills, step map[string]int) map[string]int {
	out := cloneSkills(skills)
	for s, l := range step {
		if l == 0 {
			delete(out, s)
		} else {
			out[s] = l
		}
	}
	return out
}

// checkSkillSteps checks a request's own overflow steps: in order of
// After, each naming skills the request requires at that point and only
// lowering them. The flow loader reports the same with file positions.
func checkSkillSteps(skills map[string]int, steps []SkillStep) error {
	var prev time.Duration
	current := skills
	for i, st := range steps {
		if st.After <= prev {
			return fmt.Errorf("overflow step %d: after %s must be later than %s", i+1, st.After, prev)
		}
		prev = st.After
		if len(st.Skills) == 0 {
			return fmt.Errorf("overflow step %d: no skills to lower", i+1)
		}
		for s, l := range st.Skills {
			cur, ok := current[s]
			switch {
			case !ok:
				return fmt.Errorf("overflow step %d: skill %s is not required at that point", i+1, s)
			case l < 0 || l > cur:
				return fmt.Errorf("overflow step %d: skill %s level %d is not between 0 and the current %d", i+1, s, l, cur)
			}
		}
		current = applySkillStep(current, st.Skills)
	}
	return nil
}

// staffedEventually reports whether an agent is logged in who could take a
// call for g with the extra skills and own steps, now or after a later
// overflow step. Steps only widen, so the lines of the last step hold
// every agent of the earlier ones.
func (a *ACD) staffedEventually(g *group, skills map[string]int, steps []SkillStep) bool {
	for _, st := range steps {
		skills = applySkillStep(skills, st.Skills)
	}
	last := len(g.steps)
	own := g.own[last]
	if len(skills) > 0 {
		gs := g.skills
		if last > 0 {
			gs = g.steps[last-1].skills
		}
		own = a.poolFor(mergeSkills(gs, skills), g.strategy)
	}
	if own.loggedIn > 0 {
		return true
	}
	if last > 0 {
		for _, o := range g.steps[last-1].groups {
			if o.base.loggedIn > 0 {
				return true
			}
		}
	}
	return false
}
