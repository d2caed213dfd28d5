package sip

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/switchboard-cc/switchboard/ivr"
	"github.com/switchboard-cc/switchboard/media"
	"github.com/switchboard-cc/switchboard/routing"
	"github.com/switchboard-cc/switchboard/sip/b2bua"
	"github.com/switchboard-cc/switchboard/sip/registrar"
	"github.com/switchboard-cc/switchboard/sip/siptest"
)

// agentPhone is a minimal SIP phone for agent 1001: it registers, answers
// every INVITE with PCMA (so the bridge transcodes from the caller's PCMU),
// talks a tone and counts the voiced packets it hears.
type agentPhone struct {
	ua      *sipgo.UserAgent
	client  *sipgo.Client
	addr    string
	dialogs *sipgo.DialogServerCache
	rtp     *net.UDPConn
	voiced  atomic.Int64
	current atomic.Pointer[sipgo.DialogServerSession]
	bridge  atomic.Pointer[netip.AddrPort]
	// ringOnly: the phone rings and never answers; a CANCEL is counted.
	ringOnly  atomic.Bool
	ringing   atomic.Int32
	cancelled atomic.Int32
}

func newAgentPhone(t *testing.T) *agentPhone {
	t.Helper()
	p := &agentPhone{}
	var err error
	if p.ua, err = sipgo.NewUA(); err != nil {
		t.Fatal(err)
	}
	srv, _ := sipgo.NewServer(p.ua)
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.addr = pc.LocalAddr().String()
	p.client, _ = sipgo.NewClient(p.ua, sipgo.WithClientConnectionAddr(p.addr))
	host, port, _ := sip.ParseAddr(p.addr)
	p.dialogs = sipgo.NewDialogServerCache(p.client, sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "1001", Host: host, Port: port}})
	if p.rtp, err = net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)}); err != nil {
		t.Fatal(err)
	}
	go p.listenRTP()
	srv.OnInvite(func(req *sip.Request, tx sip.ServerTransaction) {
		d, err := p.dialogs.ReadInvite(req, tx)
		if err != nil {
			return
		}
		d.Respond(sip.StatusRinging, "Ringing", nil)
		if p.ringOnly.Load() {
			p.ringing.Add(1)
			<-d.Context().Done() // CANCEL
			d.Respond(sip.StatusRequestTerminated, "Request Terminated", nil)
			p.cancelled.Add(1)
			return
		}
		if ap, ok := offerAddr(req.Body()); ok {
			p.bridge.Store(&ap)
		}
		local := p.rtp.LocalAddr().(*net.UDPAddr).AddrPort()
		sdp := fmt.Sprintf("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio %d RTP/AVP 8 101\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n", local.Port())
		p.current.Store(d)
		d.RespondSDP([]byte(sdp))
		<-d.Context().Done()
	})
	srv.OnAck(func(req *sip.Request, tx sip.ServerTransaction) { p.dialogs.ReadAck(req, tx) })
	srv.OnBye(func(req *sip.Request, tx sip.ServerTransaction) { p.dialogs.ReadBye(req, tx) })
	if err := siptest.ServeUDP(p.ua, srv, pc, 2*time.Second); err != nil {
		t.Fatalf("agent phone: %v", err)
	}
	t.Cleanup(func() { p.ua.Close(); pc.Close(); p.rtp.Close() })
	return p
}

func offerAddr(body []byte) (netip.AddrPort, bool) {
	var ip, port string
	for _, l := range strings.Split(string(body), "\r\n") {
		if v, ok := strings.CutPrefix(l, "c=IN IP4 "); ok {
			ip = v
		}
		if v, ok := strings.CutPrefix(l, "m=audio "); ok {
			port, _, _ = strings.Cut(v, " ")
		}
	}
	ap, err := netip.ParseAddrPort(ip + ":" + port)
	return ap, err == nil
}

func (p *agentPhone) listenRTP() { countVoiced(p.rtp, media.PCMA, &p.voiced) }

// talk sends a PCMA tone to the bridge for d.
func (p *agentPhone) talk(d time.Duration) {
	sendTone(p.rtp, *p.bridge.Load(), media.PCMA, 300, 0xA9E47, d)
}

func (p *agentPhone) register(t *testing.T, registrarAddr, password string) {
	t.Helper()
	host, port, _ := sip.ParseAddr(registrarAddr)
	req := sip.NewRequest(sip.REGISTER, sip.Uri{Scheme: "sip", Host: host, Port: port})
	aor := sip.Uri{Scheme: "sip", User: "1001", Host: host}
	from := &sip.FromHeader{Address: aor, Params: sip.NewParams()}
	from.Params.Add("tag", "reg1001")
	req.AppendHeader(from)
	req.AppendHeader(&sip.ToHeader{Address: aor})
	req.AppendHeader(sip.NewHeader("Contact", "<sip:1001@"+p.addr+">"))
	req.AppendHeader(sip.NewHeader("Expires", "300"))
	ctx := ctxT(t, 5*time.Second)
	res, err := p.client.Do(ctx, req)
	if err == nil && res.StatusCode == 401 {
		res, err = p.client.DoDigestAuth(ctx, req, res, sipgo.DigestAuth{Username: "1001", Password: password})
	}
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("register: %v %v", res, err)
	}
}

// TestCallerBridgedToRegisteredAgent runs the native transport with its
// agent side: a caller reaches the flow, Connect rings agent 1001's
// registered phone, and audio flows both ways (PCMU caller, PCMA agent)
// until the agent hangs up.
func TestCallerBridgedToRegisteredAgent(t *testing.T) {
	if _, ok := any((*media.Session)(nil)).(b2bua.CallerMedia); !ok {
		t.Skip("media.Session has no SetReceiver/WriteRTP yet: agent legs cannot take the caller's RTP")
	}
	reg, err := registrar.New(registrar.Config{Passwords: map[string]registrar.Password{"1001": "pw-1001"}})
	if err != nil {
		t.Fatal(err)
	}
	legs, err := b2bua.New(b2bua.Config{Phones: reg, MediaIP: netip.MustParseAddr("127.0.0.1")})
	if err != nil {
		t.Fatal(err)
	}
	type outcome struct {
		by  string
		err error
	}
	got := make(chan outcome, 1)
	srv := startServerDeps(t, Config{}, Deps{Agents: &AgentPhones{Registrar: reg, Legs: legs}}, func(ctx context.Context, call ivr.Call) {
		if err := call.Answer(ctx); err != nil {
			got <- outcome{err: err}
			return
		}
		leg, err := call.Connect(ctx, routing.Offer{ID: "o1", Group: "billing", RingTimeout: 10 * time.Second,
			Agents: []routing.Endpoint{{AgentID: "1001"}}})
		if err != nil {
			got <- outcome{err: err}
			return
		}
		<-leg.Done()
		got <- outcome{by: leg.EndedBy()}
	})
	phone := newAgentPhone(t)
	phone.register(t, srv.Addr(), "pw-1001")

	caller := newPhone(t, "127.0.0.1")
	call, err := caller.Start(ctxT(t, 5*time.Second), srv.target, siptest.DialOptions{From: "+8613800000000", Codecs: []string{"PCMU"}, DTMFPayloadType: 101})
	if err != nil {
		t.Fatal(err)
	}
	if err := call.WaitAnswer(ctxT(t, 5*time.Second)); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Second); phone.current.Load() == nil; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("agent phone never rang")
		}
	}
	time.Sleep(200 * time.Millisecond) // ACK and the relay in place
	clip, err := media.NewPromptCache(testPrompts).Load("en/long.wav", media.PCMU)
	if err != nil {
		t.Fatal(err)
	}
	playing := call.Play([]media.Clip{clip}, true)
	phone.talk(time.Second)
	call.Stop(playing)
	if v := phone.voiced.Load(); v < 20 {
		t.Errorf("agent heard %d voiced packets of the caller's tone; want >= 20", v)
	}
	if h := call.Heard(); h.Voiced < 20 {
		t.Errorf("caller heard %d voiced frames of the agent; want >= 20", h.Voiced)
	}
	if err := phone.current.Load().Bye(ctxT(t, 5*time.Second)); err != nil {
		t.Fatal(err)
	}
	select {
	case o := <-got:
		if o.err != nil || o.by != b2bua.EndedByAgent {
			t.Fatalf("leg ended by %q (%v); want agent", o.by, o.err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("leg did not end after the agent's BYE")
	}
}

// startServerDeps is startServer with extra dependencies.
func startServerDeps(t *testing.T, cfg Config, deps Deps, handler func(context.Context, ivr.Call)) *testServer {
	t.Helper()
	cfg.Listen = "127.0.0.1:0"
	cfg.RTPPortMin = -1
	log := &eventLog{}
	deps.Handler, deps.Prompts = runs(handler), testPrompts
	if deps.Events == nil {
		deps.Events = log
	}
	srv, err := New(cfg, deps)
	if err != nil {
		t.Fatal(err)
	}
	serveUntilCleanup(t, srv)
	return &testServer{Server: srv, target: "sip:96069@" + srv.Addr(), events: log}
}
