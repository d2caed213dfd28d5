package b2bua

import (
	"context"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/switchboard-cc/switchboard/media"
	"github.com/switchboard-cc/switchboard/sip/sdpaudio"
)

// phoneMode is how a fake agent phone treats an INVITE.
type phoneMode int

const (
	modeAnswer  phoneMode = iota // 180, then 200 when the gate opens (at once if no gate)
	modeBusy                     // 486
	modeDecline                  // 603
	modeRing                     // 180 and never answers
)

// fakePhone is an agent's phone built on sipgo: it registers, rings,
// answers with SDP and RTP, and can BYE, hold and REFER.
type fakePhone struct {
	t       *testing.T
	agent   string
	mode    phoneMode
	gate    chan struct{} // closed to answer
	codec   media.Codec   // answers with this codec
	dtmfPT  uint8
	ua      *sipgo.UserAgent
	client  *sipgo.Client
	addr    string
	dialogs *sipgo.DialogServerCache
	rtp     *rtpSocket

	invites   chan *sip.Request
	ringing   chan struct{}
	cancelled chan struct{}
	acked     chan struct{}
	byes      chan struct{}
	notifies  chan string

	mu     sync.Mutex
	dialog *sipgo.DialogServerSession
	remote string // Switchboard's RTP address from the offer

	contactAddr string // registers this host:port instead of its own (a dead phone)
	silentRing  bool   // sends no 180 before answering (nothing to CANCEL)
}

func newFakePhone(t *testing.T, agent string, mode phoneMode) *fakePhone {
	t.Helper()
	p := &fakePhone{
		t: t, agent: agent, mode: mode, codec: media.PCMU, dtmfPT: 101,
		invites: make(chan *sip.Request, 8), ringing: make(chan struct{}, 8), cancelled: make(chan struct{}, 8),
		acked: make(chan struct{}, 8), byes: make(chan struct{}, 8), notifies: make(chan string, 8),
		rtp: newRTPSocket(t),
	}
	var err error
	p.ua, err = sipgo.NewUA(sipgo.WithUserAgent("fakephone-" + agent))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := sipgo.NewServer(p.ua)
	if err != nil {
		t.Fatal(err)
	}
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.addr = pc.LocalAddr().String()
	p.client, err = sipgo.NewClient(p.ua, sipgo.WithClientConnectionAddr(p.addr))
	if err != nil {
		t.Fatal(err)
	}
	host, port, _ := sip.ParseAddr(p.addr)
	p.dialogs = sipgo.NewDialogServerCache(p.client, sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: agent, Host: host, Port: port}})
	srv.OnInvite(p.onInvite)
	srv.OnAck(func(req *sip.Request, tx sip.ServerTransaction) {
		// Counted on arrival: sipgo handles each request in its own
		// goroutine, so a BYE sent right after this ACK may be processed
		// first and make ReadAck refuse it.
		p.acked <- struct{}{}
		p.dialogs.ReadAck(req, tx)
	})
	srv.OnBye(func(req *sip.Request, tx sip.ServerTransaction) {
		if err := p.dialogs.ReadBye(req, tx); err != nil {
			tx.Respond(sip.NewResponseFromRequest(req, 481, "No Dialog", nil))
			return
		}
		p.byes <- struct{}{}
	})
	srv.OnNotify(func(req *sip.Request, tx sip.ServerTransaction) {
		tx.Respond(sip.NewResponseFromRequest(req, 200, "OK", nil))
		p.notifies <- string(req.Body())
	})
	serveUDP(t, p.ua, srv, pc)
	t.Cleanup(func() { p.ua.Close(); pc.Close() })
	return p
}

func (p *fakePhone) contactURI() string {
	if p.contactAddr != "" {
		return "sip:" + p.agent + "@" + p.contactAddr
	}
	return "sip:" + p.agent + "@" + p.addr
}

func (p *fakePhone) onInvite(req *sip.Request, tx sip.ServerTransaction) {
	d, err := p.dialogs.ReadInvite(req, tx)
	if err != nil {
		return
	}
	p.invites <- req
	switch p.mode {
	case modeBusy:
		d.Respond(sip.StatusBusyHere, "Busy Here", nil)
		return
	case modeDecline:
		d.Respond(sip.StatusGlobalDecline, "Decline", nil)
		return
	}
	if !p.silentRing {
		d.Respond(sip.StatusRinging, "Ringing", nil)
	}
	p.ringing <- struct{}{}
	var gate <-chan struct{} = p.gate
	if p.mode == modeRing {
		gate = nil
	} else if gate == nil {
		ch := make(chan struct{})
		close(ch)
		gate = ch
	}
	select {
	case <-d.Context().Done(): // CANCEL
		d.Respond(sip.StatusRequestTerminated, "Request Terminated", nil)
		p.cancelled <- struct{}{}
		return
	case <-gate:
	}
	offer, err := parseSDP(req.Body())
	if err != nil {
		d.Respond(sip.StatusNotAcceptableHere, "Not Acceptable Here", nil)
		return
	}
	p.mu.Lock()
	p.dialog = d
	p.remote = offer.Remote.String()
	p.mu.Unlock()
	answer := sdpaudio.Write(p.rtp.addr(), []media.Codec{p.codec}, p.dtmfPT, SendRecv, 7, 1)
	if err := d.RespondSDP(answer); err != nil {
		p.t.Logf("phone %s: answer: %v", p.agent, err)
		return
	}
	<-d.Context().Done()
}

// register binds the phone at the switchboard with the agent's password.
func (p *fakePhone) register(sbAddr, password string) {
	p.t.Helper()
	host, port, _ := sip.ParseAddr(sbAddr)
	req := sip.NewRequest(sip.REGISTER, sip.Uri{Scheme: "sip", Host: host, Port: port})
	aor := sip.Uri{Scheme: "sip", User: p.agent, Host: host}
	from := &sip.FromHeader{Address: aor, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(8))
	req.AppendHeader(from)
	req.AppendHeader(&sip.ToHeader{Address: aor})
	req.AppendHeader(sip.NewHeader("Contact", "<"+p.contactURI()+">"))
	req.AppendHeader(sip.NewHeader("Expires", "300"))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	res, err := p.client.Do(ctx, req)
	if err != nil {
		p.t.Fatal(err)
	}
	if res.StatusCode == 401 {
		res, err = p.client.DoDigestAuth(ctx, req, res, sipgo.DigestAuth{Username: p.agent, Password: password})
		if err != nil {
			p.t.Fatal(err)
		}
	}
	if res.StatusCode != 200 {
		p.t.Fatalf("register %s: %d %s", p.agent, res.StatusCode, res.Reason)
	}
}

func (p *fakePhone) current() *sipgo.DialogServerSession {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.dialog
}

// bridgeAddr is Switchboard's RTP address for this phone's call.
func (p *fakePhone) bridgeAddr() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.remote
}

// request sends an in-dialog request and returns the final response.
func (p *fakePhone) request(method sip.RequestMethod, body []byte, headers ...sip.Header) *sip.Response {
	p.t.Helper()
	d := p.current()
	if d == nil {
		p.t.Fatal("phone has no call")
	}
	target := d.InviteRequest.Contact().Address
	req := sip.NewRequest(method, target)
	for _, h := range headers {
		req.AppendHeader(h)
	}
	if body != nil {
		req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
		req.SetBody(body)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	res, err := d.Do(ctx, req)
	if err != nil {
		p.t.Fatalf("%s: %v", method, err)
	}
	if method == sip.INVITE && res.IsSuccess() {
		ack := sip.NewRequest(sip.ACK, target)
		ack.AppendHeader(sip.HeaderClone(res.To()))
		if err := d.WriteRequest(ack); err != nil {
			p.t.Fatalf("ack: %v", err)
		}
	}
	return res
}

// reinvite sends a new offer with direction dir (hold/resume).
func (p *fakePhone) reinvite(dir Direction, version uint64) *sip.Response {
	return p.request(sip.INVITE, sdpaudio.Write(p.rtp.addr(), []media.Codec{p.codec}, p.dtmfPT, dir, 7, version))
}

func (p *fakePhone) refer(target string) *sip.Response {
	return p.request(sip.REFER, nil, sip.NewHeader("Refer-To", target), sip.NewHeader("Referred-By", "<"+p.contactURI()+">"))
}

func (p *fakePhone) hangUp() {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := p.current().Bye(ctx); err != nil {
		p.t.Fatalf("bye: %v", err)
	}
}

func wait(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(5 * time.Second):
		t.Fatalf("%s: not within 5s", what)
	}
}

func noSignal(t *testing.T, ch <-chan struct{}, what string, d time.Duration) {
	t.Helper()
	select {
	case <-ch:
		t.Fatalf("unexpected %s", what)
	case <-time.After(d):
	}
}

var _ = fmt.Sprintf
