package sip

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/switchboard-cc/switchboard/ivr"
	"github.com/switchboard-cc/switchboard/media"
)

// rawTrunk is a trunk peer on a loopback UDP socket that answers the
// dialler byte for byte as each test writes it: the hostile or broken peer
// a sipgo phone cannot play. Every request the dialler sends arrives on
// reqs; BYE is answered 200 at once.
type rawTrunk struct {
	t     *testing.T
	conn  *net.UDPConn
	reqs  chan *sip.Request
	resps chan *sip.Response // to requests the trunk sent (re-INVITE)
}

func newRawTrunk(t *testing.T) *rawTrunk {
	t.Helper()
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	tr := &rawTrunk{t: t, conn: c, reqs: make(chan *sip.Request, 256), resps: make(chan *sip.Response, 64)}
	go func() {
		buf := make([]byte, 65535)
		for {
			n, _, err := c.ReadFromUDP(buf)
			if err != nil {
				close(tr.reqs)
				return
			}
			if m, err := sip.ParseMessage(append([]byte(nil), buf[:n]...)); err == nil {
				if r, ok := m.(*sip.Response); ok {
					select {
					case tr.resps <- r:
					default:
					}
				}
				if r, ok := m.(*sip.Request); ok {
					if r.Method == sip.BYE || r.Method == sip.OPTIONS {
						res := sip.NewResponseFromRequest(r, 200, "OK", nil)
						c.WriteToUDP([]byte(res.String()), &net.UDPAddr{IP: net.ParseIP(r.Via().Host), Port: r.Via().Port})
					}
					select {
					case tr.reqs <- r:
					default: // a test that stopped reading
					}
				}
			}
		}
	}()
	t.Cleanup(func() { c.Close() })
	return tr
}

func (tr *rawTrunk) addr() string { return tr.conn.LocalAddr().String() }

// next returns the next request with method m, skipping others
// (retransmissions); nil when none comes before the guard runs out.
func (tr *rawTrunk) next(m sip.RequestMethod, guard time.Duration) *sip.Request {
	deadline := time.After(guard)
	for {
		select {
		case r, ok := <-tr.reqs:
			if !ok {
				return nil
			}
			if r.Method == m {
				return r
			}
		case <-deadline:
			return nil
		}
	}
}

// send writes raw to the dialler that sent req (its Via).
func (tr *rawTrunk) send(req *sip.Request, raw string) {
	tr.t.Helper()
	via := req.Via()
	dst := &net.UDPAddr{IP: net.ParseIP(via.Host), Port: via.Port}
	if _, err := tr.conn.WriteToUDP([]byte(raw), dst); err != nil {
		tr.t.Fatal(err)
	}
}

// respond sends a response to req: status line, req's Via, From, Call-ID
// and CSeq, then To (with toTag unless empty), the extra header lines and
// body.
func (tr *rawTrunk) respond(req *sip.Request, status, toTag string, extra []string, body string) {
	tr.t.Helper()
	var b strings.Builder
	b.WriteString("SIP/2.0 " + status + "\r\n")
	for _, v := range req.GetHeaders("Via") {
		b.WriteString("Via: " + v.Value() + "\r\n")
	}
	b.WriteString("From: " + req.From().Value() + "\r\n")
	to := req.To().Value()
	if toTag != "" {
		to += ";tag=" + toTag
	}
	b.WriteString("To: " + to + "\r\n")
	b.WriteString("Call-ID: " + req.CallID().Value() + "\r\n")
	b.WriteString("CSeq: " + req.CSeq().Value() + "\r\n")
	for _, h := range extra {
		b.WriteString(h + "\r\n")
	}
	fmt.Fprintf(&b, "Content-Length: %d\r\n\r\n%s", len(body), body)
	tr.send(req, b.String())
}

// answerSDP is a customer's answer with connection address ip and the
// direction attribute dir.
func answerSDP(ip, dir string) string { return sdpAt(ip, 40000, dir) }

func sdpAt(ip string, port int, dir string) string {
	return fmt.Sprintf("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\nm=audio %d RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=%s\r\n", ip, port, dir)
}

// answer takes the dialler's INVITE and answers it 200 with sdp (To tag
// toTag), returning the INVITE.
func (tr *rawTrunk) answer(toTag, sdp string) *sip.Request {
	inv := tr.next(sip.INVITE, 5*time.Second)
	if inv == nil {
		return nil
	}
	tr.respond(inv, "200 OK", toTag, []string{"Contact: <sip:c@" + tr.addr() + ">", "Content-Type: application/sdp"}, sdp)
	return inv
}

// reinvite sends the dialler a re-INVITE in the dialog inv/toTag with body
// and returns the final response (nil if none comes).
func (tr *rawTrunk) reinvite(inv *sip.Request, toTag string, cseq int, body string, to string) *sip.Response {
	tr.t.Helper()
	branch := fmt.Sprintf("z9hG4bK-re%d", cseq)
	raw := "INVITE " + inv.Contact().Address.String() + " SIP/2.0\r\n" +
		"Via: SIP/2.0/UDP " + tr.addr() + ";branch=" + branch + "\r\n" +
		"From: " + inv.To().Value() + ";tag=" + toTag + "\r\n" +
		"To: " + inv.From().Value() + "\r\n" +
		"Call-ID: " + inv.CallID().Value() + "\r\n" +
		fmt.Sprintf("CSeq: %d INVITE\r\n", cseq) +
		"Contact: <sip:c@" + tr.addr() + ">\r\nContent-Type: application/sdp\r\n" +
		fmt.Sprintf("Content-Length: %d\r\n\r\n%s", len(body), body)
	dst, err := net.ResolveUDPAddr("udp", to)
	if err != nil {
		tr.t.Fatal(err)
	}
	if _, err := tr.conn.WriteToUDP([]byte(raw), dst); err != nil {
		tr.t.Fatal(err)
	}
	deadline := time.After(5 * time.Second)
	for {
		select {
		case r := <-tr.resps:
			if b, _ := r.Via().Params.Get("branch"); r.StatusCode < 200 || b != branch {
				continue
			}
			ack := "ACK " + inv.Contact().Address.String() + " SIP/2.0\r\nVia: SIP/2.0/UDP " + tr.addr() + ";branch=" + branch + "-ack\r\n" +
				"From: " + inv.To().Value() + ";tag=" + toTag + "\r\nTo: " + r.To().Value() + "\r\nCall-ID: " + inv.CallID().Value() + "\r\n" +
				fmt.Sprintf("CSeq: %d ACK\r\nContent-Length: 0\r\n\r\n", cseq)
			tr.conn.WriteToUDP([]byte(ack), dst)
			return r
		case <-deadline:
			return nil
		}
	}
}

// rawDialer is a Server with a small RTP port range and a Dialer whose
// trunk is tr; logs collects both their logs.
func rawDialer(t *testing.T, tr *rawTrunk, logs *lockedBuffer, cfg Config) *Dialer {
	t.Helper()
	base := 40000 + 4*rand.IntN(4000)
	cfg.Listen, cfg.RTPPortMin, cfg.RTPPortMax = "127.0.0.1:0", base, base+3
	srv, err := New(cfg, Deps{
		Handler: runs(noopHandler), Claims: func(string) bool { return true }, Prompts: testPrompts, Events: &eventLog{},
	})
	if err != nil {
		t.Fatal(err)
	}
	serveUntilCleanup(t, srv)
	d, err := NewDialer(srv, TrunkConfig{URI: "sip:{number}@" + tr.addr(), From: "96069", Allow: []string{"_X."}},
		DialerDeps{Logger: slog.New(slog.NewTextHandler(logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- d.Serve(ctx) }()
	t.Cleanup(func() { cancel(); <-served })
	select {
	case <-d.Ready():
	case err := <-served:
		t.Fatalf("dialer: %v", err)
	}
	return d
}

// A trunk peer that answers badly never leaves a call up: the dial fails
// with an error that says why (a bounded one), a 200 OK we cannot use is
// ACKed and hung up with BYE, the RTP port goes back to the pool. A peer
// that sends many provisional responses is waited on, not given up on
// with its INVITE left ringing.
//
// Before: a 200 OK without a To tag was neither ACKed nor hung up (the
// customer's phone stayed off the hook in silence); answers on hold,
// inactive or sendonly were taken as answered calls (the agent rung for
// a customer who hears nothing); a 486 reason phrase went whole into the
// error and log (8 kB here); the 11th provisional response failed the
// dial and left the INVITE ringing, never cancelled.
func TestDialerHostileTrunkAnswers(t *testing.T) {
	cases := []struct {
		name    string
		answer  func(tr *rawTrunk, inv *sip.Request)
		ok      bool   // Dial returns a call
		bye     bool   // the trunk gets ACK and BYE
		errWant string // in Dial's error
	}{
		{"garbage sdp", func(tr *rawTrunk, inv *sip.Request) {
			tr.respond(inv, "200 OK", "c1", []string{"Contact: <sip:c@" + tr.addr() + ">", "Content-Type: application/sdp"}, "v=0\r\nthis is no sdp\r\n")
		}, false, true, "sdp answer"},
		{"200 without To tag", func(tr *rawTrunk, inv *sip.Request) {
			tr.respond(inv, "200 OK", "", []string{"Contact: <sip:c@" + tr.addr() + ">", "Content-Type: application/sdp"}, answerSDP("127.0.0.1", "sendrecv"))
		}, false, true, "invite"},
		{"answer on hold", func(tr *rawTrunk, inv *sip.Request) {
			tr.respond(inv, "200 OK", "c3", []string{"Contact: <sip:c@" + tr.addr() + ">", "Content-Type: application/sdp"}, answerSDP("0.0.0.0", "sendrecv"))
		}, false, true, "no address to send audio to"},
		{"answer inactive", func(tr *rawTrunk, inv *sip.Request) {
			tr.respond(inv, "200 OK", "c4", []string{"Contact: <sip:c@" + tr.addr() + ">", "Content-Type: application/sdp"}, answerSDP("127.0.0.1", "inactive"))
		}, false, true, "inactive"},
		{"answer sendonly", func(tr *rawTrunk, inv *sip.Request) {
			tr.respond(inv, "200 OK", "c5", []string{"Contact: <sip:c@" + tr.addr() + ">", "Content-Type: application/sdp"}, answerSDP("127.0.0.1", "sendonly"))
		}, false, true, "sendonly"},
		{"486 with a huge reason", func(tr *rawTrunk, inv *sip.Request) {
			tr.respond(inv, "486 "+strings.Repeat("B\x1b", 4096), "c6", nil, "")
		}, false, false, "customer answered 486 B?B?"},
		{"many provisionals then 200", func(tr *rawTrunk, inv *sip.Request) {
			for range 15 {
				tr.respond(inv, "180 Ringing", "c7", nil, "")
			}
			tr.respond(inv, "200 OK", "c7", []string{"Contact: <sip:c@" + tr.addr() + ">", "Content-Type: application/sdp"}, answerSDP("127.0.0.1", "sendrecv"))
		}, true, false, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tr := newRawTrunk(t)
			logs := &lockedBuffer{}
			d := rawDialer(t, tr, logs, Config{})
			free := d.srv.ports.available()
			go func() {
				if inv := tr.next(sip.INVITE, 5*time.Second); inv != nil {
					tc.answer(tr, inv)
				}
			}()
			call, err := d.Dial(ctxT(t, 10*time.Second), "cb-"+tc.name, "13800138000", 5*time.Second)
			if tc.ok {
				if err != nil {
					t.Fatalf("Dial: %v; want the call", err)
				}
				if tr.next(sip.ACK, 5*time.Second) == nil {
					t.Errorf("no ACK for the answer")
				}
				call.Hangup(ctxT(t, 5*time.Second))
			} else {
				if err == nil {
					call.Hangup(ctxT(t, 5*time.Second))
					t.Fatalf("Dial answered a call; want an error containing %q", tc.errWant)
				}
				if !strings.Contains(err.Error(), tc.errWant) {
					t.Errorf("Dial: %v; want it to contain %q", err, tc.errWant)
				}
				if len(err.Error()) > 200 {
					t.Errorf("Dial's error is %d bytes long; want it bounded", len(err.Error()))
				}
			}
			if tc.bye {
				if tr.next(sip.ACK, 5*time.Second) == nil {
					t.Errorf("the 200 OK was never ACKed")
				}
				if tr.next(sip.BYE, 5*time.Second) == nil {
					t.Errorf("the unusable call was never hung up (no BYE)")
				}
			}
			if got := d.srv.ports.available(); got != free {
				t.Errorf("%d RTP ports free after the dial; want %d (all released)", got, free)
			}
		})
	}
}

// The customer answers just as the ring time runs out: the 200 OK crosses
// our CANCEL. Their phone is off the hook, so it is ACKed and hung up with
// BYE. Before, the dial reported "no answer" and left that call open in
// silence (no ACK, no BYE) until the phone gave up.
func TestDialerAnswerCrossingCancelIsHungUp(t *testing.T) {
	tr := newRawTrunk(t)
	d := rawDialer(t, tr, &lockedBuffer{}, Config{})
	go func() {
		inv := tr.next(sip.INVITE, 5*time.Second)
		if inv == nil {
			return
		}
		tr.respond(inv, "180 Ringing", "x1", nil, "")
		cancel := tr.next(sip.CANCEL, 10*time.Second)
		if cancel == nil {
			return
		}
		tr.respond(cancel, "200 OK", "x1", nil, "")
		tr.respond(inv, "200 OK", "x1", []string{"Contact: <sip:c@" + tr.addr() + ">", "Content-Type: application/sdp"}, answerSDP("127.0.0.1", "sendrecv"))
	}()
	_, err := d.Dial(ctxT(t, 20*time.Second), "cb-cross", "13800138000", 300*time.Millisecond)
	var de *DialError
	if !errors.As(err, &de) || de.Status != 0 {
		t.Fatalf("Dial: %v; want no answer", err)
	}
	if tr.next(sip.ACK, 5*time.Second) == nil {
		t.Errorf("the crossing 200 OK was never ACKed")
	}
	if tr.next(sip.BYE, 5*time.Second) == nil {
		t.Errorf("the crossing answer was never hung up (no BYE)")
	}
}

// TestDialerMalformedFloodDoesNotFloodTheLog: anyone who can reach the
// trunk's signalling socket can send it what the stack cannot handle. 150
// requests without Via used to write 150 ERROR lines quoting them (the
// dialler's stack log was not limited as the Server's is).
func TestDialerMalformedFloodDoesNotFloodTheLog(t *testing.T) {
	tr := newRawTrunk(t)
	logs := &lockedBuffer{}
	d := rawDialer(t, tr, logs, Config{})
	c, err := net.Dial("udp", d.local.String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	bad := "OPTIONS sip:x@" + d.local.String() + " SIP/2.0\r\nFrom: <sip:x@y>;tag=1\r\nTo: <sip:x@y>\r\nCall-ID: flood\r\nCSeq: 1 OPTIONS\r\nX-Pad: " +
		strings.Repeat("a", 500) + "\r\nContent-Length: 0\r\n\r\n"
	const sent = 150
	for range sent {
		if _, err := c.Write([]byte(bad)); err != nil {
			t.Fatal(err)
		}
	}
	// An ordinary OPTIONS after them: its answer means the flood was read.
	// (Sent again until answered: the flood may overrun the socket's
	// buffer, which drops datagrams, this one among them.)
	good := "OPTIONS sip:x@" + d.local.String() + " SIP/2.0\r\nVia: SIP/2.0/UDP " + c.LocalAddr().String() + ";branch=z9hG4bK-after\r\n" +
		"From: <sip:x@y>;tag=1\r\nTo: <sip:x@y>\r\nCall-ID: after-flood\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
	buf := make([]byte, 4096)
	answered := false
	for try := 0; try < 40 && !answered; try++ {
		if _, err := c.Write([]byte(good)); err != nil {
			t.Fatal(err)
		}
		c.SetReadDeadline(time.Now().Add(250 * time.Millisecond))
		for {
			n, err := c.Read(buf)
			if err != nil {
				break
			}
			if strings.Contains(string(buf[:n]), "after-flood") {
				answered = true
				break
			}
		}
	}
	if !answered {
		t.Fatalf("no answer to the OPTIONS after the flood")
	}
	text := logs.String()
	got := strings.Count(text, "Server tx failed to handle request")
	if got > 2*logLimitBurst {
		t.Errorf("%d malformed requests left %d log lines quoting them; want at most %d", sent, got, 2*logLimitBurst)
	}
	if got == 0 {
		t.Errorf("no log line at all about the malformed requests; want the first few. log:\n%.2000s", text)
	}
}

// The customer's re-INVITEs are read, not just answered: a media move is
// followed, hold stops our audio (and the answer says recvonly), an offer
// that does not parse is refused 400 and one we cannot use 488, the call
// going on as it was. Each answer's o= version grows (RFC 3264 §8).
//
// Before: every re-INVITE was answered 200 sendrecv with the same SDP
// version and nothing changed: after a media move the customer heard
// silence, a hold went on streaming, garbage was accepted.
func TestDialerFollowsCustomerReinvite(t *testing.T) {
	tr := newRawTrunk(t)
	d := rawDialer(t, tr, &lockedBuffer{}, Config{})
	first, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	moved, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer moved.Close()
	var voicedMoved atomic.Int64
	go countVoiced(moved, media.PCMU, &voicedMoved)
	invc := make(chan *sip.Request, 1)
	go func() { invc <- tr.answer("r1", sdpAt("127.0.0.1", first.LocalAddr().(*net.UDPAddr).Port, "sendrecv")) }()
	ctx := ctxT(t, 20*time.Second)
	call, err := d.Dial(ctx, "cb-reinvite", "13800138000", 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer call.Hangup(ctxT(t, 5*time.Second))
	inv := <-invc
	to := d.local.String()

	cases := []struct {
		name     string
		body     string
		status   int
		inAnswer string
	}{
		{"garbage", "v=0\r\nnot sdp at all\r\n", 400, ""},
		{"no codec of ours", strings.Replace(sdpAt("127.0.0.1", 40000, "sendrecv"), "RTP/AVP 0\r\na=rtpmap:0 PCMU/8000", "RTP/AVP 18\r\na=rtpmap:18 G729/8000", 1), 488, ""},
		{"hold", sdpAt("127.0.0.1", moved.LocalAddr().(*net.UDPAddr).Port, "sendonly"), 200, "a=recvonly"},
		{"unhold, media moved", sdpAt("127.0.0.1", moved.LocalAddr().(*net.UDPAddr).Port, "sendrecv"), 200, "a=sendrecv"},
	}
	lastVersion := 1 // the offer's
	for i, tc := range cases {
		res := tr.reinvite(inv, "r1", 10+i, tc.body, to)
		if res == nil {
			t.Fatalf("%s: no answer to the re-INVITE", tc.name)
		}
		if res.StatusCode != tc.status {
			t.Errorf("%s: re-INVITE answered %d; want %d", tc.name, res.StatusCode, tc.status)
			continue
		}
		if tc.status != 200 {
			continue
		}
		body := string(res.Body())
		if !strings.Contains(body, tc.inAnswer) {
			t.Errorf("%s: answer\n%s\nwant %q", tc.name, body, tc.inAnswer)
		}
		version := 0
		if _, o, ok := strings.Cut(body, "o="); ok {
			if f := strings.Fields(o); len(f) > 2 {
				version, _ = strconv.Atoi(f[2])
			}
		}
		if version <= lastVersion {
			t.Errorf("%s: answer's o= version %d after %d; want it to grow", tc.name, version, lastVersion)
		}
		lastVersion = version
	}
	select {
	case <-call.Done():
		t.Fatalf("the call ended on the re-INVITEs: %v", call.gone())
	default:
	}
	// After the move our audio reaches the new address.
	go call.Play(ctx, ivr.Playback{Prompts: []ivr.Prompt{prompt("long")}})
	waitFor(t, "our audio at the moved address", 5*time.Second, func() bool { return voicedMoved.Load() >= 10 })
}

// A customer whose line goes dead without a BYE (no RTP for the Server's
// RTPTimeout) is ended by the system, reason rtp_timeout, so the owner
// hangs up; a callback is not left talking to nobody. Before, the dialer
// had no RTP timeout at all: such a call lasted until the agent hung up.
func TestDialerEndsCallWithoutRTP(t *testing.T) {
	tr := newRawTrunk(t)
	d := rawDialer(t, tr, &lockedBuffer{}, Config{RTPTimeout: 300 * time.Millisecond})
	go tr.answer("dead", answerSDP("127.0.0.1", "sendrecv"))
	call, err := d.Dial(ctxT(t, 10*time.Second), "cb-dead", "13800138000", 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-call.Done():
	case <-time.After(10 * time.Second):
		call.Hangup(ctxT(t, 5*time.Second))
		t.Fatal("a call with no RTP at all was never ended")
	}
	if by, reason := call.Ended(); by != ivr.BySystem || reason != "rtp_timeout" {
		t.Errorf("call ended by %s (%s); want system, rtp_timeout", by, reason)
	}
	call.Hangup(ctxT(t, 5*time.Second))
	if tr.next(sip.BYE, 5*time.Second) == nil {
		t.Errorf("no BYE after the RTP timeout")
	}
}
