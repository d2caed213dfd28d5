package sip

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/switchboard-cc/switchboard/events"
	"github.com/switchboard-cc/switchboard/internal/clock"
	"github.com/switchboard-cc/switchboard/ivr"
	"github.com/switchboard-cc/switchboard/media"
	"github.com/switchboard-cc/switchboard/routing"
	"github.com/switchboard-cc/switchboard/sip/b2bua"
	"github.com/switchboard-cc/switchboard/sip/registrar"
	"github.com/switchboard-cc/switchboard/sip/siptest"
)

// customerPhone is the phone a callback dials, behind the fake trunk: it
// refuses the first `busy` INVITEs with 486, answers the others with PCMU,
// and counts the voiced packets it hears.
type customerPhone struct {
	addr    string
	rtp     *net.UDPConn
	busy    int32 // refuse this many INVITEs with 486; -1: ring every INVITE until cancelled
	invites atomic.Int32
	voiced  atomic.Int64
	current atomic.Pointer[sipgo.DialogServerSession]
	remote  atomic.Pointer[netip.AddrPort]
	from    atomic.Pointer[string]
}

func newCustomerPhone(t *testing.T, busy int32) *customerPhone {
	t.Helper()
	p := &customerPhone{busy: busy}
	ua, err := sipgo.NewUA()
	if err != nil {
		t.Fatal(err)
	}
	srv, _ := sipgo.NewServer(ua)
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.addr = pc.LocalAddr().String()
	client, _ := sipgo.NewClient(ua, sipgo.WithClientConnectionAddr(p.addr))
	host, port, _ := sip.ParseAddr(p.addr)
	dialogs := sipgo.NewDialogServerCache(client, sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "customer", Host: host, Port: port}})
	if p.rtp, err = net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)}); err != nil {
		t.Fatal(err)
	}
	go p.listenRTP()
	srv.OnInvite(func(req *sip.Request, tx sip.ServerTransaction) {
		from := req.From().Address.User
		p.from.Store(&from)
		if p.busy < 0 {
			p.invites.Add(1)
			tx.Respond(sip.NewResponseFromRequest(req, 180, "Ringing", nil))
			<-tx.Done() // CANCEL
			return
		}
		if p.invites.Add(1) <= p.busy {
			tx.Respond(sip.NewResponseFromRequest(req, 486, "Busy Here", nil))
			return
		}
		d, err := dialogs.ReadInvite(req, tx)
		if err != nil {
			return
		}
		d.Respond(sip.StatusRinging, "Ringing", nil)
		if ap, ok := offerAddr(req.Body()); ok {
			p.remote.Store(&ap)
		}
		local := p.rtp.LocalAddr().(*net.UDPAddr).AddrPort()
		sdp := fmt.Sprintf("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio %d RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n", local.Port())
		p.current.Store(d)
		d.RespondSDP([]byte(sdp))
		<-d.Context().Done()
	})
	srv.OnAck(func(req *sip.Request, tx sip.ServerTransaction) { dialogs.ReadAck(req, tx) })
	srv.OnBye(func(req *sip.Request, tx sip.ServerTransaction) { dialogs.ReadBye(req, tx) })
	if err := siptest.ServeUDP(ua, srv, pc, 2*time.Second); err != nil {
		t.Fatalf("customer phone: %v", err)
	}
	t.Cleanup(func() { ua.Close(); pc.Close(); p.rtp.Close() })
	return p
}

func (p *customerPhone) listenRTP() { countVoiced(p.rtp, media.PCMU, &p.voiced) }

// talk sends a PCMU tone to Switchboard for d.
func (p *customerPhone) talk(d time.Duration) {
	sendTone(p.rtp, *p.remote.Load(), media.PCMU, 500, 0xC0FFEE, d)
}

// callbackWorld is a native SIP server with agent 1001's phone registered,
// the real ACD, and a dialer whose trunk leads to a customer phone.
type callbackWorld struct {
	acd      *routing.ACD
	dialer   *Dialer
	agent    *agentPhone
	customer *customerPhone
	events   *eventLog
}

func newCallbackWorld(t *testing.T, customerBusy int32) *callbackWorld {
	t.Helper()
	return newCallbackWorldConfig(t, customerBusy, Config{})
}

// newCallbackWorldConfig is newCallbackWorld with the Server's cfg.
func newCallbackWorldConfig(t *testing.T, customerBusy int32, cfg Config) *callbackWorld {
	t.Helper()
	if _, ok := any((*media.Session)(nil)).(b2bua.CallerMedia); !ok {
		t.Skip("media.Session has no SetReceiver/WriteRTP: agent legs cannot take the customer's RTP")
	}
	w := &callbackWorld{events: &eventLog{}}
	reg, err := registrar.New(registrar.Config{Passwords: map[string]registrar.Password{"1001": "pw-1001"}})
	if err != nil {
		t.Fatal(err)
	}
	legs, err := b2bua.New(b2bua.Config{Phones: reg, MediaIP: netip.MustParseAddr("127.0.0.1"), Events: w.events})
	if err != nil {
		t.Fatal(err)
	}
	srv := startServerDeps(t, cfg, Deps{Events: w.events, Agents: &AgentPhones{Registrar: reg, Legs: legs,
		HoldMusic: ivr.Playback{Prompts: []ivr.Prompt{prompt("moh")}}}},
		func(context.Context, ivr.Call) {})
	w.customer = newCustomerPhone(t, customerBusy)

	var dialer atomic.Pointer[Dialer]
	w.acd, err = routing.New(routing.Config{
		Skills: []string{"billing"},
		Groups: map[string]routing.GroupConfig{"billing": {Skills: map[string]int{"billing": 1},
			RingTimeout: routing.Duration(10 * time.Second)}},
		Agents: []routing.AgentConfig{{ID: "1001", Endpoint: "sip:1001@127.0.0.1", Skills: map[string]int{"billing": 5}, State: "ready"}},
	}, routing.Options{Clock: clock.Real{}, Events: w.events, Callbacks: func(due routing.CallbackDue) { dialer.Load().Callback(due) }})
	if err != nil {
		t.Fatal(err)
	}
	d, err := NewDialer(srv.Server, TrunkConfig{URI: "sip:{number}@" + w.customer.addr, From: "96069",
		Connecting: "en/welcome.wav", Attempts: 2, RetryAfter: 100 * time.Millisecond, RingTimeout: 500 * time.Millisecond},
		DialerDeps{Requeue: w.acd.RequestCallback})
	if err != nil {
		t.Fatal(err)
	}
	dialer.Store(d)
	w.dialer = d
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- d.Serve(ctx) }()
	t.Cleanup(func() { cancel(); <-served })
	select {
	case <-d.Ready():
	case err := <-served:
		t.Fatalf("dialer: %v", err)
	}
	w.agent = newAgentPhone(t)
	w.agent.register(t, srv.Addr(), "pw-1001")
	return w
}

// waitFor polls cond (a condition on real sockets) until it holds.
func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(d); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func (l *eventLog) find(callID string, typ events.Type) []events.Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []events.Event
	for _, e := range l.ev {
		if e.CallID == callID && e.Type == typ {
			out = append(out, e)
		}
	}
	return out
}

// A callback's turn comes: the customer is dialled on the trunk first,
// hears the connecting prompt, and is bridged to agent 1001 (audio both
// ways); the agent's hang-up ends the customer's call and the ticket.
func TestCallbackDialsCustomerThenAgent(t *testing.T) {
	w := newCallbackWorld(t, 0)
	ctx := ctxT(t, 10*time.Second)
	if err := w.acd.RequestCallback(ctx, routing.Request{CallID: "cb1", Group: "billing", Caller: "13800138000"}, "13800138000"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the customer to answer", 5*time.Second, func() bool { return w.customer.current.Load() != nil })
	if f := w.customer.from.Load(); f == nil || *f != "96069" {
		t.Errorf("customer saw the call from %v; want 96069", f)
	}
	waitFor(t, "the connecting prompt", 5*time.Second, func() bool { return w.customer.voiced.Load() >= 10 })
	waitFor(t, "the agent's phone to ring", 5*time.Second, func() bool { return w.agent.current.Load() != nil })
	waitFor(t, "queue.connect", 5*time.Second, func() bool { return len(w.events.find("cb1", events.QueueConnect)) == 1 })

	before := w.customer.voiced.Load()
	done := make(chan struct{})
	go func() { w.agent.talk(time.Second); close(done) }()
	w.customer.talk(time.Second)
	<-done
	if heard := w.customer.voiced.Load() - before; heard < 20 {
		t.Errorf("customer heard %d voiced packets of the agent; want >= 20", heard)
	}
	if v := w.agent.voiced.Load(); v < 20 {
		t.Errorf("agent heard %d voiced packets of the customer; want >= 20", v)
	}

	if err := w.agent.current.Load().Bye(ctx); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the customer's call to end", 5*time.Second, func() bool { return w.customer.current.Load().Context().Err() != nil })
	waitFor(t, "call.end", 5*time.Second, func() bool { return len(w.events.find("cb1", events.CallEnd)) == 1 })
	start := w.events.find("cb1", events.CallStart)
	if len(start) != 1 || start[0].Data["direction"] != "outbound" || start[0].Data["to"] != "13800138000" {
		t.Errorf("call.start = %+v", start)
	}
	if end := w.events.find("cb1", events.CallEnd)[0]; end.Data["by"] != ivr.ByAgent || end.Data["reason"] != ivr.ReasonAgentHangup {
		t.Errorf("call.end = %+v; want by agent", end)
	}
	if c := w.events.find("cb1", events.QueueConnect); c[0].Agent != "1001" || c[0].Data["callback"] != "1" {
		t.Errorf("queue.connect = %+v", c[0])
	}
	waitFor(t, "agent 1001 in wrap-up or idle", 5*time.Second, func() bool {
		a, err := w.acd.Agent("1001")
		return err == nil && (a.Activity == routing.WrapUp || a.Activity == routing.Idle)
	})
}

// The agent logs out while their phone rings for a callback: the ACD
// withdraws the offer and the dialer cancels the agent's ring at once,
// instead of ringing a logged-out agent for the whole ring timeout (10 s).
func TestCallbackAgentRingCancelledAtLogout(t *testing.T) {
	w := newCallbackWorld(t, 0)
	w.agent.ringOnly.Store(true)
	ctx := ctxT(t, 10*time.Second)
	if err := w.acd.RequestCallback(ctx, routing.Request{CallID: "cb4", Group: "billing", Caller: "13800138000"}, "13800138000"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the agent's phone to ring", 5*time.Second, func() bool { return w.agent.ringing.Load() == 1 })
	if err := w.acd.Logout(ctx, "1001", "supervisor:mei", "end_of_shift"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the agent's ring to be cancelled", 3*time.Second, func() bool { return w.agent.cancelled.Load() == 1 })
	if n := len(w.events.find("cb4", events.AgentNoAnswer)); n != 0 {
		t.Errorf("agent charged %d misses for a withdrawn offer", n)
	}
	if a, err := w.acd.Agent("1001"); err != nil || a.Presence != routing.LoggedOut {
		t.Errorf("agent 1001: %+v, %v; want logged out", a, err)
	}
}

// A busy customer costs the reserved agent nothing: the callback leaves the
// line, comes back after RetryAfter at its old place, and the second call
// goes through.
func TestCallbackRetriesBusyCustomer(t *testing.T) {
	w := newCallbackWorld(t, 1)
	ctx := ctxT(t, 10*time.Second)
	if err := w.acd.RequestCallback(ctx, routing.Request{CallID: "cb2", Group: "billing", Caller: "13800138000"}, "13800138000"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the second attempt to be answered", 5*time.Second, func() bool { return w.customer.current.Load() != nil })
	waitFor(t, "queue.connect", 5*time.Second, func() bool { return len(w.events.find("cb2", events.QueueConnect)) == 1 })
	if n := w.customer.invites.Load(); n != 2 {
		t.Errorf("customer got %d INVITEs; want 2 (busy, then answered)", n)
	}
	ends := w.events.find("cb2", events.CallEnd)
	if len(ends) != 1 || ends[0].Data["reason"] != "busy" {
		t.Errorf("first attempt's call.end = %+v; want reason busy", ends)
	}
	if n := len(w.events.find("cb2", events.AgentNoAnswer)); n != 0 {
		t.Errorf("agent charged %d misses for a busy customer", n)
	}
	enters := w.events.find("cb2", events.QueueEnter)
	if len(enters) != 2 || len(w.events.find("cb2", events.QueueAbandon)) != 1 {
		t.Errorf("queue.enter %d, queue.abandon %d; want 2 and 1", len(enters), len(w.events.find("cb2", events.QueueAbandon)))
	}
	if err := w.agent.current.Load().Bye(ctx); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the second call.end", 5*time.Second, func() bool { return len(w.events.find("cb2", events.CallEnd)) == 2 })
}

// A customer who never answers is called Attempts times (each ring cut at
// RingTimeout, with a CANCEL), then the callback is dropped: out of line,
// nothing left to dial, and the agent was never charged.
func TestCallbackDroppedAfterAttempts(t *testing.T) {
	w := newCallbackWorld(t, -1)
	ctx := ctxT(t, 10*time.Second)
	if err := w.acd.RequestCallback(ctx, routing.Request{CallID: "cb3", Group: "billing", Caller: "13800138000"}, "13800138000"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "two unanswered attempts", 5*time.Second, func() bool { return len(w.events.find("cb3", events.CallEnd)) == 2 })
	for _, e := range w.events.find("cb3", events.CallEnd) {
		if e.Data["reason"] != "no_answer" {
			t.Errorf("call.end = %+v; want no_answer", e)
		}
	}
	waitFor(t, "the callback to be dropped", 5*time.Second, func() bool {
		w.dialer.mu.Lock()
		defer w.dialer.mu.Unlock()
		return len(w.dialer.attempts) == 0 && len(w.dialer.active) == 0
	})
	if g, err := w.acd.Group("billing"); err != nil || g.Waiting != 0 {
		t.Errorf("billing after the drop: %+v, %v; want nobody waiting", g, err)
	}
	if n := w.customer.invites.Load(); n != 2 {
		t.Errorf("customer got %d INVITEs; want 2", n)
	}
	if n := len(w.events.find("cb3", events.AgentNoAnswer)); n != 0 {
		t.Errorf("agent charged %d misses for an unreachable customer", n)
	}
	if a, err := w.acd.Agent("1001"); err != nil || a.Activity != routing.Idle || a.Presence != routing.Ready {
		t.Errorf("agent after the drop: %+v, %v; want ready and idle", a, err)
	}
}

// A customer whose line is dead once answered (no RTP, no BYE) is hung up
// after sip.rtp_timeout: the callback's call.end says by=system,
// reason=rtp_timeout, and the customer's phone gets the BYE. Before, the
// dialer had no RTP timeout and the callback went on to ring and bridge
// an agent to nobody.
func TestCallbackCustomerWithoutRTPIsHungUp(t *testing.T) {
	w := newCallbackWorldConfig(t, 0, Config{RTPTimeout: 200 * time.Millisecond})
	w.agent.ringOnly.Store(true)
	ctx := ctxT(t, 10*time.Second)
	if err := w.acd.RequestCallback(ctx, routing.Request{CallID: "cb5", Group: "billing", Caller: "13800138000"}, "13800138000"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the customer to answer", 5*time.Second, func() bool { return w.customer.current.Load() != nil })
	waitFor(t, "call.end", 5*time.Second, func() bool { return len(w.events.find("cb5", events.CallEnd)) == 1 })
	if end := w.events.find("cb5", events.CallEnd)[0]; end.Data["by"] != ivr.BySystem || end.Data["reason"] != "rtp_timeout" {
		t.Errorf("call.end = %+v; want by system, reason rtp_timeout", end)
	}
	waitFor(t, "the customer's phone to get the BYE", 5*time.Second, func() bool { return w.customer.current.Load().Context().Err() != nil })
}
