package routing

import (
	"context"
	"slices"
	"time"
)

// Callbacks keep to their group's hours: a callback requested after hours
// is accepted and keeps its place, but is not offered to anyone (an agent
// staying late included) until the group's calendar opens — unless the
// request says OutsideHours. While such callbacks wait, the group watches
// its calendar: a deadline at its next opening or closing moves them into
// their lines or out of them.

// calendarRecheck is how often a calendar that cannot say when it changes
// next (a Calendar without NextChange) is looked at again.
const calendarRecheck = time.Minute

// nextChanger is what *hours.Calendar offers beyond Status.
type nextChanger interface {
	NextChange(t time.Time) (time.Time, bool)
}

// keepsHours reports whether t must keep to its group's calendar.
func (t *Ticket) keepsHours() bool {
	return t.req.Callback && !t.req.OutsideHours && t.group.calendar != nil
}

// toLine puts t in its lines, or holds it out of them while its group's
// calendar is closed.
func (a *ACD) toLine(t *Ticket) {
	if !t.keepsHours() {
		a.enterLines(t)
		return
	}
	a.watchCalendar(t.group)
	if !t.group.calendar.Status(a.now).Open {
		t.state = waiting
		t.held = true
		return
	}
	a.enterLines(t)
}

// watchCalendar schedules the group's next calendar check, unless one is
// pending.
func (a *ACD) watchCalendar(g *group) {
	if g.calendarDue.pos != 0 {
		return
	}
	next := a.now.Add(calendarRecheck)
	if nc, ok := g.calendar.(nextChanger); ok {
		var changes bool
		if next, changes = nc.NextChange(a.now); !changes {
			return // never opens (or closes) again within a year: nothing to wait for
		}
	}
	a.schedule(&g.calendarDue, next)
}

// calendarChanged moves the group's callbacks that keep its hours into
// their lines when it opened, or out of them when it closed, and watches
// on while any wait. A callback that is ringing finishes its offer.
func (a *ACD) calendarChanged(ctx context.Context, g *group) {
	open := g.calendar.Status(a.now).Open
	var moved []*Ticket
	watch := false
	for t := range g.waiting {
		if !t.keepsHours() || (t.state != waiting && t.state != offered) {
			continue
		}
		watch = true
		switch {
		case t.state == waiting && open && t.held:
			moved = append(moved, t)
		case t.state == waiting && !open && !t.held:
			a.leaveLines(t)
			t.held = true
		}
	}
	// Oldest place first, so the first agent free takes the first in line.
	slices.SortFunc(moved, func(x, y *Ticket) int {
		if x.ahead(y) {
			return -1
		}
		return 1
	})
	for _, t := range moved {
		a.enterLines(t)
	}
	for _, t := range moved {
		a.matchCall(ctx, t)
	}
	if len(moved) > 0 || watch {
		a.touchGroup(g)
	}
	if watch {
		a.watchCalendar(g)
	}
}
