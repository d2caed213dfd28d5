package ari

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"

	"github.com/CyCoreSystems/ari/v5"

	"github.com/switchboard-cc/switchboard/ivr"
)

// call is one caller's channel in Stasis, seen by the flow engine as an
// ivr.Call. Its events come from one bus subscription drained by pump, so
// the DTMF buffer never misses a digit however slow the flow is.
type call struct {
	t         *Transport
	id        string
	from, to  string
	context   string // dialplan context the call came from
	recovered bool
	log       *slog.Logger
	ctx       context.Context // the call's lifetime: ends on hangup or shutdown
	cancel    context.CancelFunc
	serveCtx  context.Context // Serve's context: its end is a shutdown
	sub       ari.Subscription

	mu       sync.Mutex
	keys     *ivr.Keypad   // the caller's DTMF stream, closed when the call is gone
	done     chan struct{} // closed when the channel left Stasis
	gone     bool
	seenEnd  bool          // Asterisk said the channel left (StasisEnd, ChannelDestroyed)
	ended    chan struct{} // closed when seenEnd is set
	leaving  bool          // a transfer sent the channel out of Stasis
	released bool          // another controller owns the channel now
	node     string
	queue    string
	// channel variables waiting to be stored (recover.go, remember)
	pendingVars map[string]string
	writingVars bool
	nextID      int
	bridge      string
}

var _ ivr.Call = (*call)(nil)

func (t *Transport) newCall(parent context.Context, ch ari.ChannelData, args []string, recovered bool) *call {
	ctx, cancel := context.WithCancel(parent)
	c := &call{t: t, id: ch.ID, to: dialedNumber(ch, args), recovered: recovered,
		ctx: ctx, cancel: cancel, serveCtx: parent, keys: ivr.NewKeypad(), done: make(chan struct{}),
		ended: make(chan struct{})}
	withheld := false
	if ch.Caller != nil {
		c.from, withheld = callerNumber(ch.Caller.Number)
	}
	if ch.Dialplan != nil {
		c.context = ch.Dialplan.Context
	}
	c.log = t.log.With("call_id", c.id, "to", c.to)
	if withheld {
		c.log.Warn("ari: caller number withheld: over-long or not printable ASCII", "bytes", len(ch.Caller.Number))
	}
	// Subscribe before anything is asked of Asterisk, so no event for
	// this channel can slip between StasisStart and the first request.
	c.sub = t.bus.Subscribe(t.key(ari.ChannelKey, c.id), ari.Events.All)
	go c.pump()
	return c
}

// pump moves the channel's events into the call's state.
func (c *call) pump() {
	for e := range c.sub.Events() {
		switch ev := e.(type) {
		case *ari.ChannelDtmfReceived:
			for _, d := range ev.Digit {
				c.keys.Press(d)
			}
		case *ari.StasisEnd, *ari.ChannelDestroyed:
			c.mu.Lock()
			if !c.seenEnd {
				c.seenEnd = true
				close(c.ended)
			}
			leaving := c.leaving
			c.mu.Unlock()
			// A channel that leaves Stasis because we transferred it is
			// not a caller hang-up; the flow ends with the transfer.
			if !leaving {
				c.markGone()
			}
		}
	}
}

func (c *call) markGone() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.gone {
		c.gone = true
		c.keys.Close(c.hangupErr("call"))
		close(c.done)
	}
}

// release ends the call locally without touching the channel.
func (c *call) release() {
	c.mu.Lock()
	c.released = true
	c.mu.Unlock()
	c.markGone()
	c.cancel()
}

func (c *call) isGone() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gone
}

// run drives the call through the handler and leaves no channel behind:
// a channel still in Stasis afterwards is continued or hung up, unless
// the transport is shutting down (then the next run re-adopts it).
func (c *call) run(h Handler) {
	defer c.sub.Cancel()
	defer c.cancel()
	defer c.markGone()
	c.log.Info("ari: call", "from", c.from, "recovered", c.recovered)
	if c.recovered {
		c.playRecovery()
	}
	out := h(c.ctx, c)
	c.mu.Lock()
	seenEnd, leaving := c.seenEnd, c.leaving
	c.mu.Unlock()
	if leaving && !seenEnd {
		seenEnd = c.awaitLeft()
	}
	// A channel we only assumed gone (a 404 or 409 answer) gets a hang-up
	// anyway: if it is still there, it must not wait in silence.
	if seenEnd || c.shuttingDown() {
		return
	}
	ctx, cancel := c.t.detached()
	defer cancel()
	if out.Continue {
		err := c.t.do(ctx, "continue", func() error {
			return c.t.rest.Channel().Continue(c.key(), "", "", 0)
		})
		if err == nil {
			return
		}
		c.log.Warn("ari: continue in the dialplan failed; hanging up", "err", err)
	}
	for attempt := 0; attempt < 3; attempt++ {
		err := c.hangup(ctx, "normal")
		if err == nil {
			return
		}
		c.log.Error("ari: hang up after the flow failed", "err", err, "attempt", attempt+1)
		if sleepReal(ctx, c.t.cfg.Reconnect.Min) != nil {
			return
		}
	}
}

// awaitLeft waits for the StasisEnd of a channel a transfer sent out of
// Stasis, and reports whether it came. Asterisk answers continue and
// redirect before the channel has left (it leaves on the channel's own
// thread), so a hang-up right after the transfer's 204 would cut the
// transferred caller off. A channel still here after RequestTimeout is
// hung up like any other: no caller is left in silence.
func (c *call) awaitLeft() bool {
	ctx, cancel := c.t.detached()
	defer cancel()
	select {
	case <-c.ended:
		return true
	case <-c.serveCtx.Done():
		return false // shutting down: run leaves the channel to the next run
	case <-ctx.Done():
		c.log.Warn("ari: the transferred channel did not leave Stasis; hanging up", "timeout", c.t.cfg.RequestTimeout)
		return false
	}
}

func (c *call) shuttingDown() bool {
	c.mu.Lock()
	released := c.released
	c.mu.Unlock()
	return released || c.serveCtx.Err() != nil
}

func (c *call) key() *ari.Key { return c.t.key(ari.ChannelKey, c.id) }

func (c *call) newID(kind string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.nextID++
	return fmt.Sprintf("sb-%s-%s-%s-%d", kind, c.t.run, c.id, c.nextID)
}

func (c *call) ID() string            { return c.id }
func (c *call) From() string          { return c.from }
func (c *call) To() string            { return c.to }
func (c *call) Done() <-chan struct{} { return c.done }

// hangupErr wraps ivr.ErrHangup with what was being done.
func (c *call) hangupErr(op string) error { return fmt.Errorf("ari %s: %w", op, ivr.ErrHangup) }

// fail turns a request error into the call's error: a channel that is gone
// (404) or out of our app (409) is a hang-up; anything else is returned.
func (c *call) fail(ctx context.Context, op string, err error) error {
	var re *RequestError
	if errors.As(err, &re) && re.Gone() {
		c.markGone()
		return c.hangupErr(op)
	}
	if c.isGone() {
		return c.hangupErr(op)
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

// check is the guard at the top of every blocking method.
func (c *call) check(ctx context.Context, op string) error {
	if c.isGone() {
		return c.hangupErr(op)
	}
	return ctx.Err()
}

func (c *call) Answer(ctx context.Context) error {
	if err := c.check(ctx, "answer"); err != nil {
		return err
	}
	err := c.t.do(ctx, "answer", func() error { return c.t.rest.Channel().Answer(c.key()) })
	if err != nil {
		return c.fail(ctx, "answer", err)
	}
	return nil
}

// Keys is the caller's DTMF stream.
func (c *call) Keys() *ivr.Keypad { return c.keys }

var hangupReasons = map[string]string{"normal": "normal", "busy": "busy", "congestion": "congestion",
	"no_answer": "no_answer", "timeout": "timeout", "rejected": "rejected", "unallocated": "unallocated",
	"failure": "failure", "normal_unspecified": "normal_unspecified", "": "normal"}

// Hangup hangs the caller up. While the transport shuts down it does
// nothing: the channel stays in Stasis for the next run to re-adopt.
func (c *call) Hangup(ctx context.Context, cause string) error {
	if c.isGone() {
		return nil
	}
	if c.shuttingDown() {
		c.log.Info("ari: shutting down; caller left in Stasis for re-adoption")
		return nil
	}
	return c.hangup(ctx, cause)
}

func (c *call) hangup(ctx context.Context, cause string) error {
	reason, ok := hangupReasons[cause]
	if !ok {
		reason = "normal"
	}
	err := c.t.do(ctx, "hangup", func() error { return c.t.rest.Channel().Hangup(c.key(), reason) })
	var re *RequestError
	if err != nil && errors.As(err, &re) && re.Gone() {
		err = nil
	}
	if err == nil {
		c.markGone()
	}
	return err
}

// Transfer hands the call out of the flow: "dialplan" continues at
// "context,exten,priority"; "number" continues at that extension in
// TransferContext (or the call's own context); "uri" redirects the channel
// to a tech/resource endpoint such as "PJSIP/1002".
func (c *call) Transfer(ctx context.Context, tr ivr.Transfer) error {
	if err := c.check(ctx, "transfer"); err != nil {
		return err
	}
	var f func() error
	switch tr.Kind {
	case "dialplan":
		parts := strings.Split(tr.Target, ",")
		for len(parts) < 3 {
			parts = append(parts, "")
		}
		prio := 1
		if parts[2] != "" {
			if _, err := fmt.Sscanf(parts[2], "%d", &prio); err != nil {
				return fmt.Errorf("ari transfer: priority %q: %w", parts[2], err)
			}
		}
		f = func() error { return c.t.rest.Channel().Continue(c.key(), parts[0], parts[1], prio) }
	case "number", "":
		ctxName := c.t.cfg.TransferContext
		if ctxName == "" {
			ctxName = c.context
		}
		f = func() error { return c.t.rest.Channel().Continue(c.key(), ctxName, tr.Target, 1) }
	case "uri":
		endpoint := tr.Target
		if !strings.Contains(endpoint, "/") {
			return fmt.Errorf("ari transfer: %q is not a tech/resource endpoint (e.g. PJSIP/1002)", endpoint)
		}
		f = func() error { return redirect(c.t, c.id, endpoint) }
	default:
		return fmt.Errorf("ari transfer: unknown kind %q", tr.Kind)
	}
	c.mu.Lock()
	c.leaving = true
	c.mu.Unlock()
	if err := c.t.do(ctx, "transfer", f); err != nil {
		c.mu.Lock()
		c.leaving = false
		ended := c.seenEnd
		c.mu.Unlock()
		if ended {
			c.markGone()
		}
		return c.fail(ctx, "transfer", err)
	}
	return nil
}

// Transport names this transport in the call.start event.
func (c *call) Transport() string { return "ari" }

// maxCallerLen bounds the caller number taken from a channel, as the SIP
// transport bounds the From user: real numbers are far shorter.
const maxCallerLen = 128

// callerNumber is the channel's caller number when it is a plausible one:
// at most maxCallerLen visible ASCII characters. The trunk's caller ID is
// the caller's to choose and travels on into logs, events, flow variables
// and exports, so anything else is treated as withheld ("", true).
func callerNumber(n string) (string, bool) {
	if len(n) > maxCallerLen {
		return "", true
	}
	for i := range len(n) {
		if n[i] <= ' ' || n[i] >= 0x7f {
			return "", true
		}
	}
	return n, false
}
