package siptest

import (
	"context"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/switchboard-cc/switchboard/media"
)

// IncomingMode is how a Phone treats INVITEs it receives (an agent's phone
// being rung by the B2BUA).
type IncomingMode int

const (
	// RefuseIncoming answers 488 (the default: a caller-only phone).
	RefuseIncoming IncomingMode = iota
	// AnswerIncoming rings, then answers after the configured delay.
	AnswerIncoming
	// BusyIncoming answers 486 Busy Here.
	BusyIncoming
	// RingIncoming rings until the INVITE is cancelled.
	RingIncoming
)

// incoming holds the phone's answering state.
type incoming struct {
	mu       sync.Mutex
	mode     IncomingMode
	after    time.Duration
	dialogs  *sipgo.DialogServerCache
	current  *sipgo.DialogServerSession
	media    *media.Session
	rung     int
	onAnswer func(Answered)
}

// Answered is an incoming call the phone answered.
type Answered struct {
	From   string // the user part of the INVITE's From (the caller's number)
	CallID string // the incoming leg's Call-ID
	// Hangup sends BYE (the agent hangs up).
	Hangup func(ctx context.Context) error
	// Done is closed when the call has ended (BYE from either side).
	Done <-chan struct{}
}

// OnAnswer has fn called, in a goroutine of its own, for every incoming
// call the phone answers: a test drives each conversation (talk time,
// who hangs up) from there.
func (p *Phone) OnAnswer(fn func(Answered)) {
	p.in.mu.Lock()
	p.in.onAnswer = fn
	p.in.mu.Unlock()
}

// SetIncoming sets how the phone treats INVITEs: mode, and for
// AnswerIncoming the ringing time before it answers.
func (p *Phone) SetIncoming(mode IncomingMode, answerAfter time.Duration) {
	p.in.mu.Lock()
	p.in.mode, p.in.after = mode, answerAfter
	p.in.mu.Unlock()
}

// Contact is the phone's SIP URI (where an agent's phone is rung).
func (p *Phone) Contact(user string) string {
	return "sip:" + user + "@" + p.addr.String()
}

// Rung is how many INVITEs the phone received.
func (p *Phone) Rung() int {
	p.in.mu.Lock()
	defer p.in.mu.Unlock()
	return p.in.rung
}

func (p *Phone) onIncoming(req *sip.Request, tx sip.ServerTransaction) {
	p.in.mu.Lock()
	mode, after := p.in.mode, p.in.after
	p.in.rung++
	p.in.mu.Unlock()
	respond := func(code int, reason string) {
		_ = tx.Respond(sip.NewResponseFromRequest(req, code, reason, nil))
	}
	switch mode {
	case RefuseIncoming:
		respond(488, "Not Acceptable Here")
		return
	case BusyIncoming:
		respond(486, "Busy Here")
		return
	}
	d, err := p.in.dialogs.ReadInvite(req, tx)
	if err != nil {
		respond(400, "Bad Request")
		return
	}
	defer d.Close()
	if err := d.Respond(180, "Ringing", nil); err != nil {
		return
	}
	if mode == RingIncoming {
		<-d.Context().Done() // CANCEL
		return
	}
	select {
	case <-d.Context().Done():
		return
	case <-time.After(after):
	}
	remote, err := answerAddr(req.Body())
	if err != nil {
		d.Respond(488, "Not Acceptable Here", nil)
		return
	}
	conn, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(p.ip, 0)))
	if err != nil {
		d.Respond(503, "Service Unavailable", nil)
		return
	}
	s := media.NewSession(media.SessionConfig{Conn: conn, Remote: remote, Codec: media.PCMU})
	s.Start(p.pacer)
	defer s.Close()
	p.in.mu.Lock()
	p.in.current, p.in.media = d, s
	p.in.mu.Unlock()
	defer func() {
		p.in.mu.Lock()
		if p.in.current == d {
			p.in.current, p.in.media = nil, nil
		}
		p.in.mu.Unlock()
	}()
	if err := d.RespondSDP(offerSDP(s.LocalAddr(), DialOptions{Codecs: []string{"PCMU"}}, 1)); err != nil {
		return
	}
	p.in.mu.Lock()
	onAnswer := p.in.onAnswer
	p.in.mu.Unlock()
	if onAnswer != nil {
		go onAnswer(Answered{From: req.From().Address.User, CallID: req.CallID().Value(),
			Hangup: d.Bye, Done: d.Context().Done()})
	}
	<-d.Context().Done() // BYE from either side
}

// HangupIncoming sends BYE on the answered incoming call (the agent hangs
// up). It reports false when there is none.
func (p *Phone) HangupIncoming(ctx context.Context) bool {
	p.in.mu.Lock()
	d := p.in.current
	p.in.mu.Unlock()
	if d == nil {
		return false
	}
	return d.Bye(ctx) == nil
}
