package routing

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/switchboard-cc/switchboard/events"
)

// Presence changes. by names who asked: the agent's own ID for
// self-service, a supervisor's name for a forced change, "system" for the
// ACD itself; it is recorded in the agent.state event with the reason.

// Login logs an agent in; they start not_ready("login") and take calls
// once Ready. Logging in twice is an ErrInvalidTransition.
func (a *ACD) Login(ctx context.Context, id, by string) error {
	a.lock()
	defer a.unlock()
	ag, err := a.agent(id)
	if err != nil {
		return err
	}
	if ag.presence != LoggedOut {
		return fmt.Errorf("login agent %s: already logged in (%s): %w", id, ag.presence, ErrInvalidTransition)
	}
	a.login(ctx, ag, by)
	return nil
}

// Logout logs an agent out with a recorded reason, at once when idle or
// ringing. A ringing offer is withdrawn (Offer.Withdrawn is closed, so the
// transport stops ringing): the call goes back to its own place in line and
// is offered to the next agent at once. During a conversation or wrap-up
// the logout takes effect when the agent is idle again; until then the
// agent snapshot shows LogoutPending.
func (a *ACD) Logout(ctx context.Context, id, by, reason string) error {
	a.lock()
	defer a.unlock()
	ag, err := a.agent(id)
	if err != nil {
		return err
	}
	if ag.presence == LoggedOut {
		return fmt.Errorf("logout agent %s: not logged in: %w", id, ErrInvalidTransition)
	}
	if ag.activity == Reserved {
		a.withdraw(ctx, ag, by, reason)
		return nil
	}
	if ag.activity != Idle {
		ag.logoutPending, ag.logoutBy, ag.logoutWhy = true, by, reason
		a.touchAgent(ag)
		return nil
	}
	a.logout(ctx, ag, by, reason)
	return nil
}

// closed is the Withdrawn channel of an offer taken back before anyone
// asked for its channel.
var closed = func() chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}()

func (a *ACD) withdrawnChan(off *offer) <-chan struct{} {
	a.mu.Lock()
	defer a.mu.Unlock()
	if off.withdrawn == nil {
		off.withdrawn = make(chan struct{})
	}
	return off.withdrawn
}

// withdraw takes back the offer ringing ag, who logs out: nobody is charged
// a miss, the call goes back to its place (or leaves if its max wait passed
// while it rang), and the other agents of a ring_all offer are free again.
// The logout is recorded now, when it was asked, before the call's next
// offer.
func (a *ACD) withdraw(ctx context.Context, ag *agent, by, reason string) {
	off := ag.offer
	t := off.t
	a.endOffer(t)
	if off.withdrawn != nil {
		close(off.withdrawn)
	} else {
		off.withdrawn = closed
	}
	a.log.Info("offer withdrawn: the agent logged out while it rang", "call_id", t.req.CallID, "offer", off.pub.ID, "agent", ag.id)
	var others []*agent
	for _, o := range off.agents {
		a.set(o, o.presence, o.reason, Idle)
		if o != ag {
			others = append(others, o)
		}
	}
	a.logout(ctx, ag, by, reason)
	for _, o := range others {
		a.logoutIfPending(ctx, o)
	}
	if t.timedOut {
		a.leave(ctx, t, TimedOut)
	} else {
		a.backInLine(ctx, t)
	}
	a.settle(ctx, others...)
	a.matchCall(ctx, t)
}

// Ready makes a logged-in agent available for calls (after wrap-up if they
// are in one). It cancels a pending logout.
func (a *ACD) Ready(ctx context.Context, id, by string) error {
	a.lock()
	defer a.unlock()
	ag, err := a.agent(id)
	if err != nil {
		return err
	}
	if ag.presence == LoggedOut {
		return fmt.Errorf("ready agent %s: log in first: %w", id, ErrInvalidTransition)
	}
	a.ready(ctx, ag, by)
	return nil
}

// NotReady takes a logged-in agent out of rotation with a reason code
// (break, training, meeting, ... or one of Config.NotReadyReasons). During
// a call it applies from the end of wrap-up: nothing new is offered.
func (a *ACD) NotReady(ctx context.Context, id, by, reason string) error {
	a.lock()
	defer a.unlock()
	ag, err := a.agent(id)
	if err != nil {
		return err
	}
	if !validReason(a.reasons, reason) {
		return fmt.Errorf("not ready agent %s: %q (known: %v): %w", id, reason, reasonList(a.reasons), ErrInvalidReason)
	}
	if ag.presence == LoggedOut {
		return fmt.Errorf("not ready agent %s: log in first: %w", id, ErrInvalidTransition)
	}
	a.notReady(ctx, ag, by, reason)
	return nil
}

// EndWrapUp ends an agent's after-call work early (the agent finished the
// notes, or a supervisor needs them).
func (a *ACD) EndWrapUp(ctx context.Context, id, by string) error {
	a.lock()
	defer a.unlock()
	ag, err := a.agent(id)
	if err != nil {
		return err
	}
	if ag.activity != WrapUp {
		return fmt.Errorf("end wrap-up of agent %s: not in wrap-up (%s): %w", id, ag.activity, ErrInvalidTransition)
	}
	a.log.Debug("wrap-up ended early", "agent", id, "by", by)
	a.endWrap(ctx, ag)
	return nil
}

// AddAgent adds an agent to the roster at run time; ac.State says whether
// they start logged in.
func (a *ACD) AddAgent(ctx context.Context, ac AgentConfig, by string) error {
	a.lock()
	defer a.unlock()
	if err := a.checkAgent(ac); err != nil {
		return err
	}
	if _, dup := a.agents[ac.ID]; dup {
		return fmt.Errorf("add agent %s: %w: already in the roster", ac.ID, ErrInvalidTransition)
	}
	a.addAgent(ctx, ac, by)
	return nil
}

// UpdateAgent changes an agent's name, endpoint and skills at run time
// (State is ignored: use the presence methods). New skills take effect for
// the next decision; a call already offered or connected is not affected.
func (a *ACD) UpdateAgent(ctx context.Context, ac AgentConfig) error {
	a.lock()
	defer a.unlock()
	ag, err := a.agent(ac.ID)
	if err != nil {
		return err
	}
	ac.State, ac.Reason = "", ""
	if err := a.checkAgent(ac); err != nil {
		return err
	}
	ag.name, ag.uri = ac.Name, ac.Endpoint
	a.unindexSkills(ag)
	if ag.available {
		for _, m := range ag.memberships {
			m.pool.agents.remove(m)
		}
	}
	for _, m := range ag.memberships {
		delete(m.pool.members, ag)
		if ag.presence != LoggedOut {
			m.pool.loggedIn--
		}
	}
	old := ag.memberships
	ag.memberships = nil
	ag.skills = cloneSkills(ac.Skills)
	a.indexSkills(ag)
	for _, p := range a.pools {
		if ag.meets(p.req) {
			a.join(ag, p)
		}
	}
	a.touchAgent(ag)
	a.leaveEmpty(ctx, old)
	a.matchAgent(ctx, ag)
	return nil
}

// RemoveAgent takes a logged-out agent off the roster.
func (a *ACD) RemoveAgent(ctx context.Context, id string) error {
	a.lock()
	defer a.unlock()
	ag, err := a.agent(id)
	if err != nil {
		return err
	}
	if ag.presence != LoggedOut {
		return fmt.Errorf("remove agent %s: log out first: %w", id, ErrInvalidTransition)
	}
	for _, m := range ag.memberships {
		delete(m.pool.members, ag)
	}
	a.unindexSkills(ag)
	a.cancel(&ag.rest)
	if a.claims != nil {
		delete(a.book.elsewhere, ag)
	}
	delete(a.agents, id)
	a.touchAgent(ag)
	return nil
}

func (a *ACD) agent(id string) (*agent, error) {
	ag, ok := a.agents[id]
	if !ok {
		return nil, fmt.Errorf("agent %q: %w", id, ErrUnknownAgent)
	}
	return ag, nil
}

func (a *ACD) checkAgent(ac AgentConfig) error {
	v := &validator{cfg: Config{NotReadyReasons: a.reasons}}
	v.agent("agent", ac)
	if len(v.issues) > 0 {
		return &ConfigError{Issues: v.issues}
	}
	return nil
}

func (a *ACD) addAgent(ctx context.Context, ac AgentConfig, by string) {
	a.agentOrder++
	ag := &agent{
		id:     ac.ID,
		name:   ac.Name,
		uri:    ac.Endpoint,
		skills: cloneSkills(ac.Skills),
		order:  a.agentOrder,
		since:  a.now,
	}
	ag.rest = deadline{kind: dueRest, ag: ag}
	ag.wrap = deadline{kind: dueWrap, ag: ag}
	a.agents[ag.id] = ag
	a.indexSkills(ag)
	for _, p := range a.pools {
		if ag.meets(p.req) {
			a.join(ag, p)
		}
	}
	switch ac.State {
	case "ready":
		a.login(ctx, ag, by)
		a.ready(ctx, ag, by)
	case "not_ready":
		a.login(ctx, ag, by)
		if ac.Reason != "" {
			a.notReady(ctx, ag, by, ac.Reason)
		}
	}
	a.touchAgent(ag)
}

func (a *ACD) indexSkills(ag *agent) {
	for s := range ag.skills {
		set := a.bySkill[s]
		if set == nil {
			set = map[*agent]struct{}{}
			a.bySkill[s] = set
		}
		set[ag] = struct{}{}
	}
}

func (a *ACD) unindexSkills(ag *agent) {
	for s := range ag.skills {
		delete(a.bySkill[s], ag)
	}
}

func (a *ACD) stateEvent(ctx context.Context, ag *agent, state, reason, by string) {
	data := map[string]string{"state": state, "by": by}
	if reason != "" {
		data["reason"] = reason
	}
	a.emit(ctx, events.Event{Type: events.AgentState, Agent: ag.id, Data: data})
}

func (a *ACD) login(ctx context.Context, ag *agent, by string) {
	ag.misses = 0
	a.set(ag, NotReady, "login", Idle)
	a.stateEvent(ctx, ag, "login", "", by)
	a.stateEvent(ctx, ag, "not_ready", "login", by)
}

func (a *ACD) ready(ctx context.Context, ag *agent, by string) {
	ag.logoutPending = false
	if ag.presence == Ready {
		return
	}
	if ag.activity == Idle {
		ag.idleSince = a.now
	}
	ag.misses = 0
	a.set(ag, Ready, "", ag.activity)
	a.stateEvent(ctx, ag, "ready", "", by)
	a.settle(ctx, ag)
}

func (a *ACD) notReady(ctx context.Context, ag *agent, by, reason string) {
	if ag.presence == NotReady && ag.reason == reason {
		return
	}
	a.set(ag, NotReady, reason, ag.activity)
	a.stateEvent(ctx, ag, "not_ready", reason, by)
}

func (a *ACD) logout(ctx context.Context, ag *agent, by, reason string) {
	ag.logoutPending, ag.logoutBy, ag.logoutWhy = false, "", ""
	a.cancel(&ag.rest)
	ag.restUntil = time.Time{}
	ag.misses = 0
	a.set(ag, LoggedOut, reason, Idle)
	a.stateEvent(ctx, ag, "logout", reason, by)
	a.leaveEmpty(ctx, ag.memberships)
}

// leaveEmpty lets the calls waiting for nobody leave with Closed (the
// queue node's on_closed), rather than wait out max_wait: once a pool has
// nobody logged in, every waiting call none of whose lines has an agent
// logged in, now or after a later overflow step (an overflow group, a
// widened requirement), leaves. Callbacks stay: they wait for the next
// shift.
func (a *ACD) leaveEmpty(ctx context.Context, ms []*membership) {
	emptied := false
	for _, m := range ms {
		if m.pool.loggedIn == 0 {
			emptied = true
			break
		}
	}
	if !emptied {
		return
	}
	// A call may wait in a staffed-later line other than the emptied
	// pools (its later step needed the agent who left), so look at every
	// waiting call; a logout that empties a pool is rare.
	var out []*Ticket
	for _, t := range a.tickets {
		if t.state == waiting && !t.req.Callback && t.unstaffed() {
			out = append(out, t)
		}
	}
	slices.SortFunc(out, func(x, y *Ticket) int { return cmp.Compare(x.seq, y.seq) })
	for _, t := range out {
		a.leaveLines(t)
		a.leave(ctx, t, Closed)
	}
}

// sortedAgentIDs is used by snapshots.
func (a *ACD) sortedAgents() []*agent {
	out := make([]*agent, 0, len(a.agents))
	for _, ag := range a.agents {
		out = append(out, ag)
	}
	slices.SortFunc(out, func(x, y *agent) int { return x.order - y.order })
	return out
}
