package ari

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/ari/arifake"
	"github.com/switchboard-cc/switchboard/ivr"
	"github.com/switchboard-cc/switchboard/ivr/ivrtest"
	"github.com/switchboard-cc/switchboard/routing"
)

// TestConformance runs the flow-conformance suite of ivr/ivrtest over the
// ARI transport against arifake.
func TestConformance(t *testing.T) {
	if testing.Short() {
		t.Skip("conformance suite runs on real time")
	}
	ivrtest.RunConformance(t, fakeFactory)
}

// fakeFactory places one call on a fresh arifake and transport and hands
// the transport's ivr.Call to the suite.
func fakeFactory(t *testing.T, s ivrtest.Setup) (ivr.Call, ivrtest.Remote) {
	calls := make(chan ivr.Call, 1)
	hs := newHarness(t, func(ctx context.Context, c ivr.Call) ivr.Outcome {
		calls <- c
		select {
		case <-c.Done():
		case <-ctx.Done():
		}
		return ivr.Outcome{}
	}, harnessOpts{fake: arifake.Options{SoundLength: func(media string) time.Duration {
		if strings.HasSuffix(media, "/long") {
			return 3 * time.Second
		}
		return 150 * time.Millisecond
	}}})
	for _, a := range s.Agents {
		b := arifake.EndpointBehavior{Kind: arifake.Answer, After: a.AnswerAfter}
		switch a.Behavior {
		case ivrtest.Busy:
			b = arifake.EndpointBehavior{Kind: arifake.Busy}
		case ivrtest.NoAnswer:
			b = arifake.EndpointBehavior{Kind: arifake.NoAnswer}
		}
		hs.fake.SetEndpoint("PJSIP/"+a.ID, b)
	}
	ch, err := hs.fake.Call(arifake.CallSpec{From: s.From, Exten: s.To})
	if err != nil {
		t.Fatal(err)
	}
	var c ivr.Call
	select {
	case c = <-calls:
	case <-time.After(testTimeout):
		t.Fatal("no call reached the handler")
	}
	ended := make(chan struct{})
	stop := make(chan struct{})
	t.Cleanup(func() { close(stop) })
	go func() {
		if hs.fake.Await(stop, func() bool { return ch.Gone() || !ch.InStasis() }) {
			close(ended)
		}
	}()
	return c, &fakeRemote{fake: hs.fake, ch: ch, ended: ended}
}

type fakeRemote struct {
	fake  *arifake.Server
	ch    *arifake.Channel
	ended chan struct{}
}

func (r *fakeRemote) Press(ctx context.Context, keys string) error { return r.ch.DTMF(keys) }

func (r *fakeRemote) Hangup(ctx context.Context) error { r.ch.Hangup(); return nil }

func (r *fakeRemote) AgentHangup(ctx context.Context, agentID string) error {
	legs := r.fake.Originated("PJSIP/" + agentID)
	if len(legs) == 0 {
		return fmt.Errorf("agent %s has no channel", agentID)
	}
	legs[0].Hangup()
	return nil
}

func (r *fakeRemote) Endpoint(agentID string) routing.Endpoint {
	return routing.Endpoint{AgentID: agentID, URI: "PJSIP/" + agentID}
}

func (r *fakeRemote) TransferTarget() ivr.Transfer {
	return ivr.Transfer{Target: "200", Kind: "number"}
}

func (r *fakeRemote) Ended() <-chan struct{} { return r.ended }
