package ari

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/ari/arifake"
	"github.com/switchboard-cc/switchboard/ivr"
	"github.com/switchboard-cc/switchboard/routing"
)

func offer(agents ...string) routing.Offer {
	o := routing.Offer{ID: "offer-1", Group: "billing", RingTimeout: 20 * time.Second}
	for _, a := range agents {
		o.Agents = append(o.Agents, routing.Endpoint{AgentID: "agent-" + a, URI: "PJSIP/" + a})
	}
	return o
}

func TestConnectOutcomes(t *testing.T) {
	tests := []struct {
		name     string
		behavior map[string]arifake.EndpointBehavior
		agents   []string
		want     map[string]string // misses; nil: answered
		winner   string
	}{
		{"answer", map[string]arifake.EndpointBehavior{"PJSIP/1001": {Kind: arifake.Answer, After: time.Second}},
			[]string{"1001"}, nil, "agent-1001"},
		{"busy", map[string]arifake.EndpointBehavior{"PJSIP/1001": {Kind: arifake.Busy, After: time.Second}},
			[]string{"1001"}, map[string]string{"agent-1001": ivr.MissBusy}, ""},
		{"no answer", map[string]arifake.EndpointBehavior{"PJSIP/1001": {Kind: arifake.NoAnswer}},
			[]string{"1001"}, map[string]string{"agent-1001": ivr.MissTimeout}, ""},
		{"unreachable", nil, []string{"1001"}, map[string]string{"agent-1001": ivr.MissUnreachable}, ""},
		{"decline", map[string]arifake.EndpointBehavior{"PJSIP/1001": {Kind: arifake.Decline, After: time.Second}},
			[]string{"1001"}, map[string]string{"agent-1001": ivr.MissDecline}, ""},
		{"ring all, second answers", map[string]arifake.EndpointBehavior{
			"PJSIP/1001": {Kind: arifake.NoAnswer}, "PJSIP/1002": {Kind: arifake.Answer, After: 2 * time.Second}},
			[]string{"1001", "1002"}, nil, "agent-1002"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			type seen struct {
				leg ivr.Leg
				err error
			}
			res := newResult[seen]()
			hs := newHarness(t, func(ctx context.Context, c ivr.Call) ivr.Outcome {
				_ = c.Answer(ctx)
				leg, err := c.Connect(ctx, offer(tt.agents...))
				res.put(seen{leg, err})
				if leg != nil {
					<-leg.Done()
				}
				return ivr.Outcome{}
			}, harnessOpts{fake: arifake.Options{Scale: 0.005}})
			for ep, b := range tt.behavior {
				hs.fake.SetEndpoint(ep, b)
			}
			ch := hs.call("96069")
			s := res.get(t)
			if tt.want != nil {
				var ce *ivr.ConnectError
				if !errors.As(s.err, &ce) {
					t.Fatalf("Connect = %v, %v; want *ConnectError", s.leg, s.err)
				}
				if len(ce.Misses) != len(tt.want) || ce.Misses["agent-1001"] != tt.want["agent-1001"] {
					t.Errorf("misses = %v; want %v", ce.Misses, tt.want)
				}
				for _, a := range tt.agents {
					if legs := hs.fake.Originated("PJSIP/" + a); len(legs) != 0 {
						t.Errorf("agent %s still has %d channels", a, len(legs))
					}
				}
				return
			}
			if s.err != nil {
				t.Fatalf("Connect: %v", s.err)
			}
			if s.leg.AgentID() != tt.winner {
				t.Errorf("AgentID = %q; want %q", s.leg.AgentID(), tt.winner)
			}
			agent := hs.fake.Originated("PJSIP/" + tt.winner[len("agent-"):])
			if len(agent) != 1 {
				t.Fatalf("winner has %d channels", len(agent))
			}
			hs.await("both in one bridge", func() bool {
				return ch.Bridge() != "" && ch.Bridge() == agent[0].Bridge()
			})
			for _, a := range tt.agents {
				if "agent-"+a != tt.winner {
					hs.await("loser hung up", func() bool { return len(hs.fake.Originated("PJSIP/"+a)) == 0 })
				}
			}
			agent[0].Hangup()
			select {
			case <-s.leg.Done():
			case <-time.After(testTimeout):
				t.Fatal("leg not done after the agent hung up")
			}
			if by := s.leg.EndedBy(); by != "agent" {
				t.Errorf("EndedBy = %q; want agent", by)
			}
		})
	}
}

func TestCallerHangsUpWhileAgentRings(t *testing.T) {
	errs := newResult[error]()
	hs := newHarness(t, func(ctx context.Context, c ivr.Call) ivr.Outcome {
		_, err := c.Connect(ctx, offer("1001"))
		errs.put(err)
		return ivr.Outcome{}
	}, harnessOpts{})
	hs.fake.SetEndpoint("PJSIP/1001", arifake.EndpointBehavior{Kind: arifake.NoAnswer})
	ch := hs.call("96069")
	hs.await("agent ringing", func() bool { return len(hs.fake.Originated("PJSIP/1001")) == 1 })
	ch.Hangup()
	if err := errs.get(t); !errors.Is(err, ivr.ErrHangup) {
		t.Errorf("Connect = %v; want ErrHangup", err)
	}
	hs.await("agent leg hung up", func() bool { return len(hs.fake.Originated("PJSIP/1001")) == 0 })
}

func TestCallerHangsUpDuringConversation(t *testing.T) {
	bys := newResult[string]()
	hs := newHarness(t, func(ctx context.Context, c ivr.Call) ivr.Outcome {
		leg, err := c.Connect(ctx, offer("1001"))
		if err != nil {
			bys.put(err.Error())
			return ivr.Outcome{}
		}
		<-leg.Done()
		bys.put(leg.EndedBy())
		return ivr.Outcome{}
	}, harnessOpts{})
	hs.fake.SetEndpoint("PJSIP/1001", arifake.EndpointBehavior{Kind: arifake.Answer})
	ch := hs.call("96069")
	hs.await("bridged", func() bool { return ch.Bridge() != "" })
	ch.Hangup()
	if by := bys.get(t); by != "caller" {
		t.Errorf("EndedBy = %q; want caller", by)
	}
	hs.await("agent hung up", func() bool { return len(hs.fake.Originated("PJSIP/1001")) == 0 })
}

func TestConnectRingTimeoutOnTransportClock(t *testing.T) {
	// Asterisk never answers nor reports NOANSWER (scale makes its own
	// timeout an hour): the transport's clock ends the ring.
	errs := newResult[error]()
	hs := newHarness(t, func(ctx context.Context, c ivr.Call) ivr.Outcome {
		o := offer("1001")
		o.RingTimeout = 50 * time.Millisecond
		_, err := c.Connect(ctx, o)
		errs.put(err)
		return ivr.Outcome{}
	}, harnessOpts{fake: arifake.Options{Scale: 3600}})
	hs.fake.SetEndpoint("PJSIP/1001", arifake.EndpointBehavior{Kind: arifake.NoAnswer})
	hs.call("96069")
	var ce *ivr.ConnectError
	if err := errs.get(t); !errors.As(err, &ce) || ce.Misses["agent-1001"] != ivr.MissTimeout {
		t.Fatalf("Connect = %v; want timeout miss", err)
	}
	hs.await("agent leg hung up", func() bool { return len(hs.fake.Originated("PJSIP/1001")) == 0 })
}
