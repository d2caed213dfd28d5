// Call admission and lifetime: a new INVITE passes the flood limit, screening,
// Drain and MaxCalls, then runCall owns it until its dialog is terminated.

package sip

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/switchboard-cc/switchboard/ivr"
	"github.com/switchboard-cc/switchboard/media"
)

func (s *Server) onInvite(req *sip.Request, tx sip.ServerTransaction) {
	if to := req.To(); to != nil {
		if _, ok := to.Params.Get("tag"); ok {
			s.onReinvite(req, tx)
			return
		}
	}
	host, _, _ := net.SplitHostPort(req.Source())
	if !s.flood.allow(host) {
		s.stats.Flooded.Add(1)
		s.stats.Rejected.Add(1)
		respond(tx, req, 503, "Service Unavailable", retryAfter())
		return
	}
	o, code, reason := s.screenInvite(req)
	if code != 0 {
		s.stats.Rejected.Add(1)
		respond(tx, req, code, reason)
		return
	}
	// Counted before the draining check, so Drain either sees this call
	// or this call sees Drain: none slips in after Drain found no calls.
	n := s.active.Add(1)
	if s.draining.Load() {
		// Shutting down gracefully: calls in progress finish, a new one
		// goes elsewhere (another node behind the dispatcher) or retries.
		s.callEnded()
		s.stats.Rejected.Add(1)
		respond(tx, req, 503, "Service Unavailable", retryAfter())
		return
	}
	if int(n) > s.cfg.MaxCalls {
		s.callEnded()
		s.stats.AtLimit.Add(1)
		s.stats.Rejected.Add(1)
		if s.cfg.AtLimitStatus == 486 {
			respond(tx, req, 486, "Busy Here")
		} else {
			respond(tx, req, 503, "Service Unavailable", retryAfter())
		}
		return
	}
	s.wg.Add(1)
	defer s.wg.Done()
	defer s.callEnded()
	s.runCall(req, tx, o)
}

// runCall owns one call from its INVITE to its last packet; it runs in the
// goroutine sipgo gave the INVITE, so the INVITE transaction lives as long as
// the call needs it (CANCEL, 2xx retransmission).
func (s *Server) runCall(req *sip.Request, tx sip.ServerTransaction, o offer) {
	conn, err := s.ports.open()
	if err != nil {
		s.stats.Rejected.Add(1)
		s.log.Warn("sip: refusing call", "err", err)
		respond(tx, req, 503, "Service Unavailable", retryAfter())
		return
	}
	port := int(conn.LocalAddr().(*net.UDPAddr).Port)
	dialog, err := s.dialogUA(req).ReadInvite(req, tx)
	if err != nil {
		conn.Close()
		s.ports.release(port)
		respond(tx, req, 400, "Bad Request")
		return
	}
	c := &Call{
		srv:        s,
		id:         req.CallID().Value(),
		from:       req.From().Address.User,
		to:         req.Recipient.User,
		dialog:     dialog,
		port:       port,
		offer:      o,
		codec:      o.Codec,
		keys:       ivr.NewKeypad(),
		done:       make(chan struct{}),
		sdpSession: rand.Uint64() >> 1,
	}
	c.log = s.log.With("call_id", c.id, "from", c.from, "to", c.to)
	c.session = media.NewSession(media.SessionConfig{
		Conn:            conn,
		Remote:          o.Remote,
		Codec:           o.Codec,
		DTMFPayloadType: o.DTMFPT,
		OnDigit: func(d byte) {
			s.stats.DigitsRFC4733.Add(1)
			c.addDigit(d)
		},
	})
	if holdsUs(o) {
		c.session.SetSending(false)
	}
	s.calls.Store(dialog.ID, c)
	s.stats.Accepted.Add(1)
	if strings.EqualFold(req.Transport(), "tcp") {
		s.tcpCallStarted(req.Source())
		defer s.tcpCallEnded(req.Source())
	}
	// CANCEL and BYE end the dialog's context: the call is gone.
	stopWatch := context.AfterFunc(dialog.Context(), func() {
		reason := "bye"
		if errors.Is(context.Cause(dialog.Context()), sip.ErrTransactionCanceled) || !c.answered.Load() {
			reason = "cancel"
		}
		c.finish("caller", reason)
	})
	c.session.Start(s.pacer)
	defer func() {
		stopWatch()
		s.calls.Delete(dialog.ID)
		c.session.Close()
		if n := c.session.Stats().Foreign; n > 0 {
			// Someone else sent RTP to this call's port: a scan, or an
			// attempt to take the call's media (media.Latch dropped it).
			s.stats.RTPForeign.Add(n)
			s.log.Warn("rtp from a foreign source dropped", "call_id", c.id, "packets", n)
		}
		s.ports.release(port)
		dialog.Close()
	}()

	if err := dialog.Respond(180, "Ringing", nil); err != nil {
		c.finish("caller", "cancel")
		return
	}
	ctx := context.Background()
	s.handler(ctx, c)
	// The flow is done: make sure the caller is too.
	c.finish("system", "flow_end")
	hctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	s.terminate(hctx, c)
	cancel()
}

// terminate ends the dialog: BYE after an answer, 480 before one. Safe to
// call more than once and after the caller already hung up.
func (s *Server) terminate(ctx context.Context, c *Call) error {
	// Hangup and the end of the handler may both get here at once: one BYE.
	c.termMu.Lock()
	defer c.termMu.Unlock()
	if c.terminated {
		return nil
	}
	c.terminated = true
	c.answerMu.Lock()
	answered := c.answered.Load()
	c.answerMu.Unlock()
	d := c.dialog
	if d.LoadState() == sip.DialogStateEnded {
		return nil
	}
	if e := c.Ended(); e != nil && e.By == "caller" {
		return nil // the caller's BYE or CANCEL is being answered right now
	}
	if !answered {
		return d.Respond(480, "Temporarily Unavailable", nil)
	}
	if err := d.Bye(ctx); err != nil && !errors.Is(err, context.Canceled) {
		c.log.Debug("bye", "err", err)
		return fmt.Errorf("hangup: %w", err)
	}
	return nil
}
