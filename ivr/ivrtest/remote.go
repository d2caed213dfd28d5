package ivrtest

import (
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/internal/clock"
	"github.com/switchboard-cc/switchboard/ivr"
	"github.com/switchboard-cc/switchboard/ivr/scripted"
)

var _ Remote = scripted.Remote{}

// FakeFactory is the conformance Factory of the fake call on real time:
// the reference the real transports are measured against.
func FakeFactory(t *testing.T, s Setup) (ivr.Call, Remote) {
	agents := map[string]scripted.Agent{}
	for _, a := range s.Agents {
		agents[a.ID] = scripted.Agent{Behavior: a.Behavior, AnswerAfter: a.AnswerAfter, Talk: -1}
	}
	c := scripted.NewCall(scripted.Config{ID: "conf-" + s.Case, From: s.From, To: s.To, Clock: clock.Real{},
		PromptLength: 150 * time.Millisecond, Agents: agents})
	t.Cleanup(c.HangUp)
	return c, c.Remote()
}
