package sip

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"runtime"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/switchboard-cc/switchboard/events"
	"github.com/switchboard-cc/switchboard/ivr"
	"github.com/switchboard-cc/switchboard/media"
	"github.com/switchboard-cc/switchboard/sip/siptest"
)

// toneWAV is a WAV of a 440 Hz tone, the stand-in for a prompt.
func toneWAV(d time.Duration) []byte {
	n := int(d.Seconds() * media.SampleRate)
	var b bytes.Buffer
	le := func(v any) { binary.Write(&b, binary.LittleEndian, v) }
	b.WriteString("RIFF")
	le(uint32(36 + 2*n))
	b.WriteString("WAVEfmt ")
	le(uint32(16))
	le(uint16(1))
	le(uint16(1))
	le(uint32(8000))
	le(uint32(16000))
	le(uint16(2))
	le(uint16(16))
	b.WriteString("data")
	le(uint32(2 * n))
	for i := range n {
		le(int16(6000 * math.Sin(2*math.Pi*440*float64(i)/8000)))
	}
	return b.Bytes()
}

var testPrompts = fstest.MapFS{
	"en/welcome.wav": {Data: toneWAV(400 * time.Millisecond)},
	"en/long.wav":    {Data: toneWAV(10 * time.Second)},
	"en/moh.wav":     {Data: toneWAV(time.Second)},
}

func prompt(name string) ivr.Prompt { return ivr.Prompt{Name: name, File: "en/" + name + ".wav"} }

// eventLog is a Sink that keeps events for assertions.
type eventLog struct {
	mu sync.Mutex
	ev []events.Event
}

func (l *eventLog) Emit(_ context.Context, e events.Event) {
	l.mu.Lock()
	l.ev = append(l.ev, e)
	l.mu.Unlock()
}

func (l *eventLog) types() []events.Type {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []events.Type
	for _, e := range l.ev {
		out = append(out, e.Type)
	}
	return out
}

type testServer struct {
	*Server
	target string
	events *eventLog
}

// startServer runs a server on free ports with handler, until the test ends.
func startServer(t *testing.T, cfg Config, handler func(context.Context, ivr.Call)) *testServer {
	t.Helper()
	cfg.Listen = "127.0.0.1:0"
	if cfg.RTPPortMin == 0 {
		cfg.RTPPortMin = -1
	}
	log := &eventLog{}
	srv, err := New(cfg, Deps{
		Handler: runs(handler),
		Claims:  func(n string) bool { return n != "404" },
		Prompts: testPrompts,
		Events:  log,
	})
	if err != nil {
		t.Fatal(err)
	}
	serveUntilCleanup(t, srv)
	return &testServer{Server: srv, target: "sip:96069@" + srv.Addr(), events: log}
}

// serveUntilCleanup runs srv.Serve until the test ends and returns once
// it listens; Serve failing, at start or later, fails the test.
func serveUntilCleanup(t *testing.T, srv *Server) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx) }()
	select {
	case <-srv.Ready():
	case err := <-served:
		t.Fatalf("Serve: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
}

func newPhone(t *testing.T, ip string) *siptest.Phone {
	t.Helper()
	p, err := siptest.NewPhone(siptest.Config{IP: ip})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func ctxT(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// result carries what a handler saw back to the test.
type result struct {
	barge     string
	collected ivr.Collected
	rec       ivr.Recording
	err       error
}

func waitResult(t *testing.T, ch <-chan result) result {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(10 * time.Second):
		t.Fatal("handler did not finish")
		return result{}
	}
}

func waitDone(t *testing.T, c *siptest.Call) {
	t.Helper()
	select {
	case <-c.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("call not ended")
	}
}

// TestPromptThenDigits is the basic IVR exchange for each DTMF flavour: the
// caller hears the prompt, presses keys, the server collects them and hangs
// up with BYE.
func TestPromptThenDigits(t *testing.T) {
	tests := []struct {
		name   string
		dtmfPT uint8
		codec  string
		info   string // SIP INFO content type; "" sends RFC 4733
	}{
		{"rfc4733 baresip pt", 101, "PCMU", ""},
		{"rfc4733 linphone pt", 97, "PCMA", ""},
		{"info dtmf-relay", 0, "PCMU", "application/dtmf-relay"},
		{"info dtmf", 0, "PCMU", "application/dtmf"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			results := make(chan result, 1)
			srv := startServer(t, Config{}, func(ctx context.Context, call ivr.Call) {
				var r result
				defer func() { results <- r }()
				if r.err = call.Answer(ctx); r.err != nil {
					return
				}
				if _, r.err = call.Play(ctx, ivr.Playback{Prompts: []ivr.Prompt{prompt("welcome")}}); r.err != nil {
					return
				}
				r.collected, r.err = call.Collect(ctx, ivr.Collect{Max: 5, Terminator: "#", FirstDigit: 5 * time.Second, InterDigit: 3 * time.Second})
				call.Hangup(ctx, "normal")
			})
			phone := newPhone(t, "127.0.0.1")
			ctx := ctxT(t, 15*time.Second)
			c, err := phone.Dial(ctx, srv.target, siptest.DialOptions{Codecs: []string{tt.codec}, DTMFPayloadType: tt.dtmfPT})
			if err != nil {
				t.Fatal(err)
			}
			sdp := c.AnswerSDP()
			wantPT := fmt.Sprintf("a=rtpmap:%d telephone-event/8000", tt.dtmfPT)
			if tt.dtmfPT != 0 && !strings.Contains(sdp, wantPT) {
				t.Errorf("answer lacks %q:\n%s", wantPT, sdp)
			}
			if !strings.Contains(sdp, "a=rtpmap:") || !strings.Contains(sdp, tt.codec+"/8000") || !strings.Contains(sdp, "a=ptime:20") {
				t.Errorf("answer does not accept %s with ptime 20:\n%s", tt.codec, sdp)
			}
			// 400 ms prompt = 20 frames; wait for them before pressing keys.
			if !c.WaitFrames(20, 5*time.Second) {
				t.Fatalf("heard %d frames; want the 20-frame prompt", c.Heard().Frames)
			}
			if tt.info != "" {
				err = c.SendInfo(ctx, "42#", tt.info)
			} else {
				err = c.SendDigits(ctx, "42#")
			}
			// The server may hang up before the last end packets are out.
			if err != nil && !errors.Is(err, siptest.ErrCallEnded) {
				t.Fatal(err)
			}
			r := waitResult(t, results)
			if r.err != nil {
				t.Fatalf("handler: %v", r.err)
			}
			if r.collected.Digits != "42" || r.collected.Stop != ivr.StopTerminator {
				t.Errorf("collected %+v; want 42 by terminator", r.collected)
			}
			waitDone(t, c)
			if !c.EndedByServer() {
				t.Error("server did not send BYE")
			}
			h := c.Heard()
			if h.Frames < 20 || h.Voiced < 18 {
				t.Errorf("heard %d frames (%d voiced); want the 20-frame tone", h.Frames, h.Voiced)
			}
		})
	}
}

// TestBargeIn: a key stops the prompt at once and stays buffered for Collect.
func TestBargeIn(t *testing.T) {
	results := make(chan result, 1)
	srv := startServer(t, Config{}, func(ctx context.Context, call ivr.Call) {
		var r result
		defer func() { results <- r }()
		call.Answer(ctx)
		start := time.Now()
		r.barge, r.err = call.Play(ctx, ivr.Playback{Prompts: []ivr.Prompt{prompt("long")}, Barge: true})
		if time.Since(start) > 5*time.Second {
			r.err = errors.New("barge-in did not stop the 10 s prompt")
			return
		}
		r.collected, _ = call.Collect(ctx, ivr.Collect{Max: 1, FirstDigit: time.Second})
		call.Hangup(ctx, "normal")
	})
	phone := newPhone(t, "127.0.0.1")
	ctx := ctxT(t, 15*time.Second)
	c, err := phone.Dial(ctx, srv.target, siptest.DialOptions{DTMFPayloadType: 101})
	if err != nil {
		t.Fatal(err)
	}
	c.WaitFrames(10, 5*time.Second)
	c.SendDigits(ctx, "7")
	r := waitResult(t, results)
	if r.err != nil || r.barge != "7" {
		t.Fatalf("Play = %q, %v; want barge 7", r.barge, r.err)
	}
	if r.collected.Digits != "7" {
		t.Errorf("Collect after barge = %+v; want the barge digit 7", r.collected)
	}
	waitDone(t, c)
}

// TestCollectTimeouts: first-digit and inter-digit timeouts.
func TestCollectTimeouts(t *testing.T) {
	results := make(chan result, 2)
	srv := startServer(t, Config{}, func(ctx context.Context, call ivr.Call) {
		call.Answer(ctx)
		var r result
		r.collected, r.err = call.Collect(ctx, ivr.Collect{Max: 4, FirstDigit: 200 * time.Millisecond, InterDigit: time.Second})
		results <- r
		r.collected, r.err = call.Collect(ctx, ivr.Collect{Max: 4, FirstDigit: 5 * time.Second, InterDigit: 300 * time.Millisecond})
		results <- r
		call.Hangup(ctx, "normal")
	})
	phone := newPhone(t, "127.0.0.1")
	ctx := ctxT(t, 15*time.Second)
	c, err := phone.Dial(ctx, srv.target, siptest.DialOptions{DTMFPayloadType: 101})
	if err != nil {
		t.Fatal(err)
	}
	r := waitResult(t, results)
	if r.err != nil || r.collected.Stop != ivr.StopFirstTimeout || r.collected.Digits != "" {
		t.Errorf("first Collect = %+v, %v; want first-digit timeout", r.collected, r.err)
	}
	c.SendDigits(ctx, "12")
	r = waitResult(t, results)
	if r.err != nil || r.collected.Stop != ivr.StopInterTimeout || r.collected.Digits != "12" {
		t.Errorf("second Collect = %+v, %v; want 12 then inter-digit timeout", r.collected, r.err)
	}
	waitDone(t, c)
}

// TestCancelBeforeAnswer: the caller gives up while it rings.
func TestCancelBeforeAnswer(t *testing.T) {
	ended := make(chan error, 1)
	srv := startServer(t, Config{}, func(ctx context.Context, call ivr.Call) {
		<-call.Done()
		ended <- call.Answer(ctx)
	})
	phone := newPhone(t, "127.0.0.1")
	c, err := phone.Start(ctxT(t, 10*time.Second), srv.target, siptest.DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(300*time.Millisecond, cancel)
	if err := c.WaitAnswer(ctx); err == nil {
		t.Fatal("call answered; want cancelled")
	}
	// (An answered call may see 180 after 200: sipgo handles each message
	// in its own goroutine. Here the call rings, so 180 must arrive.)
	if len(c.Provisional) == 0 || c.Provisional[len(c.Provisional)-1] != 180 {
		t.Errorf("provisional responses = %v; want 180 Ringing", c.Provisional)
	}
	select {
	case err := <-ended:
		var ee *EndError
		if !errors.As(err, &ee) || ee.By != "caller" || ee.Reason != "cancel" || !errors.Is(err, ivr.ErrHangup) {
			t.Errorf("after CANCEL, Answer = %v; want ended by caller: cancel", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("handler never saw the CANCEL")
	}
	waitIdle(t, srv)
}

func waitIdle(t *testing.T, srv *testServer) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for srv.Active() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d calls still active", srv.Active())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestByeWhileQueued: the caller hangs up during music on hold (an abandon);
// the engine's Hold returns an error wrapping ErrHangup.
func TestByeWhileQueued(t *testing.T) {
	results := make(chan result, 1)
	srv := startServer(t, Config{}, func(ctx context.Context, call ivr.Call) {
		call.Answer(ctx)
		results <- result{err: call.Hold(ctx, ivr.Playback{Prompts: []ivr.Prompt{prompt("moh")}})}
	})
	phone := newPhone(t, "127.0.0.1")
	ctx := ctxT(t, 15*time.Second)
	c, err := phone.Dial(ctx, srv.target, siptest.DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// More than the 1 s music file: it loops.
	if !c.WaitFrames(70, 5*time.Second) {
		t.Fatalf("heard %d frames of music; want it looping past 50", c.Heard().Frames)
	}
	if err := c.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	r := waitResult(t, results)
	var ee *EndError
	if !errors.Is(r.err, ivr.ErrHangup) || !errors.As(r.err, &ee) || ee.By != "caller" || ee.Reason != "bye" {
		t.Errorf("Hold = %v; want ErrHangup by caller (bye)", r.err)
	}
	waitIdle(t, srv)
}

// TestReinviteHold: the caller holds and resumes; the server answers
// recvonly, stops sending while held, and emits call.hold and call.unhold.
func TestReinviteHold(t *testing.T) {
	srv := startServer(t, Config{}, func(ctx context.Context, call ivr.Call) {
		call.Answer(ctx)
		call.Hold(ctx, ivr.Playback{Prompts: []ivr.Prompt{prompt("moh")}})
	})
	phone := newPhone(t, "127.0.0.1")
	ctx := ctxT(t, 15*time.Second)
	c, err := phone.Dial(ctx, srv.target, siptest.DialOptions{DTMFPayloadType: 101})
	if err != nil {
		t.Fatal(err)
	}
	c.WaitFrames(5, 5*time.Second)
	ans, err := c.Reinvite(ctx, "sendonly")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(ans, "a=recvonly") {
		t.Errorf("hold answer is not recvonly:\n%s", ans)
	}
	time.Sleep(100 * time.Millisecond) // packets in flight
	before := c.Heard().Frames
	time.Sleep(300 * time.Millisecond)
	if got := c.Heard().Frames; got != before {
		t.Errorf("server sent %d frames while held", got-before)
	}
	ans, err = c.Reinvite(ctx, "sendrecv")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(ans, "a=sendrecv") {
		t.Errorf("resume answer is not sendrecv:\n%s", ans)
	}
	if !c.WaitFrames(before+10, 3*time.Second) {
		t.Error("music did not resume after unhold")
	}
	c.Hangup(ctx)
	waitIdle(t, srv)
	got := fmt.Sprint(srv.events.types())
	if got != "[call.hold call.unhold]" {
		t.Errorf("events = %s; want [call.hold call.unhold]", got)
	}
}

// TestRTPTimeout: a caller that never sends RTP is torn down by the server.
func TestRTPTimeout(t *testing.T) {
	results := make(chan result, 1)
	srv := startServer(t, Config{RTPTimeout: 400 * time.Millisecond}, func(ctx context.Context, call ivr.Call) {
		call.Answer(ctx)
		results <- result{err: call.Hold(ctx, ivr.Playback{Prompts: []ivr.Prompt{prompt("moh")}})}
	})
	phone := newPhone(t, "127.0.0.1")
	ctx := ctxT(t, 15*time.Second)
	c, err := phone.Dial(ctx, srv.target, siptest.DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	r := waitResult(t, results)
	var ee *EndError
	if !errors.As(r.err, &ee) || ee.By != "system" || ee.Reason != "rtp_timeout" {
		t.Errorf("Hold = %v; want ended by system: rtp_timeout", r.err)
	}
	waitDone(t, c)
	if !c.EndedByServer() {
		t.Error("no BYE from the server")
	}
	if srv.Stats().RTPTimeouts.Load() != 1 {
		t.Errorf("rtp timeouts = %d; want 1", srv.Stats().RTPTimeouts.Load())
	}
}

// TestRTPKeepsCallUp: a caller that streams audio is not timed out.
func TestRTPKeepsCallUp(t *testing.T) {
	results := make(chan result, 1)
	srv := startServer(t, Config{RTPTimeout: 300 * time.Millisecond}, func(ctx context.Context, call ivr.Call) {
		call.Answer(ctx)
		hctx, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		results <- result{err: call.Hold(hctx, ivr.Playback{Prompts: []ivr.Prompt{prompt("moh")}})}
		call.Hangup(ctx, "normal")
	})
	phone := newPhone(t, "127.0.0.1")
	ctx := ctxT(t, 15*time.Second)
	c, err := phone.Dial(ctx, srv.target, siptest.DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	c.Play([]media.Clip{media.EncodeClip(make([]int16, 8000*3), media.PCMU)}, true)
	if r := waitResult(t, results); r.err != nil {
		t.Errorf("Hold = %v; want nil (ctx ended, caller alive)", r.err)
	}
	waitDone(t, c)
}

// TestRefusals covers the final responses to INVITEs that cannot be calls.
func TestRefusals(t *testing.T) {
	srv := startServer(t, Config{}, func(ctx context.Context, call ivr.Call) { call.Answer(ctx) })
	badSDP := []byte("v=0\r\no=x\r\nm=audio notaport RTP/AVP 0\r\n")
	tests := []struct {
		name   string
		target string
		opts   siptest.DialOptions
		want   int
	}{
		{"no flow for number", "sip:404@" + srv.Addr(), siptest.DialOptions{}, 404},
		{"no common codec", srv.target, siptest.DialOptions{Codecs: []string{"G722", "opus"}}, 488},
		{"srtp only", srv.target, siptest.DialOptions{SDP: []byte("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/SAVP 0\r\n")}, 488},
		{"malformed sdp", srv.target, siptest.DialOptions{SDP: badSDP}, 400},
	}
	phone := newPhone(t, "127.0.0.1")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := phone.Dial(ctxT(t, 10*time.Second), tt.target, tt.opts)
			var re *siptest.RejectedError
			if !errors.As(err, &re) || re.Status != tt.want {
				t.Errorf("Dial = %v; want %d", err, tt.want)
			}
		})
	}
	if code, err := phone.Options(ctxT(t, 5*time.Second), "sip:"+srv.Addr()); err != nil || code != 200 {
		t.Errorf("OPTIONS = %d, %v; want 200", code, err)
	}
}

// TestCallLimit: at MaxCalls a new call gets 486 (configured) and the
// running call is untouched.
func TestCallLimit(t *testing.T) {
	for _, status := range []int{486, 503} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			srv := startServer(t, Config{MaxCalls: 1, AtLimitStatus: status}, func(ctx context.Context, call ivr.Call) {
				call.Answer(ctx)
				call.Hold(ctx, ivr.Playback{Prompts: []ivr.Prompt{prompt("moh")}})
			})
			phone := newPhone(t, "127.0.0.1")
			ctx := ctxT(t, 10*time.Second)
			first, err := phone.Dial(ctx, srv.target, siptest.DialOptions{})
			if err != nil {
				t.Fatal(err)
			}
			_, err = phone.Dial(ctx, srv.target, siptest.DialOptions{})
			var re *siptest.RejectedError
			if !errors.As(err, &re) || re.Status != status {
				t.Fatalf("second call = %v; want %d", err, status)
			}
			if status == 503 && re.RetryAfter == "" {
				t.Error("503 without Retry-After")
			}
			select {
			case <-first.Done():
				t.Fatal("first call ended")
			default:
			}
			first.Hangup(ctx)
			waitIdle(t, srv)
			// A slot is free again.
			again, err := phone.Dial(ctx, srv.target, siptest.DialOptions{})
			if err != nil {
				t.Fatalf("call after the limit cleared: %v", err)
			}
			again.Hangup(ctx)
		})
	}
}

// TestDrain: after Drain a new call gets 503 with Retry-After while the
// call in progress goes on until it ends; Drain returns when it has.
func TestDrain(t *testing.T) {
	srv := startServer(t, Config{}, func(ctx context.Context, call ivr.Call) {
		call.Answer(ctx)
		call.Hold(ctx, ivr.Playback{Prompts: []ivr.Prompt{prompt("moh")}})
	})
	phone := newPhone(t, "127.0.0.1")
	ctx := ctxT(t, 10*time.Second)
	first, err := phone.Dial(ctx, srv.target, siptest.DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	drained := make(chan error, 1)
	go func() { drained <- srv.Drain(ctx) }()
	for !srv.draining.Load() {
		select {
		case err := <-drained:
			t.Fatalf("Drain returned %v with a call in progress", err)
		case <-ctx.Done():
			t.Fatal("Drain never started refusing")
		default:
			runtime.Gosched()
		}
	}
	_, err = phone.Dial(ctx, srv.target, siptest.DialOptions{})
	var re *siptest.RejectedError
	if !errors.As(err, &re) || re.Status != 503 || re.RetryAfter == "" {
		t.Fatalf("call while draining = %v; want 503 with Retry-After", err)
	}
	if !first.WaitFrames(5, 2*time.Second) {
		t.Fatal("the call in progress stopped hearing its music")
	}
	if srv.Active() != 1 {
		t.Errorf("Active() = %d while one call goes on", srv.Active())
	}
	select {
	case err := <-drained:
		t.Fatalf("Drain returned %v while a call goes on", err)
	default:
	}
	first.Hangup(ctx)
	if err := <-drained; err != nil {
		t.Fatalf("Drain after the last call ended: %v", err)
	}
	if srv.Active() != 0 {
		t.Errorf("Drain returned with %d calls active", srv.Active())
	}
}

// TestDrainIdle: with no call in progress Drain returns at once, and a
// Drain whose context ends first says why.
func TestDrainIdle(t *testing.T) {
	srv := startServer(t, Config{}, noopHandler)
	ctx := ctxT(t, 5*time.Second)
	if err := srv.Drain(ctx); err != nil {
		t.Fatalf("Drain of an idle server: %v", err)
	}
	busy := startServer(t, Config{}, func(ctx context.Context, call ivr.Call) {
		call.Answer(ctx)
		<-call.Done()
	})
	phone := newPhone(t, "127.0.0.1")
	c, err := phone.Dial(ctx, busy.target, siptest.DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Hangup(ctx)
	short, cancel := context.WithCancelCause(ctx)
	cancel(errors.New("drain time is up"))
	if err := busy.Drain(short); err == nil || err.Error() != "drain time is up" {
		t.Fatalf("Drain past its context = %v; want the context's cause", err)
	}
}

// TestFloodLimit: one source over its INVITE budget gets 503 Retry-After
// while another source still gets through.
func TestFloodLimit(t *testing.T) {
	srv := startServer(t, Config{FloodRate: 0.01, FloodBurst: 2}, func(ctx context.Context, call ivr.Call) {
		call.Answer(ctx)
		call.Hangup(ctx, "normal")
	})
	flooder := newPhone(t, "127.0.0.1")
	ctx := ctxT(t, 10*time.Second)
	var refused *siptest.RejectedError
	for i := range 4 {
		c, err := flooder.Dial(ctx, srv.target, siptest.DialOptions{})
		if i < 2 {
			if err != nil {
				t.Fatalf("call %d within the burst: %v", i, err)
			}
			waitDone(t, c)
			continue
		}
		if !errors.As(err, &refused) || refused.Status != 503 || refused.RetryAfter == "" {
			t.Fatalf("call %d over the limit = %v; want 503 with Retry-After", i, err)
		}
	}
	other := newPhone(t, "127.0.0.2")
	c, err := other.Dial(ctx, srv.target, siptest.DialOptions{})
	if err != nil {
		t.Fatalf("call from another source: %v", err)
	}
	waitDone(t, c)
	if n := srv.Stats().Flooded.Load(); n != 2 {
		t.Errorf("flooded = %d; want 2", n)
	}
}

func noopHandler(context.Context, ivr.Call) {}

// runs makes a test's call script an ivr.Handler; the server hangs up
// whatever the outcome, so the script reports none.
func runs(script func(context.Context, ivr.Call)) ivr.Handler {
	return func(ctx context.Context, c ivr.Call) ivr.Outcome {
		script(ctx, c)
		return ivr.Outcome{}
	}
}
