package ivrtest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/internal/clock"
	"github.com/switchboard-cc/switchboard/ivr"
	"github.com/switchboard-cc/switchboard/routing"
)

// Remote returns the far end of the fake call, for the conformance suite
// and for tests that drive a call live instead of by script.
func (c *Call) Remote() Remote { return fakeRemote{c} }

type fakeRemote struct{ c *Call }

var _ Remote = fakeRemote{}

func (r fakeRemote) Press(ctx context.Context, keys string) error {
	r.c.mu.Lock()
	defer r.c.mu.Unlock()
	if r.c.isGone() {
		return r.c.hangupErr("press")
	}
	r.c.press(keys)
	return nil
}

func (r fakeRemote) Hangup(ctx context.Context) error {
	r.c.HangUp()
	return nil
}

func (r fakeRemote) AgentHangup(ctx context.Context, agentID string) error {
	r.c.mu.Lock()
	l := r.c.leg
	r.c.mu.Unlock()
	if l == nil || l.agent != agentID {
		return fmt.Errorf("agent %s is not connected", agentID)
	}
	r.c.endLeg(l, ivr.ByAgent)
	return nil
}

func (r fakeRemote) Endpoint(agentID string) routing.Endpoint {
	return routing.Endpoint{AgentID: agentID, URI: "fake:" + agentID}
}

func (r fakeRemote) TransferTarget() ivr.Transfer { return ivr.Transfer{Target: "200", Kind: "number"} }

func (r fakeRemote) Ended() <-chan struct{} { return r.c.gone }

// FakeFactory is the conformance Factory of the fake call on real time:
// the reference the real transports are measured against.
func FakeFactory(t *testing.T, s Setup) (ivr.Call, Remote) {
	agents := map[string]Agent{}
	for _, a := range s.Agents {
		agents[a.ID] = Agent{Behavior: a.Behavior, AnswerAfter: a.AnswerAfter, Talk: -1}
	}
	c := NewCall(Config{ID: "conf-" + s.Case, From: s.From, To: s.To, Clock: clock.Real{},
		PromptLength: 150 * time.Millisecond, Agents: agents})
	t.Cleanup(c.HangUp)
	return c, c.Remote()
}
