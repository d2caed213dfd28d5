// Dialog bookkeeping: finding the call a request belongs to, and the
// in-dialog requests (ACK, BYE, CANCEL, INFO, NOTIFY, re-INVITE).

package sip

import (
	"context"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/switchboard-cc/switchboard/events"
)

func (s *Server) dialogUA(req *sip.Request) *sipgo.DialogUA {
	if ua, ok := s.dialogUAs[req.Transport()]; ok {
		return ua
	}
	return s.dialogUAs["udp"]
}

func (s *Server) findCall(req *sip.Request) *Call {
	id, err := sip.DialogIDFromRequestUAS(req)
	if err != nil {
		return nil
	}
	if v, ok := s.calls.Load(id); ok {
		return v.(*Call)
	}
	return nil
}

func (s *Server) onAck(req *sip.Request, tx sip.ServerTransaction) {
	if c := s.findCall(req); c != nil {
		_ = c.dialog.ReadAck(req, tx)
	}
}

func (s *Server) onBye(req *sip.Request, tx sip.ServerTransaction) {
	c := s.findCall(req)
	if c == nil {
		respond(tx, req, 481, "Call/Transaction Does Not Exist")
		return
	}
	c.finish("caller", "bye")
	if err := c.dialog.ReadBye(req, tx); err != nil {
		respond(tx, req, 400, "Bad Request")
	}
}

// onCancel sees only CANCELs that matched no INVITE transaction (sipgo
// answers the others itself with 200 and 487).
func (s *Server) onCancel(req *sip.Request, tx sip.ServerTransaction) {
	respond(tx, req, 481, "Call/Transaction Does Not Exist")
}

func (s *Server) onInfo(req *sip.Request, tx sip.ServerTransaction) {
	c := s.findCall(req)
	if c == nil {
		respond(tx, req, 481, "Call/Transaction Does Not Exist")
		return
	}
	ct := ""
	if h := req.ContentType(); h != nil {
		ct = h.Value()
	}
	d, ok := dtmfFromInfo(ct, req.Body())
	if !ok {
		if len(req.Body()) == 0 {
			respond(tx, req, 200, "OK") // an empty INFO is a keep-alive
			return
		}
		respond(tx, req, 415, "Unsupported Media Type", sip.NewHeader("Accept", "application/dtmf-relay, application/dtmf"))
		return
	}
	// Pressed before the 200 OK: a phone sends its next INFO once this one
	// is answered, and each INFO runs on its own goroutine, so answering
	// first let "42#" arrive as "24#".
	s.stats.DigitsInfo.Add(1)
	c.addDigit(d)
	respond(tx, req, 200, "OK")
}

// onNotify accepts the REFER progress reports a transfer target's side sends.
func (s *Server) onNotify(req *sip.Request, tx sip.ServerTransaction) {
	if s.findCall(req) == nil {
		respond(tx, req, 481, "Call/Transaction Does Not Exist")
		return
	}
	respond(tx, req, 200, "OK")
}

// onReinvite handles an in-dialog INVITE: hold (sendonly, inactive or
// c=0.0.0.0), unhold, or a media address change. RFC 3264 §8.4.
func (s *Server) onReinvite(req *sip.Request, tx sip.ServerTransaction) {
	c := s.findCall(req)
	if c == nil {
		respond(tx, req, 481, "Call/Transaction Does Not Exist")
		return
	}
	if err := c.dialog.ReadRequest(req, tx); err != nil {
		respond(tx, req, 500, "Server Internal Error", retryAfter())
		return
	}
	c.mu.Lock()
	o := c.offer
	c.mu.Unlock()
	if len(req.Body()) > 0 {
		no, status, reason := readReoffer(req.Body(), o.Codec.PayloadType)
		if status != 0 {
			respond(tx, req, status, reason)
			return
		}
		o = no
	}
	hold := holdsUs(o)
	c.mu.Lock()
	wasHeld := c.held
	c.held = hold
	c.offer = o
	c.direction = o.Direction.Reverse()
	dir := c.direction
	c.mu.Unlock()
	if !o.OnHold {
		c.session.SetRemote(o.Remote)
	}
	c.session.SetSending(!hold)
	body := answer(c.session.LocalAddr(), o, dir, c.sdpSession, c.sdpVersion.Add(1))
	res := sip.NewSDPResponseFromRequest(req, body)
	res.AppendHeader(sip.HeaderClone(&s.dialogUA(req).ContactHDR))
	if err := tx.Respond(res); err != nil {
		return
	}
	switch {
	case hold && !wasHeld:
		c.emit(context.Background(), events.CallHold, map[string]string{"by": "caller"})
	case !hold && wasHeld:
		c.emit(context.Background(), events.CallUnhold, map[string]string{"by": "caller"})
	}
	// The ACK for this 2xx comes to onAck and needs nothing more.
	select {
	case <-tx.Acks():
	case <-tx.Done():
	case <-time.After(32 * time.Second):
	}
}
