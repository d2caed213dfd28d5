package routing

import (
	"context"
	"fmt"
	"time"
)

// Callbacks (virtual hold): the caller hangs up and keeps their place; the
// Options.Callbacks hook hears when the callback reaches an agent.

// RequestCallback puts a callback in line (virtual hold): the caller hangs
// up and keeps their place. req.EnqueuedAt, when set, is the caller's
// original place and time in line; a callback is accepted while the group
// is closed or empty and waits for an agent, with no max wait unless
// req.MaxWait sets one. When its turn comes the Options.Callbacks hook gets
// the offer and the ticket. Requesting a callback for a call ID already in
// line fails with ErrDuplicateCall.
func (a *ACD) RequestCallback(ctx context.Context, req Request, number string) error {
	if number == "" {
		return fmt.Errorf("callback for call %s: no number to call", req.CallID)
	}
	req.Callback = true
	a.lock()
	defer a.unlock()
	_, err := a.enqueue(ctx, req, number)
	return err
}

// CancelCallback takes a waiting callback out of line (the customer called
// back in, or asked to cancel); it reports whether there was one. It leaves
// with Abandoned.
func (a *ACD) CancelCallback(ctx context.Context, callID string) bool {
	a.lock()
	defer a.unlock()
	t, ok := a.tickets[callID]
	if !ok || !t.req.Callback || (t.state != waiting && t.state != offered) {
		return false
	}
	a.abandon(ctx, t)
	return true
}

// rememberPlace is how long the ACD remembers where a call stood in line
// after it timed out or was closed out of it, so a callback asked later in the same
// call (from the after-hours menu) keeps the caller's place: long enough
// for a self-service menu, short enough to stay small.
const rememberPlace = 30 * time.Minute

type linePlace struct {
	group string
	at    time.Time // the caller's place (enqueue time)
	left  time.Time
}

// placeMemory remembers recent places by call ID, oldest first.
type placeMemory struct {
	byCall map[string]linePlace
	order  []string // call IDs in the order they left
}

func (m *placeMemory) remember(callID string, p linePlace, now time.Time) {
	m.expire(now)
	p.left = now
	m.byCall[callID] = p
	m.order = append(m.order, callID)
}

// take returns and forgets the place callID left.
func (m *placeMemory) take(callID string, now time.Time) (linePlace, bool) {
	m.expire(now)
	p, ok := m.byCall[callID]
	delete(m.byCall, callID)
	return p, ok
}

func (m *placeMemory) expire(now time.Time) {
	n := 0
	for ; n < len(m.order); n++ {
		p, ok := m.byCall[m.order[n]]
		if ok && now.Sub(p.left) <= rememberPlace {
			break
		}
		if ok {
			delete(m.byCall, m.order[n])
		}
	}
	if n > 0 {
		m.order = append(m.order[:0], m.order[n:]...)
	}
}

// EnqueuedAt is the call's place in line: when its caller first queued (a
// callback keeps it). A dialer that takes a callback out of line after the
// customer did not answer passes it back as Request.EnqueuedAt.
func (t *Ticket) EnqueuedAt() time.Time {
	a := t.acd
	a.lock()
	defer a.unlock()
	return t.enqueuedAt
}
