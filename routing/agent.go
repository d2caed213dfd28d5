package routing

import (
	"slices"
	"time"
)

// Presence is the axis the agent or a supervisor sets.
type Presence int

const (
	LoggedOut Presence = iota
	NotReady
	Ready
)

func (p Presence) String() string {
	switch p {
	case LoggedOut:
		return "logged_out"
	case NotReady:
		return "not_ready"
	case Ready:
		return "ready"
	}
	return "unknown"
}

// Activity is the axis the router sets.
type Activity int

const (
	Idle     Activity = iota
	Reserved          // an offer is ringing the agent; the reservation has a timeout
	OnCall
	WrapUp
)

func (a Activity) String() string {
	switch a {
	case Idle:
		return "idle"
	case Reserved:
		return "reserved"
	case OnCall:
		return "on_call"
	case WrapUp:
		return "wrap_up"
	}
	return "unknown"
}

// agent is one agent's state. Presence and activity are two views of one
// state machine: they change only through ACD.transition, which also keeps
// the ready indexes and the logged-in counts in step and records the event.
//
// Allowed combinations: LoggedOut only with Idle; any activity with
// NotReady or Ready (a not-ready asked during a call applies from the end of
// wrap-up, because nothing new is offered to a not-ready agent).
type agent struct {
	id, name, uri string
	skills        map[string]int
	order         int // roster order; stable tie-break

	presence Presence
	reason   string // not-ready reason code, or the last logout reason
	activity Activity
	since    time.Time // last change of presence or activity

	// idleSince is when the agent last became free for calls (end of
	// wrap-up, or ready); longest_idle and the tie-breaks use it.
	idleSince time.Time
	calls     int           // calls answered
	talk      time.Duration // total talk time
	misses    int           // offers missed in a row
	restUntil time.Time     // after a miss: no offer before this
	rest      deadline

	logoutPending       bool
	logoutBy, logoutWhy string
	offer               *offer    // while Reserved
	call                *Ticket   // while OnCall or WrapUp
	answeredAt          time.Time // of call
	wrap                deadline  // while WrapUp
	wrapGroup           *group
	wrapStart           time.Time
	memberships         []*membership // one per pool whose requirement the agent meets
	available           bool          // in the ready indexes of its pools
}

// free reports whether the state machine allows an offer now.
func (ag *agent) free(now time.Time) bool {
	return ag.presence == Ready && ag.activity == Idle && !now.Before(ag.restUntil)
}

// meets reports whether the agent's skills satisfy req.
func (ag *agent) meets(req requirement) bool {
	for _, r := range req {
		if ag.skills[r.skill] < r.min {
			return false
		}
	}
	return true
}

// groups are the names of the groups the agent serves (those whose own
// requirement it meets), sorted.
func (ag *agent) groups() []string {
	var out []string
	for _, m := range ag.memberships {
		for _, g := range m.pool.baseOf {
			out = append(out, g.name)
		}
	}
	slices.Sort(out)
	return out
}

func (ag *agent) endpoint() Endpoint {
	return Endpoint{AgentID: ag.id, Name: ag.name, URI: ag.uri}
}
