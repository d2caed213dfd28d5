package b2bua

import (
	"context"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/switchboard-cc/switchboard/events"
)

// refer handles a blind transfer by the agent (RFC 3515). Only targets the
// transfer rules name are accepted; anything else gets 403 and Switchboard
// dials nothing.
func (l *Leg) refer(req *sip.Request, tx sip.ServerTransaction) {
	respond := func(code int, reason string) {
		tx.Respond(sip.NewResponseFromRequest(req, code, reason, nil))
	}
	h := req.GetHeader("Refer-To")
	if h == nil {
		respond(sip.StatusBadRequest, "Bad Request (no Refer-To)")
		return
	}
	var uri sip.Uri
	params := sip.NewParams()
	if _, err := sip.ParseAddressValue(h.Value(), &uri, &params); err != nil {
		respond(sip.StatusBadRequest, "Bad Request (Refer-To)")
		return
	}
	kind, target, err := l.b.cfg.Transfers.resolve(uri)
	if err != nil {
		l.log.Warn("transfer refused", "refer_to", h.Value(), "error", err)
		respond(sip.StatusForbidden, "Forbidden")
		return
	}
	if l.b.cfg.OnTransfer == nil {
		l.log.Warn("transfer refused: no transfer handler", "target", target)
		respond(sip.StatusForbidden, "Forbidden")
		return
	}
	t := TransferRequest{CallID: l.caller.CallID, AgentID: l.agentID, Queue: l.queue, Kind: kind, Target: target}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := l.b.cfg.OnTransfer(ctx, t); err != nil {
		l.log.Warn("transfer failed", "target", target, "kind", kind, "error", err)
		respond(sip.StatusServiceUnavailable, "Service Unavailable")
		return
	}
	// Record the transfer before anything the phone may do next (it often
	// sends BYE as soon as it sees 202).
	l.mu.Lock()
	l.transfer = &t
	l.mu.Unlock()
	respond(sip.StatusAccepted, "Accepted")
	l.log.Info("agent transferred the caller", "target", target, "kind", kind)
	l.emit(events.CallTransfer, map[string]string{"target": target, "kind": kind})
	l.notifyReferResult(ctx, "SIP/2.0 200 OK")
	l.end(EndedByAgent, true)
}

// notifyReferResult tells the transferor how the transfer went (RFC 3515
// §2.4.5: NOTIFY with a message/sipfrag body; the implicit subscription ends).
func (l *Leg) notifyReferResult(ctx context.Context, statusLine string) {
	target := l.dialog.InviteRequest.Recipient
	if c := l.dialog.InviteResponse.Contact(); c != nil {
		target = c.Address
	}
	req := sip.NewRequest(sip.NOTIFY, target)
	req.AppendHeader(sip.NewHeader("Event", "refer"))
	req.AppendHeader(sip.NewHeader("Subscription-State", "terminated;reason=noresource"))
	req.AppendHeader(sip.NewHeader("Content-Type", "message/sipfrag;version=2.0"))
	req.SetBody([]byte(statusLine + "\r\n"))
	if _, err := l.dialog.Do(ctx, req); err != nil {
		l.log.Info("refer notify", "error", err)
	}
}
