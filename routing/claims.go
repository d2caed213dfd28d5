package routing

import (
	"context"
	"time"
)

// Several ACDs can share agents (a cluster of nodes, each with its own
// callers): Options.Claims is then the arbiter. Each ACD keeps making its
// own decisions; before it reserves an agent for a call it claims the
// agent, and it gives the claim back once the agent is idle again (after
// the offer, or the conversation and wrap-up). An agent another ACD holds
// is skipped: it rests for ClaimRetry, or until AgentFreed says its holder
// let it go. The ACD's invariants then hold across ACDs as long as the
// arbiter never grants one agent to two calls at once.

// Claims arbitrates agents shared with other ACDs.
type Claims interface {
	// Claim asks to hold the agent for the call; false means another
	// call holds it, a better-placed call elsewhere gets the agent first,
	// or the arbiter cannot be asked. It is called with the ACD's lock
	// held, once per agent per offer, so it should answer fast.
	Claim(c ClaimRequest) bool
	// Release gives the agent's claim for the call back. It is called with
	// the ACD's lock held and must not block (queue the work).
	Release(agentID, callID string)
}

// ClaimRequest is one claim: the agent, the call, and what the arbiter
// needs to keep calls in order across ACDs — the call's place in line and
// the groups whose calls the agent can take.
type ClaimRequest struct {
	AgentID string
	CallID  string
	// Priority and Place order the call against calls waiting on other
	// ACDs: higher priority first, then the earlier place (a callback
	// keeps its caller's).
	Priority int
	Place    time.Time
	// Groups are the groups the agent serves, sorted; a call waiting in
	// one of them elsewhere is one the agent could take instead.
	Groups []string
}

// claimBook is what an ACD with Claims remembers of its claims. It lives
// beside the agents, not in them, so an ACD alone (Claims nil) pays
// nothing for it: not a byte per agent (the agent stays in its allocation
// size class) and not a write per state change.
type claimBook struct {
	held      map[*agent]string   // agent -> call Claims granted it to, until the agent is idle again
	elsewhere map[*agent]struct{} // a claim was refused: resting until ClaimRetry or AgentFreed
}

// ClaimRetry is how long an agent that another ACD holds is skipped when
// no AgentFreed comes first.
const ClaimRetry = time.Second

// claim asks the arbiter for ag on behalf of t; a refused agent rests
// (out of every line's reach) for ClaimRetry. Only called with Claims set.
func (a *ACD) claim(ag *agent, t *Ticket) bool {
	req := ClaimRequest{AgentID: ag.id, CallID: t.req.CallID, Priority: t.req.Priority, Place: t.enqueuedAt, Groups: ag.groups()}
	if a.claims.Claim(req) {
		a.book.held[ag] = t.req.CallID
		return true
	}
	a.book.elsewhere[ag] = struct{}{}
	ag.restUntil = a.now.Add(ClaimRetry)
	a.schedule(&ag.rest, ag.restUntil)
	a.reindex(ag)
	a.touchAgent(ag)
	return false
}

// unclaim gives ag's claim back once the agent is idle. Only called with
// Claims set.
func (a *ACD) unclaim(ag *agent) {
	call, ok := a.book.held[ag]
	if !ok {
		return
	}
	a.claims.Release(ag.id, call)
	delete(a.book.held, ag)
}

// AgentFreed says another ACD let the agent go, or that the arbiter
// deferred the agent to a call of this ACD: if it was skipped for a
// refused claim, it may be offered a call at once. Unknown agents are
// ignored.
func (a *ACD) AgentFreed(ctx context.Context, id string) {
	a.lock()
	defer a.unlock()
	ag, ok := a.agents[id]
	if !ok {
		return
	}
	if _, refused := a.book.elsewhere[ag]; !refused {
		return
	}
	delete(a.book.elsewhere, ag)
	ag.restUntil = a.now
	a.cancel(&ag.rest)
	a.reindex(ag)
	a.touchAgent(ag)
	a.matchAgent(ctx, ag)
}
