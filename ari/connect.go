package ari

import (
	"context"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/CyCoreSystems/ari/v5"
	"github.com/CyCoreSystems/ari/v5/rid"

	"github.com/switchboard-cc/switchboard/ivr"
	"github.com/switchboard-cc/switchboard/routing"
)

// ringGrace is how long past the ring timeout the transport waits for
// Asterisk's own NOANSWER before hanging the agent leg up itself.
const ringGrace = time.Second

// attempt is one agent being rung.
type attempt struct {
	agent routing.Endpoint
	id    string
	sub   ari.Subscription
	miss  string // set once the attempt failed
	dial  string // last Dial dialstatus
	up    bool   // the leg entered Stasis: answered
}

// Connect originates every offered agent endpoint into the Stasis app (stage,
// subscribe, execute), and bridges the first that answers with the caller in
// a mixing bridge. Busy, no answer and failure come from the Dial events'
// dialstatus (or the leg's destruction); the ring timeout is enforced on the
// transport's clock as well.
func (c *call) Connect(ctx context.Context, o routing.Offer) (ivr.Leg, error) {
	if err := c.check(ctx, "connect"); err != nil {
		return nil, err
	}
	if len(o.Agents) == 0 {
		return nil, &ivr.ConnectError{Misses: map[string]string{}}
	}
	ring := o.RingTimeout
	if ring <= 0 {
		ring = 20 * time.Second
	}
	events := make(chan struct {
		a *attempt
		e ari.Event
	}, 64)
	var attempts []*attempt
	var wg sync.WaitGroup
	defer wg.Wait()
	for _, agent := range o.Agents {
		a := &attempt{agent: agent, id: agentPrefix + rid.New("")}
		callerID := c.t.cfg.AgentCallerID
		if callerID == "" {
			callerID = c.from
		}
		h, err := c.t.rest.Channel().StageOriginate(nil, ari.OriginateRequest{
			Endpoint: agent.URI, App: c.t.cfg.Application, AppArgs: "agent," + c.id + "," + agent.AgentID,
			CallerID: callerID, Timeout: int(math.Ceil(ring.Seconds())), ChannelID: a.id, Originator: c.id,
		})
		if err != nil {
			a.miss = ivr.MissUnreachable
			attempts = append(attempts, a)
			continue
		}
		a.sub = c.t.bus.Subscribe(c.t.key(ari.ChannelKey, a.id), ari.Events.All)
		c.t.mu.Lock()
		c.t.legs[a.id] = true
		c.t.mu.Unlock()
		wg.Add(1)
		go func(a *attempt) {
			defer wg.Done()
			for e := range a.sub.Events() {
				select {
				case events <- struct {
					a *attempt
					e ari.Event
				}{a, e}:
				case <-c.ctx.Done():
				}
			}
		}(a)
		if err := c.t.do(ctx, "originate "+agent.URI, h.Exec); err != nil {
			c.log.Warn("ari: originate agent failed", "agent", agent.AgentID, "endpoint", agent.URI, "err", err)
			a.miss = ivr.MissUnreachable
		}
		attempts = append(attempts, a)
	}
	defer func() {
		for _, a := range attempts {
			if a.sub != nil {
				a.sub.Cancel()
			}
		}
	}()

	timer := c.t.clk.NewTimer(ring + ringGrace)
	defer timer.Stop()
	pending := func() int {
		n := 0
		for _, a := range attempts {
			if a.miss == "" && !a.up {
				n++
			}
		}
		return n
	}
	var winner *attempt
	for winner == nil && pending() > 0 {
		select {
		case ev := <-events:
			classify(ev.a, ev.e)
			if ev.a.up && ev.a.miss == "" {
				winner = ev.a
			}
		case <-timer.C():
			for _, a := range attempts {
				if a.miss == "" && !a.up {
					a.miss = ivr.MissTimeout
				}
			}
		case <-c.done:
			c.dropLegs(attempts, nil)
			return nil, c.hangupErr("connect")
		case <-ctx.Done():
			c.dropLegs(attempts, nil)
			return nil, ctx.Err()
		}
	}
	c.dropLegs(attempts, winner)
	if winner == nil {
		// A caller who left while the agents were being originated is a
		// hang-up, not a round of misses.
		if c.isGone() {
			return nil, c.hangupErr("connect")
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		misses := map[string]string{}
		for _, a := range attempts {
			misses[a.agent.AgentID] = a.miss
		}
		return nil, &ivr.ConnectError{Misses: misses}
	}
	leg, err := c.bridgeWith(ctx, winner)
	if err != nil {
		c.dropLegs([]*attempt{winner}, nil)
		if c.isGone() {
			return nil, c.hangupErr("connect")
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		c.log.Error("ari: bridging the agent failed", "agent", winner.agent.AgentID, "err", err)
		return nil, &ivr.ConnectError{Misses: map[string]string{winner.agent.AgentID: ivr.MissUnreachable}}
	}
	return leg, nil
}

// classify updates an attempt from one event of its channel.
func classify(a *attempt, e ari.Event) {
	switch ev := e.(type) {
	case *ari.Dial:
		if ev.Peer.ID != a.id {
			return
		}
		a.dial = ev.Dialstatus
		switch ev.Dialstatus {
		case "BUSY":
			a.miss = ivr.MissBusy
		case "NOANSWER", "CANCEL":
			a.miss = ivr.MissTimeout
		case "CONGESTION":
			a.miss = ivr.MissDecline
		case "CHANUNAVAIL", "INVALIDARGS", "DONTCALL", "TORTURE":
			a.miss = ivr.MissUnreachable
		}
	case *ari.StasisStart:
		if a.miss == "" {
			a.up = true
		}
	case *ari.ChannelDestroyed:
		if a.miss == "" && !a.up {
			switch ev.Cause {
			case 17:
				a.miss = ivr.MissBusy
			case 18, 19:
				a.miss = ivr.MissTimeout
			case 21:
				a.miss = ivr.MissDecline
			default:
				a.miss = ivr.MissUnreachable
			}
		}
	case *ari.StasisEnd:
		if a.miss == "" && !a.up {
			a.miss = ivr.MissUnreachable
		}
	}
}

// dropLegs hangs up every attempt's channel except keep.
func (c *call) dropLegs(attempts []*attempt, keep *attempt) {
	ctx, cancel := c.t.detached()
	defer cancel()
	for _, a := range attempts {
		if a == keep || a.sub == nil {
			continue
		}
		if a.miss == "" || a.miss == ivr.MissTimeout || a.up {
			_ = c.t.do(ctx, "hangup agent", func() error {
				return c.t.rest.Channel().Hangup(c.t.key(ari.ChannelKey, a.id), "normal")
			})
		}
		c.t.mu.Lock()
		delete(c.t.legs, a.id)
		c.t.mu.Unlock()
	}
}

// leg is a connected agent.
type leg struct {
	agentID string
	done    chan struct{}
	mu      sync.Mutex
	by      string
}

func (l *leg) AgentID() string       { return l.agentID }
func (l *leg) Done() <-chan struct{} { return l.done }
func (l *leg) EndedBy() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.by
}

// bridgeWith puts caller and agent in a mixing bridge and watches the
// conversation: whoever leaves first ends it, and the other side is hung up
// if it was the agent who stayed.
func (c *call) bridgeWith(ctx context.Context, a *attempt) (*leg, error) {
	sctx, cancel := c.t.detached()
	_ = c.t.do(sctx, "stop moh", func() error { return c.t.rest.Channel().StopMOH(c.key()) })
	cancel()
	bid := "sb-bridge-" + c.t.run + "-" + c.id
	bh, err := c.t.rest.Bridge().StageCreate(c.t.key(ari.BridgeKey, bid), "mixing", "switchboard-"+c.id)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	exists := c.bridge != ""
	c.mu.Unlock()
	if !exists {
		if err := c.t.do(ctx, "create bridge", bh.Exec); err != nil {
			return nil, err
		}
		c.mu.Lock()
		c.bridge = bid
		c.mu.Unlock()
	}
	for _, id := range []string{c.id, a.id} {
		if err := c.t.do(ctx, "add to bridge", func() error {
			return c.t.rest.Bridge().AddChannel(c.t.key(ari.BridgeKey, bid), id)
		}); err != nil {
			return nil, fmt.Errorf("add %s to bridge: %w", id, err)
		}
	}
	l := &leg{agentID: a.agent.AgentID, done: make(chan struct{})}
	sub := c.t.bus.Subscribe(c.t.key(ari.ChannelKey, a.id), ari.Events.StasisEnd, ari.Events.ChannelDestroyed)
	// The agent may have hung up between answering and the subscription:
	// check the leg still exists.
	alive := c.t.do(ctx, "agent state", func() error {
		_, err := c.t.rest.Channel().Data(c.t.key(ari.ChannelKey, a.id))
		return err
	}) == nil
	go func() {
		defer sub.Cancel()
		by := "agent"
		if alive {
			select {
			case <-sub.Events():
			case <-c.done:
				by = "caller"
			case <-c.ctx.Done():
				by = "system"
			}
		}
		if by != "agent" {
			hctx, cancel := c.t.detached()
			_ = c.t.do(hctx, "hangup agent", func() error {
				return c.t.rest.Channel().Hangup(c.t.key(ari.ChannelKey, a.id), "normal")
			})
			cancel()
		}
		c.t.mu.Lock()
		delete(c.t.legs, a.id)
		c.t.mu.Unlock()
		l.mu.Lock()
		l.by = by
		l.mu.Unlock()
		close(l.done)
		c.destroyBridge()
	}()
	return l, nil
}

// destroyBridge removes the call's bridge once no conversation needs it.
func (c *call) destroyBridge() {
	c.mu.Lock()
	bid := c.bridge
	c.bridge = ""
	c.mu.Unlock()
	if bid == "" {
		return
	}
	ctx, cancel := c.t.detached()
	defer cancel()
	_ = c.t.do(ctx, "delete bridge", func() error { return c.t.rest.Bridge().Delete(c.t.key(ari.BridgeKey, bid)) })
}
