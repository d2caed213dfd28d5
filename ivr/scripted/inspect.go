package scripted

import (
	"fmt"
	"strings"

	"github.com/switchboard-cc/switchboard/ivr"
	"github.com/switchboard-cc/switchboard/routing"
)

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
