package ivrtest

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/switchboard-cc/switchboard/ivr"
	"github.com/switchboard-cc/switchboard/routing"
)

// Connect rings the offered agents as Config.Agents says: the first to
// answer within the offer's RingTimeout is connected; busy, declining and
// unreachable agents fail at once, the rest ring out. A step AtRing hangs
// the caller up Delay into the ringing.
func (c *Call) Connect(ctx context.Context, o routing.Offer) (ivr.Leg, error) {
	c.mu.Lock()
	if c.isGone() {
		c.mu.Unlock()
		return nil, c.hangupErr("connect")
	}
	ids := make([]string, len(o.Agents))
	for i, a := range o.Agents {
		ids[i] = a.AgentID
	}
	c.offers = append(c.offers, o)
	c.logLocked("connect", strings.Join(ids, " "))
	step, hangs := c.take(AtRing)
	c.mu.Unlock()

	ring := o.RingTimeout
	if ring <= 0 {
		ring = DefaultRingTimeout
	}
	winner, answerAt := "", ring
	misses := map[string]string{}
	ringsOut := false
	for _, a := range o.Agents {
		b := c.cfg.Agents[a.AgentID]
		if _, known := c.cfg.Agents[a.AgentID]; !known {
			b = Agent{Behavior: NoAnswer}
		}
		switch b.Behavior {
		case Answers:
			if b.AnswerAfter < answerAt {
				winner, answerAt = a.AgentID, b.AnswerAfter
			} else {
				ringsOut = true
			}
		case Busy:
			misses[a.AgentID] = ivr.MissBusy
		case Declines:
			misses[a.AgentID] = ivr.MissDecline
		case Unreachable:
			misses[a.AgentID] = ivr.MissUnreachable
		default:
			ringsOut = true
		}
	}
	end := time.Duration(0)
	switch {
	case winner != "":
		end = answerAt
	case ringsOut:
		end = ring
	}
	if hangs && (step.Hangup) && step.Delay <= end {
		err := c.wait(ctx, step.Delay, "connect")
		if err == nil {
			c.HangUp()
		}
		return nil, c.hangupErr("connect")
	}
	if err := c.wait(ctx, end, "connect"); err != nil {
		return nil, err
	}
	if winner == "" {
		for _, a := range o.Agents {
			if _, ok := misses[a.AgentID]; !ok {
				misses[a.AgentID] = ivr.MissTimeout
			}
		}
		c.mu.Lock()
		c.logLocked("missed", missString(misses))
		c.mu.Unlock()
		return nil, &ivr.ConnectError{Misses: misses}
	}

	b := c.cfg.Agents[winner]
	l := &leg{agent: winner, done: make(chan struct{})}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.isGone() {
		return nil, c.hangupErr("connect")
	}
	c.leg = l
	c.logLocked("bridged", winner)
	talk := b.Talk
	if talk <= 0 {
		talk = DefaultTalk
	}
	c.clock.AfterFunc(talk, func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		if b.CallerEnds {
			c.callerHangupLocked()
			return
		}
		if l.end(ivr.ByAgent) {
			c.leg = nil
			c.logLocked("leg_end", ivr.ByAgent)
		}
	})
	return l, nil
}

func missString(m map[string]string) string {
	parts := make([]string, 0, len(m))
	for id, why := range m {
		parts = append(parts, id+"="+why)
	}
	sort.Strings(parts)
	return strings.Join(parts, " ")
}

// leg is a connected agent in the fake world.
type leg struct {
	agent string
	done  chan struct{}
	once  sync.Once
	mu    sync.Mutex
	by    string
}

func (l *leg) AgentID() string       { return l.agent }
func (l *leg) Done() <-chan struct{} { return l.done }
func (l *leg) EndedBy() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.by
}

// end ends the conversation once; it reports whether this call ended it.
func (l *leg) end(by string) bool {
	ended := false
	l.once.Do(func() {
		l.mu.Lock()
		l.by = by
		l.mu.Unlock()
		close(l.done)
		ended = true
	})
	return ended
}

// Trace returns the call's trace so far.
func (c *Call) Trace() []Entry {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Entry(nil), c.trace...)
}

// TraceLines returns the trace as "op detail" lines, without times.
func (c *Call) TraceLines() []string {
	var out []string
	for _, e := range c.Trace() {
		out = append(out, strings.TrimSpace(e.String()))
	}
	return out
}

// Played lists each Play's prompt names, space-separated, with " (barged)"
// when a key cut it.
func (c *Call) Played() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.played...)
}

// Collected lists the results of every Collect.
func (c *Call) Collected() []ivr.Collected {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]ivr.Collected(nil), c.collected...)
}

// Recordings lists every Record's result.
func (c *Call) Recordings() []ivr.Recording {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]ivr.Recording(nil), c.records...)
}

// Transfers lists every Transfer.
func (c *Call) Transfers() []ivr.Transfer {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]ivr.Transfer(nil), c.transfers...)
}

// Offers lists every Offer passed to Connect.
func (c *Call) Offers() []routing.Offer {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]routing.Offer(nil), c.offers...)
}

// Ended reports who ended the call ("caller", "system" or "" while it is
// up) and the engine's hangup cause.
func (c *Call) Ended() (by, cause string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.hungUpBy, c.cause
}

// Answered reports whether the engine answered the call.
func (c *Call) Answered() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.answered
}

// Pending returns the steps not used yet.
func (c *Call) Pending() []Step {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Step(nil), c.cfg.Script[c.next:]...)
}

func (c *Call) String() string {
	return fmt.Sprintf("fake call %s %s->%s", c.cfg.ID, c.cfg.From, c.cfg.To)
}
