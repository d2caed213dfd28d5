package scripted

import (
	"context"
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
// the caller up Delay into the ringing. The conversation lasts the agent's
// Talk (negative: until the Remote's AgentHangup or a hang-up).
func (c *Call) Connect(ctx context.Context, o routing.Offer) (ivr.Leg, error) {
	c.mu.Lock()
	op, err := c.beginLocked("connect", AtRing, 0)
	if err != nil {
		c.mu.Unlock()
		return nil, err
	}
	ids := make([]string, len(o.Agents))
	for i, a := range o.Agents {
		ids[i] = a.AgentID
	}
	c.offers = append(c.offers, o)
	c.logLocked("connect", strings.Join(ids, " "))
	c.mu.Unlock()

	ring := o.RingTimeout
	if ring <= 0 {
		ring = DefaultRingTimeout
	}
	winner, answerAt := "", ring
	misses := map[string]string{}
	ringsOut := false
	for _, a := range o.Agents {
		b, known := c.cfg.Agents[a.AgentID]
		if !known {
			b = Agent{Behavior: NoAnswer}
		}
		switch b.Behavior {
		case Answers:
			if b.AnswerAfter < answerAt {
				if winner != "" {
					ringsOut = true
				}
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
	for {
		done, err := op.wait(ctx, nil, end)
		if err != nil {
			return nil, err
		}
		if done {
			break
		}
	}
	op.finish()
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
	if talk == 0 {
		talk = DefaultTalk
	}
	if talk > 0 {
		c.clock.AfterFunc(talk, func() {
			if b.CallerEnds {
				c.HangUp()
				return
			}
			if b.Transfer.Target != "" {
				c.transferLeg(l, b.Transfer)
				return
			}
			c.endLeg(l, ivr.ByAgent)
		})
	}
	return l, nil
}

// endLeg ends a conversation from the agent's side.
func (c *Call) endLeg(l *leg, by string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if l.end(by) {
		if c.leg == l {
			c.leg = nil
		}
		c.logLocked("leg_end", by)
	}
}

// transferLeg ends a conversation with the agent's blind transfer.
func (c *Call) transferLeg(l *leg, t ivr.Transfer) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.leg != l {
		return // already over
	}
	l.mu.Lock()
	l.transfer = &t
	l.mu.Unlock()
	if l.end(ivr.ByAgent) {
		c.leg = nil
		c.logLocked("agent_transfer", t.Kind+" "+t.Target)
	}
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
	agent    string
	done     chan struct{}
	once     sync.Once
	mu       sync.Mutex
	by       string
	transfer *ivr.Transfer // the agent's blind transfer, if they made one
}

var _ ivr.TransferredLeg = (*leg)(nil)

// Transferred reports the agent's blind transfer (Agent.Transfer).
func (l *leg) Transferred() (ivr.Transfer, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.transfer == nil {
		return ivr.Transfer{}, false
	}
	return *l.transfer, true
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
