package scripted

import (
	"context"
	"fmt"

	"github.com/switchboard-cc/switchboard/ivr"
	"github.com/switchboard-cc/switchboard/routing"
)

// Remote is the far end of the fake call: the caller's keys and hang-up,
// an agent's hang-up, driven live instead of by script (simulate's timed
// actions, the conformance suite of ivr/ivrtest).
type Remote struct{ c *Call }

// Remote returns the far end of the call.
func (c *Call) Remote() Remote { return Remote{c} }

// Press makes the caller press keys now.
func (r Remote) Press(ctx context.Context, keys string) error {
	r.c.mu.Lock()
	defer r.c.mu.Unlock()
	if r.c.isGone() {
		return r.c.hangupErr("press")
	}
	r.c.press(keys)
	return nil
}

// Hangup makes the caller hang up.
func (r Remote) Hangup(ctx context.Context) error {
	r.c.HangUp()
	return nil
}

// AgentHangup makes the connected agent hang up.
func (r Remote) AgentHangup(ctx context.Context, agentID string) error {
	r.c.mu.Lock()
	l := r.c.leg
	r.c.mu.Unlock()
	if l == nil || l.agent != agentID {
		return fmt.Errorf("agent %s is not connected", agentID)
	}
	r.c.endLeg(l, ivr.ByAgent)
	return nil
}

// Endpoint is where the fake rings an agent.
func (r Remote) Endpoint(agentID string) routing.Endpoint {
	return routing.Endpoint{AgentID: agentID, URI: "fake:" + agentID}
}

// TransferTarget is a number the fake accepts a transfer to.
func (r Remote) TransferTarget() ivr.Transfer { return ivr.Transfer{Target: "200", Kind: "number"} }

// Ended is closed when the call is over.
func (r Remote) Ended() <-chan struct{} { return r.c.gone }
