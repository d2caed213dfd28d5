package registrar

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"

	"github.com/switchboard-cc/switchboard/events"
	"github.com/switchboard-cc/switchboard/internal/clock"
	"github.com/switchboard-cc/switchboard/sip/siptest"
)

var epoch = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

// eventLog is a Sink that tests can wait on.
type eventLog struct {
	mu sync.Mutex
	ev []events.Event
	ch chan events.Event
}

func newEventLog() *eventLog { return &eventLog{ch: make(chan events.Event, 64)} }

func (l *eventLog) Emit(_ context.Context, e events.Event) {
	l.mu.Lock()
	l.ev = append(l.ev, e)
	l.mu.Unlock()
	l.ch <- e
}

func (l *eventLog) next(t *testing.T) events.Event {
	t.Helper()
	select {
	case e := <-l.ch:
		return e
	case <-time.After(5 * time.Second):
		t.Fatal("no event within 5s")
	}
	return events.Event{}
}

func (l *eventLog) none(t *testing.T) {
	t.Helper()
	select {
	case e := <-l.ch:
		t.Fatalf("unexpected event %+v", e)
	default:
	}
}

// server runs a registrar on a real UDP socket on 127.0.0.1:0.
type server struct {
	reg  *Registrar
	addr string // host:port
	log  *eventLog
	clk  *clock.Virtual
}

func startRegistrar(t *testing.T, cfg Config) *server {
	t.Helper()
	clk := clock.NewVirtual(epoch)
	log := newEventLog()
	if cfg.Clock == nil {
		cfg.Clock = clk
	}
	cfg.Events = log
	if cfg.Passwords == nil {
		cfg.Passwords = map[string]Password{"1001": "s3cret-1001", "1002": "s3cret-1002"}
	}
	reg, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("switchboard-test"))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := sipgo.NewServer(ua)
	if err != nil {
		t.Fatal(err)
	}
	srv.OnRegister(reg.OnRegister)
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	serveUDP(t, ua, srv, pc)
	t.Cleanup(func() { reg.Close(); ua.Close(); pc.Close() })
	return &server{reg: reg, addr: pc.LocalAddr().String(), log: log, clk: clk}
}

// phone is a fake agent phone: a sipgo client on its own UDP socket.
type phone struct {
	t       *testing.T
	client  *sipgo.Client
	contact string // host:port of the phone
	callID  string
	cseq    uint32
}

func newPhone(t *testing.T) *phone { t.Helper(); return newPhoneAt(t, "127.0.0.1") }

// newPhoneAt is a phone on its own loopback address (127.0.0.0/8), so tests
// can stand for several source IPs.
func newPhoneAt(t *testing.T, ip string) *phone {
	t.Helper()
	ua, err := sipgo.NewUA()
	if err != nil {
		t.Fatal(err)
	}
	srv, err := sipgo.NewServer(ua)
	if err != nil {
		t.Fatal(err)
	}
	srv.OnOptions(func(req *sip.Request, tx sip.ServerTransaction) {
		tx.Respond(sip.NewResponseFromRequest(req, sip.StatusOK, "OK", nil))
	})
	pc, err := net.ListenPacket("udp4", ip+":0")
	if err != nil {
		t.Fatal(err)
	}
	serveUDP(t, ua, srv, pc)
	cl, err := sipgo.NewClient(ua, sipgo.WithClientConnectionAddr(pc.LocalAddr().String()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ua.Close(); pc.Close() })
	return &phone{t: t, client: cl, contact: pc.LocalAddr().String(), callID: fmt.Sprintf("reg-%p", cl), cseq: 1}
}

// registerReq builds a REGISTER for agent with the given Contact header
// values (e.g. "<sip:1001@127.0.0.1:5062>") and Expires header (-1: none).
func (p *phone) registerReq(registrar, agent string, expires int, contacts ...string) *sip.Request {
	host, port, _ := sip.ParseAddr(registrar)
	req := sip.NewRequest(sip.REGISTER, sip.Uri{Scheme: "sip", Host: host, Port: port})
	aor := sip.Uri{Scheme: "sip", User: agent, Host: host}
	from := &sip.FromHeader{Address: aor, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(8))
	req.AppendHeader(from)
	req.AppendHeader(&sip.ToHeader{Address: aor})
	cid := sip.CallIDHeader(p.callID)
	req.AppendHeader(&cid)
	p.cseq++
	req.AppendHeader(&sip.CSeqHeader{SeqNo: p.cseq, MethodName: sip.REGISTER})
	for _, c := range contacts {
		req.AppendHeader(sip.NewHeader("Contact", c))
	}
	if expires >= 0 {
		req.AppendHeader(sip.NewHeader("Expires", strconv.Itoa(expires)))
	}
	return req
}

func (p *phone) do(req *sip.Request) *sip.Response {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	res, err := p.client.Do(ctx, req)
	if err != nil {
		p.t.Fatalf("%s: %v", req.Method, err)
	}
	return res
}

// register sends REGISTER, answers the challenge with password, and
// returns the final response.
func (p *phone) register(registrar, agent string, password string, expires int, contacts ...string) *sip.Response {
	p.t.Helper()
	req := p.registerReq(registrar, agent, expires, contacts...)
	res := p.do(req)
	if res.StatusCode != sip.StatusUnauthorized {
		return res
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	res, err := p.client.DoDigestAuth(ctx, req, res, sipgo.DigestAuth{Username: agent, Password: password})
	if err != nil {
		p.t.Fatalf("register with digest: %v", err)
	}
	return res
}

func (p *phone) contactURI(agent string) string {
	return "sip:" + agent + "@" + p.contact
}

// authorize builds an Authorization value for chal, independent of the
// registrar's own digest code.
func authorize(t *testing.T, chal string, agent, password, uri string, nc int) string {
	t.Helper()
	c, err := digest.ParseChallenge(chal)
	if err != nil {
		t.Fatal(err)
	}
	cred, err := digest.Digest(c, digest.Options{Method: "REGISTER", URI: uri, Username: agent, Password: password, Count: nc, Cnonce: "0a4f113b"})
	if err != nil {
		t.Fatal(err)
	}
	return cred.String()
}

// serveUDP serves srv on pc and returns once the transport layer has the
// socket in its pool (the readiness signal: requests sent from it before
// that would open a second socket on the same port).
func serveUDP(t *testing.T, ua *sipgo.UserAgent, srv *sipgo.Server, pc net.PacketConn) {
	t.Helper()
	if err := siptest.ServeUDP(ua, srv, pc, 2*time.Second); err != nil {
		t.Fatal(err)
	}
}
