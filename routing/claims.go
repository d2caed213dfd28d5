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
	// call holds it, or the arbiter cannot be asked. It is called with the
	// ACD's lock held, once per agent per offer, so it should answer fast.
	Claim(agentID, callID string) bool
	// Release gives the agent's claim for the call back. It is called with
	// the ACD's lock held and must not block (queue the work).
	Release(agentID, callID string)
}

// ClaimRetry is how long an agent that another ACD holds is skipped when
// no AgentFreed comes first.
const ClaimRetry = time.Second

// claim asks the arbiter for ag on behalf of call; a refused agent rests
// (out of every line's reach) for ClaimRetry.
func (a *ACD) claim(ag *agent, callID string) bool {
	if a.claims == nil {
		return true
	}
	if a.claims.Claim(ag.id, callID) {
		ag.claimedFor = callID
		return true
	}
	ag.heldElsewhere = true
	ag.restUntil = a.now.Add(ClaimRetry)
	a.schedule(&ag.rest, ag.restUntil)
	a.reindex(ag)
	a.touchAgent(ag)
	return false
}

// unclaim gives ag's claim back once the agent is idle.
func (a *ACD) unclaim(ag *agent) {
	if ag.claimedFor == "" {
		return
	}
	a.claims.Release(ag.id, ag.claimedFor)
	ag.claimedFor = ""
}

// AgentFreed says another ACD let the agent go: if it was skipped for
// that, it may be offered a call at once. Unknown agents are ignored.
func (a *ACD) AgentFreed(ctx context.Context, id string) {
	a.lock()
	defer a.unlock()
	ag, ok := a.agents[id]
	if !ok || !ag.heldElsewhere {
		return
	}
	ag.heldElsewhere = false
	ag.restUntil = a.now
	a.cancel(&ag.rest)
	a.reindex(ag)
	a.touchAgent(ag)
	a.matchAgent(ctx, ag)
}
