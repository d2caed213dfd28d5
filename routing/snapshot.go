package routing

import (
	"fmt"
	"time"
)

// recentAnswers is how many answers the wait estimate looks back on:
// enough to smooth single calls, few enough to follow a shift change.
const recentAnswers = 20

// groupStats are a group's live counters since the ACD started. Reports
// come from the event log; these feed the announcements and the wallboard.
type groupStats struct {
	entered, answered, abandoned, timedOut, closed, overflowed int
	answeredInSL, abandonedAfterSL                             int
	totalWait                                                  time.Duration
	recent                                                     [recentAnswers]time.Time // answer instants, a ring
	recentN, recentNext                                        int
}

func (s *groupStats) answer(now time.Time, wait time.Duration, sl ServiceLevel) {
	s.answered++
	s.totalWait += wait
	if sl.Within > 0 && wait <= sl.Within.D() {
		s.answeredInSL++
	}
	s.recent[s.recentNext] = now
	s.recentNext = (s.recentNext + 1) % recentAnswers
	if s.recentN < recentAnswers {
		s.recentN++
	}
}

// estimate is the expected wait for the caller at position: position times
// the mean time between the group's recent answers, counting the time
// since the last one (so a stalled queue's estimate grows). 0 means unknown.
func (g *group) estimate(now time.Time, position int) time.Duration {
	s := &g.stats
	if s.recentN == 0 || position <= 0 {
		return 0
	}
	oldest := s.recent[0]
	if s.recentN == recentAnswers {
		oldest = s.recent[s.recentNext]
	}
	span := now.Sub(oldest)
	if span <= 0 {
		return 0
	}
	return time.Duration(position) * span / time.Duration(s.recentN)
}

// GroupSnapshot is one skill group's live state.
type GroupSnapshot struct {
	Name        string
	Strategy    Strategy
	Open        bool // calendar open (true without a calendar)
	Waiting     int  // calls in line, callbacks included
	Callbacks   int  // of Waiting, callbacks on virtual hold
	Ringing     int  // calls with an offer out
	LongestWait time.Duration
	// Agents counts the logged-in agents who serve the group by state:
	// "ready", "not_ready", "reserved", "on_call", "wrap_up".
	Agents   map[string]int
	LoggedIn int
	// Counters since the ACD started.
	Entered, Answered, Abandoned, TimedOut, Closed, Overflowed int
	// ServiceLevel is answered within the target / (answered + abandoned
	// after the target), 0..1; HasServiceLevel is false before any call
	// counts or without a target.
	ServiceLevel    float64
	HasServiceLevel bool
	SLTarget        ServiceLevel
	AvgWait         time.Duration // of answered calls
	EstimatedWait   time.Duration // for a call joining now
}

// AgentSnapshot is one agent's live state.
type AgentSnapshot struct {
	ID, Name, URI string
	Skills        map[string]int
	Presence      Presence
	Reason        string // not-ready reason, or the last logout reason
	Activity      Activity
	Since         time.Time     // last change of presence or activity
	InState       time.Duration // now - Since
	Groups        []string      // groups the agent serves
	CallID        string        // the call they are reserved for or talking to
	Calls         int
	TalkTime      time.Duration
	Misses        int       // missed offers in a row
	RestUntil     time.Time // after a miss: no offer before this
	LogoutPending bool
}

// State folds presence and activity into one word for displays:
// logged_out, not_ready, ready, reserved, on_call, wrap_up.
func (s AgentSnapshot) State() string {
	if s.Activity != Idle {
		return s.Activity.String()
	}
	return s.Presence.String()
}

// Groups returns every group's live state, by name.
func (a *ACD) Groups() []GroupSnapshot {
	a.lock()
	defer a.unlock()
	out := make([]GroupSnapshot, 0, len(a.groupNames))
	for _, name := range a.groupNames {
		out = append(out, a.groupSnapshot(a.groups[name]))
	}
	return out
}

// Group returns one group's live state.
func (a *ACD) Group(name string) (GroupSnapshot, error) {
	a.lock()
	defer a.unlock()
	g, ok := a.groups[name]
	if !ok {
		return GroupSnapshot{}, fmt.Errorf("group %q: %w", name, ErrUnknownGroup)
	}
	return a.groupSnapshot(g), nil
}

func (a *ACD) groupSnapshot(g *group) GroupSnapshot {
	s := GroupSnapshot{
		Name:       g.name,
		Strategy:   g.strategy,
		Open:       g.calendar == nil || g.calendar.Status(a.now).Open,
		Agents:     map[string]int{},
		Entered:    g.stats.entered,
		Answered:   g.stats.answered,
		Abandoned:  g.stats.abandoned,
		TimedOut:   g.stats.timedOut,
		Closed:     g.stats.closed,
		Overflowed: g.stats.overflowed,
		SLTarget:   g.sl,
	}
	for t := range g.waiting {
		if t.state == offered {
			s.Ringing++
		} else {
			s.Waiting++
			if t.req.Callback {
				s.Callbacks++
			}
		}
		if w := a.now.Sub(t.entered); w > s.LongestWait {
			s.LongestWait = w
		}
	}
	for ag := range g.base.members {
		if ag.presence == LoggedOut {
			continue
		}
		s.LoggedIn++
		st := ag.presence.String()
		if ag.activity != Idle {
			st = ag.activity.String()
		}
		s.Agents[st]++
	}
	if d := g.stats.answered + g.stats.abandonedAfterSL; g.sl.Within > 0 && d > 0 {
		s.HasServiceLevel = true
		s.ServiceLevel = float64(g.stats.answeredInSL) / float64(d)
	}
	if g.stats.answered > 0 {
		s.AvgWait = g.stats.totalWait / time.Duration(g.stats.answered)
	}
	s.EstimatedWait = g.estimate(a.now, s.Waiting+1)
	return s
}

// Agents returns every agent's live state, in roster order.
func (a *ACD) Agents() []AgentSnapshot {
	a.lock()
	defer a.unlock()
	ags := a.sortedAgents()
	out := make([]AgentSnapshot, len(ags))
	for i, ag := range ags {
		out[i] = a.agentSnapshot(ag)
	}
	return out
}

// Agent returns one agent's live state.
func (a *ACD) Agent(id string) (AgentSnapshot, error) {
	a.lock()
	defer a.unlock()
	ag, err := a.agent(id)
	if err != nil {
		return AgentSnapshot{}, err
	}
	return a.agentSnapshot(ag), nil
}

func (a *ACD) agentSnapshot(ag *agent) AgentSnapshot {
	s := AgentSnapshot{
		ID:            ag.id,
		Name:          ag.name,
		URI:           ag.uri,
		Skills:        cloneSkills(ag.skills),
		Presence:      ag.presence,
		Reason:        ag.reason,
		Activity:      ag.activity,
		Since:         ag.since,
		InState:       a.now.Sub(ag.since),
		Calls:         ag.calls,
		TalkTime:      ag.talk,
		Misses:        ag.misses,
		LogoutPending: ag.logoutPending,
	}
	if a.now.Before(ag.restUntil) {
		s.RestUntil = ag.restUntil
	}
	switch {
	case ag.offer != nil:
		s.CallID = ag.offer.t.req.CallID
	case ag.call != nil:
		s.CallID = ag.call.req.CallID
	}
	s.Groups = ag.groups()
	return s
}
