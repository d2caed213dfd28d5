package b2bua

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/switchboard-cc/switchboard/ivr"
	"github.com/switchboard-cc/switchboard/media"
	"github.com/switchboard-cc/switchboard/routing"
	"github.com/switchboard-cc/switchboard/sip/registrar"
	"github.com/switchboard-cc/switchboard/sip/sdpaudio"
)

// branch is one INVITE to one contact of one offered agent.
type branch struct {
	agent   routing.Endpoint
	contact registrar.Contact
	callID  string // of the agent dialog
	// ctx ends the wait for an answer only when giving up without CANCEL
	// (sipgo.WaitAnswerForceCancelErr): the phone never responded, or never
	// answered our CANCEL.
	ctx    context.Context
	cancel context.CancelCauseFunc
	rtp    *UDPMedia

	mu          sync.Mutex
	invite      *sip.Request // as sent (with its Via branch)
	provisional bool         // any 1xx seen: CANCEL is allowed (RFC 3261 §9.1)
	stopping    bool
	cancelSent  bool
}

func (br *branch) rang() bool {
	br.mu.Lock()
	defer br.mu.Unlock()
	return br.provisional
}

// stop ends the ringing with CANCEL. CANCEL needs a provisional response
// first, so when none has arrived yet it goes out with the first one; a
// phone that never responds is given up by the no-response timer. The
// INVITE's own final response (487, or a 200 that crossed the CANCEL) is
// still read by the branch, which hangs up a late answer.
func (b *B2BUA) stop(br *branch) {
	br.mu.Lock()
	br.stopping = true
	send := br.provisional && !br.cancelSent && br.invite != nil
	br.cancelSent = br.cancelSent || send
	br.mu.Unlock()
	if send {
		go b.sendCancel(br)
	}
}

func (b *B2BUA) provisional(br *branch) {
	br.mu.Lock()
	br.provisional = true
	send := br.stopping && !br.cancelSent && br.invite != nil
	br.cancelSent = br.cancelSent || send
	br.mu.Unlock()
	if send {
		go b.sendCancel(br)
	}
}

// cancelGiveUp bounds the wait for the 487 after our CANCEL (64*T1, RFC
// 3261 §9.1): an old phone that never sends it must not pin the branch.
var cancelGiveUp = 64 * sip.T1

// sendCancel sends CANCEL for br's INVITE (RFC 3261 §9.1: same Request-URI,
// Call-ID, From, To, CSeq number and top Via).
func (b *B2BUA) sendCancel(br *branch) {
	inv := br.invite
	req := sip.NewRequest(sip.CANCEL, inv.Recipient)
	req.AppendHeader(sip.HeaderClone(inv.Via()))
	req.AppendHeader(sip.HeaderClone(inv.From()))
	req.AppendHeader(sip.HeaderClone(inv.To()))
	req.AppendHeader(sip.HeaderClone(inv.CallID()))
	req.AppendHeader(&sip.CSeqHeader{SeqNo: inv.CSeq().SeqNo, MethodName: sip.CANCEL})
	mf := sip.MaxForwardsHeader(70)
	req.AppendHeader(&mf)
	sip.CopyHeaders("Route", inv, req)
	req.SetTransport(inv.Transport())
	req.SetDestination(inv.Destination())
	req.Laddr = inv.Laddr
	req.SetBody(nil)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	keep := func(*sipgo.Client, *sip.Request) error { return nil } // headers are final
	if _, err := b.sig.Load().client.Do(ctx, req, keep); err != nil {
		b.log.Info("cancel to agent phone", "contact", br.contact.URI, "error", err)
	}
	b.clk.AfterFunc(cancelGiveUp, func() { br.cancel(sipgo.WaitAnswerForceCancelErr) })
}

// outcome is what a branch reports to Connect.
type outcome struct {
	br     *branch
	leg    *Leg   // the winner's bridged leg
	reason string // an ivr.Miss* constant when not answered
	final  bool   // 6xx: the agent's other phones stop too (RFC 3261 §16.7)
}

// ringing decides which branch wins: the first to claim it, unless Connect
// gave up first. Exactly one branch can win.
type ringing struct {
	mu     sync.Mutex
	winner *branch
	closed bool
	rung   map[string]bool // agents reported as ringing
}

func (r *ringing) claim(br *branch) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed || r.winner != nil {
		return false
	}
	r.winner = br
	return true
}

// close stops further claims and returns the winner, if one claimed first.
func (r *ringing) close() *branch {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closed = true
	return r.winner
}

func (r *ringing) firstRing(agentID string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.rung[agentID] {
		return false
	}
	r.rung[agentID] = true
	return true
}

// missRank orders reasons when an agent's phones failed differently: an
// explicit refusal says most about the agent.
var missRank = map[string]int{ivr.MissUnreachable: 1, ivr.MissTimeout: 2, ivr.MissBusy: 3, ivr.MissDecline: 4}

// Connect rings every registered contact of the offered agents at once and
// bridges the first to answer with the caller; the others are cancelled
// (or, if they answered in the same instant, acknowledged and hung up). It
// returns a *ivr.ConnectError with each agent's reason when nobody answered
// within o.RingTimeout, an error wrapping ivr.ErrHangup when the caller hung
// up meanwhile, or ctx's error. Only contacts from the Locator are dialled.
func (b *B2BUA) Connect(ctx context.Context, caller Caller, o routing.Offer) (*Leg, error) {
	misses := make(map[string]string)
	sig := b.sig.Load()
	if sig == nil {
		b.log.Warn("agent legs: not bound to a SIP socket yet")
		for _, a := range o.Agents {
			misses[a.AgentID] = ivr.MissUnreachable
		}
		return nil, &ivr.ConnectError{Misses: misses}
	}
	var branches []*branch
	for _, a := range o.Agents {
		contacts := b.cfg.Phones.Lookup(a.AgentID)
		if len(contacts) == 0 {
			misses[a.AgentID] = ivr.MissUnreachable
			continue
		}
		for _, c := range contacts {
			bctx, cancel := context.WithCancelCause(context.Background())
			branches = append(branches, &branch{agent: a, contact: c, callID: newCallID(), ctx: bctx, cancel: cancel})
		}
	}
	if len(branches) == 0 {
		return nil, &ivr.ConnectError{Misses: misses}
	}
	ringFor := o.RingTimeout
	if ringFor <= 0 {
		ringFor = DefaultRingTimeout
	}
	r := &ringing{rung: make(map[string]bool)}
	results := make(chan outcome, len(branches)) // never blocks a branch
	pending := make(map[*branch]bool, len(branches))
	for _, br := range branches {
		pending[br] = true
		go b.ring(sig, r, caller, o, br, results)
	}
	stopAll := func(except *branch) {
		for br := range pending {
			if br != except {
				b.stop(br)
			}
		}
	}
	merge := func(agentID, reason string) {
		if missRank[reason] > missRank[misses[agentID]] {
			misses[agentID] = reason
		}
	}
	giveUp := func() {
		for br := range pending {
			reason := ivr.MissUnreachable
			if br.rang() {
				reason = ivr.MissTimeout
			}
			merge(br.agent.AgentID, reason)
		}
		stopAll(nil)
	}

	timer := b.clk.NewTimer(ringFor)
	defer timer.Stop()
	timeout, hangup, done := timer.C(), caller.Done, ctx.Done()
	var endErr error // set once Connect gave up while a winner was claimed
	for len(pending) > 0 {
		select {
		case out := <-results:
			delete(pending, out.br)
			if out.leg != nil {
				stopAll(out.br)
				if endErr != nil { // the caller left or ctx ended in the same instant
					out.leg.end(EndedByCaller, true)
				}
				return out.leg, nil
			}
			merge(out.br.agent.AgentID, out.reason)
			if out.final {
				for br := range pending {
					if br.agent.AgentID == out.br.agent.AgentID {
						b.stop(br)
					}
				}
			}
		case <-timeout:
			timeout = nil
			if r.close() != nil {
				continue // answered in the same instant: take the leg
			}
			giveUp()
			return nil, &ivr.ConnectError{Misses: misses}
		case <-hangup:
			hangup = nil
			if r.close() != nil {
				endErr = ivr.ErrHangup
				continue
			}
			stopAll(nil)
			return nil, fmt.Errorf("ringing agents: %w", ivr.ErrHangup)
		case <-done:
			done = nil
			if r.close() != nil {
				endErr = ctx.Err()
				continue
			}
			stopAll(nil)
			return nil, ctx.Err()
		}
	}
	r.close()
	return nil, &ivr.ConnectError{Misses: misses}
}

// ring runs one branch: INVITE, wait, then win (bridge) or report a miss.
func (b *B2BUA) ring(sig *signalling, r *ringing, caller Caller, o routing.Offer, br *branch, results chan<- outcome) {
	log := b.log.With("call_id", caller.CallID, "agent", br.agent.AgentID, "contact", br.contact.URI)
	miss := func(reason string, final bool) {
		if br.rtp != nil {
			br.rtp.Close()
		}
		results <- outcome{br: br, reason: reason, final: final}
	}
	conn, err := b.cfg.OpenRTP()
	if err != nil {
		log.Warn("agent leg: no rtp port", "error", err)
		miss(ivr.MissUnreachable, false)
		return
	}
	br.rtp = NewUDPMedia(conn, netip.AddrPort{})
	sessionID := uint64(time.Now().UnixNano())
	req, err := b.invite(sig, caller, br, sessionID)
	if err != nil {
		log.Warn("agent leg: bad contact", "error", err)
		miss(ivr.MissUnreachable, false)
		return
	}
	br.mu.Lock()
	stopped := br.stopping
	br.invite = req
	br.mu.Unlock()
	if stopped { // decided before we even dialled
		miss(ivr.MissTimeout, false)
		return
	}
	dialog, err := sig.ua.WriteInvite(br.ctx, req)
	if err != nil {
		log.Info("agent leg: invite not sent", "error", err)
		miss(ivr.MissUnreachable, false)
		return
	}
	silent := b.clk.AfterFunc(b.cfg.NoResponseTimeout, func() {
		if !br.rang() {
			br.cancel(sipgo.WaitAnswerForceCancelErr)
		}
	})
	err = dialog.WaitAnswer(br.ctx, sipgo.AnswerOptions{OnResponse: func(res *sip.Response) error {
		if res.IsProvisional() {
			b.provisional(br)
			if (res.StatusCode == sip.StatusRinging || res.StatusCode == sip.StatusSessionInProgress) &&
				r.firstRing(br.agent.AgentID) && b.cfg.OnRinging != nil {
				b.cfg.OnRinging(caller.CallID, br.agent.AgentID)
			}
		}
		return nil
	}})
	silent.Stop()
	if err != nil {
		if res := dialog.InviteResponse; res != nil && res.IsSuccess() {
			// 200 OK crossed our CANCEL: the phone thinks it answered.
			b.hangUpLoser(dialog, log)
		}
		var dr *sipgo.ErrDialogResponse
		switch {
		case errors.As(err, &dr):
			reason, final := classify(dr.Res.StatusCode)
			log.Info("agent leg refused", "status", dr.Res.StatusCode, "reason", reason)
			miss(reason, final)
		case br.rang():
			miss(ivr.MissTimeout, false)
		default:
			miss(ivr.MissUnreachable, false)
		}
		return
	}
	desc, err := parseSDP(dialog.InviteResponse.Body())
	if err != nil {
		log.Warn("agent answered without usable media", "error", err)
		b.hangUpLoser(dialog, log)
		miss(ivr.MissUnreachable, false)
		return
	}
	if !r.claim(br) {
		b.hangUpLoser(dialog, log) // someone else won, or Connect gave up
		miss(ivr.MissTimeout, false)
		return
	}
	leg := b.bridge(sig, caller, o, br, dialog, desc, sessionID)
	if err := dialog.Ack(context.Background()); err != nil {
		log.Warn("agent leg: ack", "error", err)
	}
	results <- outcome{br: br, leg: leg}
}

// classify maps an agent phone's final refusal to a miss reason.
func classify(status int) (reason string, final bool) {
	switch {
	case status == sip.StatusBusyHere || status == sip.StatusGlobalBusyEverywhere:
		return ivr.MissBusy, status >= 600
	case status == sip.StatusGlobalDecline:
		return ivr.MissDecline, true
	case status >= 600:
		return ivr.MissDecline, true
	case status == sip.StatusRequestTerminated:
		return ivr.MissTimeout, false
	}
	return ivr.MissUnreachable, false // 404, 408, 480, 503, ...
}

// hangUpLoser acknowledges a 200 OK we no longer want and ends that dialog
// at once (RFC 3261 §15: ACK, then BYE).
func (b *B2BUA) hangUpLoser(d *sipgo.DialogClientSession, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := d.Ack(ctx); err != nil {
		log.Info("loser ack", "error", err)
		return
	}
	if err := d.Bye(ctx); err != nil {
		log.Info("loser bye", "error", err)
	}
}

// invite builds the INVITE to one contact: the caller's number as From
// (display and user), the agent as To, our SDP offer with the caller's
// codec first so the phone can choose passthrough.
func (b *B2BUA) invite(sig *signalling, caller Caller, br *branch, sessionID uint64) (*sip.Request, error) {
	var uri sip.Uri
	if err := sip.ParseUri(br.contact.URI, &uri); err != nil {
		return nil, fmt.Errorf("contact %q: %w", br.contact.URI, err)
	}
	uri.Headers = nil
	req := sip.NewRequest(sip.INVITE, uri)
	if t := br.contact.Transport; t != "" && t != "udp" {
		req.SetTransport(strings.ToUpper(t))
	}
	number := displayNumber(caller.Number)
	user := "anonymous"
	if isDialable(number) {
		user = number
	}
	from := &sip.FromHeader{DisplayName: number, Address: sip.Uri{Scheme: "sip", User: user, Host: sig.contact.Host, Port: sig.contact.Port}, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(16))
	req.AppendHeader(from)
	req.AppendHeader(&sip.ToHeader{Address: sip.Uri{Scheme: "sip", User: br.agent.AgentID, Host: uri.Host, Port: uri.Port}, Params: sip.NewParams()})
	cid := sip.CallIDHeader(br.callID)
	req.AppendHeader(&cid)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: 1, MethodName: sip.INVITE})
	req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	req.AppendHeader(sip.NewHeader("Allow", "INVITE, ACK, CANCEL, BYE, REFER, NOTIFY, INFO, OPTIONS"))
	other := media.PCMA
	if caller.Codec.Name == media.PCMA.Name {
		other = media.PCMU
	}
	first := media.PCMU
	if caller.Codec.Name == media.PCMA.Name {
		first = media.PCMA
	}
	req.SetBody(sdpaudio.Write(br.rtp.LocalAddr(), []media.Codec{first, other}, agentDTMFPT, SendRecv, sessionID, 1))
	return req, nil
}

// displayNumber keeps what a phone can show of a caller number and nothing
// that could break out of the From header's quoted display name.
func displayNumber(n string) string {
	var sb strings.Builder
	for _, c := range n {
		if c >= '0' && c <= '9' || c == '+' || c == '*' || c == '#' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == ' ' || c == '-' || c == '.' {
			sb.WriteRune(c)
		}
		if sb.Len() >= 64 {
			break
		}
	}
	if sb.Len() == 0 {
		return "anonymous"
	}
	return sb.String()
}

func newCallID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:]) + "@switchboard"
}
