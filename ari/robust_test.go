package ari

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/websocket"

	"github.com/switchboard-cc/switchboard/ari/arifake"
	"github.com/switchboard-cc/switchboard/events"
	"github.com/switchboard-cc/switchboard/ivr"
)

func TestRecordStops(t *testing.T) {
	tests := []struct {
		name   string
		act    func(ch *arifake.Channel)
		stop   string
		stored bool
	}{
		{"terminator", func(ch *arifake.Channel) { _ = ch.DTMF("#") }, "terminator", true},
		{"max", func(*arifake.Channel) {}, "max", true},
		{"hangup", func(ch *arifake.Channel) { ch.Hangup() }, "hangup", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			type seen struct {
				rec  ivr.Recording
				err  error
				next ivr.Collected
			}
			res := newResult[seen]()
			hs := newHarness(t, func(ctx context.Context, c ivr.Call) ivr.Outcome {
				var s seen
				s.rec, s.err = c.Record(ctx, ivr.Record{Path: "/var/rec/" + c.ID() + "-voicemail.wav", Max: 2 * time.Second, Terminator: "#"})
				if s.err == nil && s.rec.Stop != "hangup" {
					s.next, _ = c.Collect(ctx, ivr.Collect{Max: 1})
				}
				res.put(s)
				return ivr.Outcome{}
			}, harnessOpts{fake: arifake.Options{Scale: 0.01}})
			ch := hs.call("96069")
			hs.await("recording", func() bool {
				for _, e := range hs.fake.Events() {
					if e.Type == "RecordingStarted" {
						return true
					}
				}
				return false
			})
			tt.act(ch)
			s := res.get(t)
			if s.err != nil {
				t.Fatal(s.err)
			}
			if s.rec.Stop != tt.stop {
				t.Errorf("Stop = %q; want %q", s.rec.Stop, tt.stop)
			}
			name := ch.ID() + "-voicemail"
			if s.rec.Path != name+".wav" {
				t.Errorf("Path = %q; want %s.wav", s.rec.Path, name)
			}
			if _, ok := hs.fake.Stored(name); ok != tt.stored {
				t.Errorf("stored recording %s exists = %v; want %v", name, ok, tt.stored)
			}
			if s.next.Digits != "" {
				t.Errorf("the terminating key leaked into the next Collect: %q", s.next.Digits)
			}
		})
	}
}

// TestRecordTerminatorDuringBeep: Asterisk ignores the terminator and the
// stop request while a recording's beep plays; the key still ends the
// recording (the transport asks again) instead of it running on to Max.
func TestRecordTerminatorDuringBeep(t *testing.T) {
	type seen struct {
		rec ivr.Recording
		err error
	}
	res := newResult[seen]()
	hs := newHarness(t, func(ctx context.Context, c ivr.Call) ivr.Outcome {
		var s seen
		s.rec, s.err = c.Record(ctx, ivr.Record{Path: "vm", Max: 8 * time.Second, Beep: true, Terminator: "#"})
		res.put(s)
		return ivr.Outcome{}
	}, harnessOpts{fake: arifake.Options{BeepLength: 300 * time.Millisecond}})
	ch := hs.call("96069")
	hs.await("recording", func() bool {
		for _, e := range hs.fake.Events() {
			if e.Type == "RecordingStarted" {
				return true
			}
		}
		return false
	})
	if err := ch.DTMF("#"); err != nil {
		t.Fatal(err)
	}
	s := res.get(t)
	if s.err != nil || s.rec.Stop != "terminator" || s.rec.Duration > 4*time.Second {
		t.Errorf("Record = %+v, %v; want stopped by the terminator within a second or so", s.rec, s.err)
	}
}

func TestHoldPlaysMusicUntilCancelled(t *testing.T) {
	errs := newResult[error]()
	release := make(chan struct{})
	hs := newHarness(t, func(ctx context.Context, c ivr.Call) ivr.Outcome {
		hctx, cancel := context.WithCancel(ctx)
		go func() { <-release; cancel() }()
		errs.put(c.Hold(hctx, ivr.Playback{}))
		return ivr.Outcome{}
	}, harnessOpts{})
	ch := hs.call("96069")
	hs.await("music on", func() bool { return ch.MOH() == "default" })
	close(release)
	if err := errs.get(t); err != nil {
		t.Fatalf("Hold = %v; want nil after cancel", err)
	}
	hs.await("music off (or call ended)", func() bool { return ch.Gone() || ch.MOH() == "" })
}

func TestTransfer(t *testing.T) {
	tests := []struct {
		tr        ivr.Transfer
		continued string
		redirect  string
	}{
		{ivr.Transfer{Kind: "dialplan", Target: "support,200,1"}, "support,200,1", ""},
		{ivr.Transfer{Kind: "number", Target: "5000"}, "inbound,5000,1", ""},
		{ivr.Transfer{Kind: "uri", Target: "PJSIP/1002"}, "", "PJSIP/1002"},
	}
	for _, tt := range tests {
		t.Run(tt.tr.Kind, func(t *testing.T) {
			errs := newResult[error]()
			hs := newHarness(t, func(ctx context.Context, c ivr.Call) ivr.Outcome {
				err := c.Transfer(ctx, tt.tr)
				errs.put(err)
				if err == nil {
					select {
					case <-c.Done():
					case <-ctx.Done():
					}
				}
				return ivr.Outcome{Result: ivr.Transferred}
			}, harnessOpts{})
			ch := hs.call("96069")
			if err := errs.get(t); err != nil {
				t.Fatal(err)
			}
			hs.await("left stasis", func() bool { return !ch.InStasis() })
			if ch.Continued() != tt.continued || ch.Redirected() != tt.redirect {
				t.Errorf("continued %q redirected %q; want %q %q", ch.Continued(), ch.Redirected(), tt.continued, tt.redirect)
			}
			if ch.Gone() {
				t.Error("a transferred channel must not be hung up")
			}
		})
	}
}

// TestTransferredCallerIsNotHungUp: Asterisk answers continue before the
// channel leaves Stasis. A flow that ends as soon as its transfer is
// accepted (the engine's transfer node does) must not hang the caller up
// in between; a channel that never leaves is hung up after RequestTimeout.
func TestTransferredCallerIsNotHungUp(t *testing.T) {
	tests := []struct {
		name      string
		latency   time.Duration
		continued string
		hungUp    bool
	}{
		{"leaves after the 204", 200 * time.Millisecond, "switchboard-transfer,1001,1", false},
		{"never leaves", time.Hour, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hs := newHarness(t, func(ctx context.Context, c ivr.Call) ivr.Outcome {
				if err := c.Transfer(ctx, ivr.Transfer{Kind: "number", Target: "1001"}); err != nil {
					return ivr.Outcome{Result: ivr.Failed, Err: err}
				}
				return ivr.Outcome{Result: ivr.Transferred}
			}, harnessOpts{fake: arifake.Options{LeaveLatency: tt.latency}, cfg: func(c *Config) {
				c.TransferContext = "switchboard-transfer"
				c.RequestTimeout = time.Second
			}})
			ch := hs.call("96069")
			hs.await("the channel left Stasis", func() bool { return !ch.InStasis() })
			if ch.Gone() != tt.hungUp {
				t.Errorf("caller hung up = %v; want %v\nlogs:\n%s", ch.Gone(), tt.hungUp, hs.logs)
			}
			if !tt.hungUp && ch.Continued() != tt.continued {
				t.Errorf("continued at %q; want %q", ch.Continued(), tt.continued)
			}
		})
	}
}

func TestOutcomeContinueReturnsToDialplan(t *testing.T) {
	hs := newHarness(t, func(ctx context.Context, c ivr.Call) ivr.Outcome {
		return ivr.Outcome{Result: ivr.Completed, Continue: true}
	}, harnessOpts{})
	ch := hs.call("96069")
	hs.await("continued", func() bool { return ch.Continued() != "" })
	if got := ch.Continued(); got != "inbound,96069,3" {
		t.Errorf("continued at %q; want the next priority inbound,96069,3", got)
	}
}

// TestServerErrors: every ARI error ends in a defined outcome and the
// channel is never left in Stasis.
func TestServerErrors(t *testing.T) {
	tests := []struct {
		name   string
		fault  arifake.Fault
		action func(ctx context.Context, c ivr.Call) error
		check  func(t *testing.T, err error)
	}{
		{"404 on answer is a hang-up",
			arifake.Fault{Path: "/answer", Status: 404, Message: "Channel not found"},
			func(ctx context.Context, c ivr.Call) error { return c.Answer(ctx) },
			func(t *testing.T, err error) {
				if !errors.Is(err, ivr.ErrHangup) {
					t.Errorf("err = %v; want ErrHangup", err)
				}
			}},
		{"409 on moh is a hang-up",
			arifake.Fault{Path: "/moh", Status: 409, Message: "Channel not in Stasis application"},
			func(ctx context.Context, c ivr.Call) error { return c.Hold(ctx, ivr.Playback{}) },
			func(t *testing.T, err error) {
				if !errors.Is(err, ivr.ErrHangup) {
					t.Errorf("err = %v; want ErrHangup", err)
				}
			}},
		{"500 on play is an error with the status",
			arifake.Fault{Path: "/play", Status: 500, Message: "Failed to queue media for playback"},
			func(ctx context.Context, c ivr.Call) error {
				_, err := c.Play(ctx, ivr.Playback{Prompts: []ivr.Prompt{prompt("welcome")}})
				return err
			},
			func(t *testing.T, err error) {
				var re *RequestError
				if !errors.As(err, &re) || re.Status != 500 || errors.Is(err, ivr.ErrHangup) {
					t.Errorf("err = %v; want RequestError 500", err)
				}
			}},
		{"422 on addChannel is a miss",
			arifake.Fault{Path: "/addChannel", Status: 422, Message: "Channel not in Stasis application"},
			func(ctx context.Context, c ivr.Call) error { _, err := c.Connect(ctx, offer("1001")); return err },
			func(t *testing.T, err error) {
				var ce *ivr.ConnectError
				if !errors.As(err, &ce) || ce.Misses["agent-1001"] != ivr.MissUnreachable {
					t.Errorf("err = %v; want ConnectError unreachable", err)
				}
			}},
		{"500 on originate is a miss",
			arifake.Fault{Method: "POST", Path: "/channels", Status: 500, Message: "Allocation failed", Times: 1},
			func(ctx context.Context, c ivr.Call) error { _, err := c.Connect(ctx, offer("1001")); return err },
			func(t *testing.T, err error) {
				var ce *ivr.ConnectError
				if !errors.As(err, &ce) || ce.Misses["agent-1001"] != ivr.MissUnreachable {
					t.Errorf("err = %v; want ConnectError unreachable", err)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			errs := newResult[error]()
			hs := newHarness(t, func(ctx context.Context, c ivr.Call) ivr.Outcome {
				err := tt.action(ctx, c)
				errs.put(err)
				return ivr.Outcome{Result: ivr.Failed, Err: err}
			}, harnessOpts{})
			hs.fake.SetEndpoint("PJSIP/1001", arifake.EndpointBehavior{Kind: arifake.Answer})
			hs.fake.Fail(tt.fault)
			ch := hs.call("96069")
			tt.check(t, errs.get(t))
			hs.fake.ClearFaults()
			hs.await("caller not left in stasis", ch.Gone)
			hs.await("no agent leg left", func() bool { return len(hs.fake.Originated("PJSIP/1001")) == 0 })
		})
	}
}

func TestHangupRetriedAfterServerError(t *testing.T) {
	hs := newHarness(t, func(ctx context.Context, c ivr.Call) ivr.Outcome { return ivr.Outcome{} }, harnessOpts{})
	hs.fake.Fail(arifake.Fault{Method: "DELETE", Path: "/channels/", Status: 500, Message: "Internal", Times: 2})
	ch := hs.call("96069")
	hs.await("hung up on the third try", ch.Gone)
}

// TestReconnectMidCall drops the events WebSocket while the caller is in a
// Collect: the transport reconnects and the digits pressed afterwards are
// collected; a caller who hangs up while the socket is down is noticed.
func TestReconnectMidCall(t *testing.T) {
	res := newResult[ivr.Collected]()
	errs := newResult[error]()
	hs := newHarness(t, func(ctx context.Context, c ivr.Call) ivr.Outcome {
		_ = c.Answer(ctx)
		got, err := c.Collect(ctx, ivr.Collect{Max: 2, FirstDigit: time.Hour, InterDigit: time.Hour})
		res.put(got)
		errs.put(err)
		if err == nil {
			_, err = c.Collect(ctx, ivr.Collect{Max: 1, FirstDigit: time.Hour})
			errs.put(err)
		}
		return ivr.Outcome{}
	}, harnessOpts{})
	ch := hs.call("96069")
	hs.await("answered", func() bool { return ch.State() == "Up" })
	hs.fake.RejectWebSockets(true)
	hs.fake.DropWebSockets()
	hs.await("socket gone", func() bool { return !hs.fake.Connected("switchboard") })
	hs.fake.RejectWebSockets(false)
	hs.await("reconnected", func() bool { return hs.fake.Connected("switchboard") })
	_ = ch.DTMF("73")
	if got := res.get(t); got.Digits != "73" {
		t.Errorf("Collect after reconnect = %+v; want 73", got)
	}
	if err := errs.get(t); err != nil {
		t.Fatal(err)
	}
	// Now hang up while the socket is down: the resync ends the call.
	hs.fake.RejectWebSockets(true)
	hs.fake.DropWebSockets()
	hs.await("socket gone", func() bool { return !hs.fake.Connected("switchboard") })
	ch.Hangup()
	hs.fake.RejectWebSockets(false)
	if err := errs.get(t); !errors.Is(err, ivr.ErrHangup) {
		t.Errorf("Collect across a missed hang-up = %v; want ErrHangup", err)
	}
	if !strings.Contains(hs.logs.String(), "events connection lost") {
		t.Error("the drop was not logged")
	}
}

// TestRestartReadoptsQueuedCaller stops Switchboard while the caller waits
// in a queue; the next run finds the caller in Stasis, plays the recovery
// prompt and runs the handler again from the queue node.
func TestRestartReadoptsQueuedCaller(t *testing.T) {
	queued := make(chan struct{})
	var hs *harness
	first := func(ctx context.Context, c ivr.Call) ivr.Outcome {
		_ = c.Answer(ctx)
		sink := hs.tr.Track(events.Discard)
		sink.Emit(ctx, events.Event{CallID: c.ID(), Type: events.IVRNode, Node: "main_menu"})
		sink.Emit(ctx, events.Event{CallID: c.ID(), Type: events.IVRNode, Node: "billing"})
		sink.Emit(ctx, events.Event{CallID: c.ID(), Type: events.QueueEnter, Node: "billing", Queue: "billing"})
		close(queued)
		_ = c.Hold(ctx, ivr.Playback{})
		return ivr.Outcome{Result: ivr.Failed, Reason: ivr.ReasonShutdown}
	}
	hs = newHarness(t, first, harnessOpts{})
	ch := hs.call("96069")
	<-queued
	hs.await("queue remembered on the channel", func() bool { return ch.Var(VarQueue) == "billing" && ch.MOH() != "" })
	hs.shutdown()
	if ch.Gone() || !ch.InStasis() {
		t.Fatal("shutdown must leave the caller in Stasis")
	}

	type seen struct {
		node      string
		recovered bool
		to        string
		leg       ivr.Leg
		err       error
	}
	res := newResult[seen]()
	hs.fake.SetEndpoint("PJSIP/1001", arifake.EndpointBehavior{Kind: arifake.Answer})
	hs.start(func(ctx context.Context, c ivr.Call) ivr.Outcome {
		var s seen
		s.node, s.recovered = ResumeNode(c)
		s.to = c.To()
		s.leg, s.err = c.Connect(ctx, offer("1001"))
		res.put(s)
		if s.leg != nil {
			<-s.leg.Done()
		}
		return ivr.Outcome{}
	}, nil)
	s := res.get(t)
	if !s.recovered || s.node != "billing" || s.to != "96069" {
		t.Errorf("ResumeNode, To = %q %v %q; want billing true 96069", s.node, s.recovered, s.to)
	}
	if s.err != nil {
		t.Fatalf("re-adopted caller did not reach the agent: %v", s.err)
	}
	if !hasPrefixIn(ch.Played(), "sound:pls-hold-while-try") {
		t.Errorf("played %v; want the recovery prompt", ch.Played())
	}
	hs.await("caller and agent bridged", func() bool { return ch.Bridge() != "" })
}

func TestServeKeepsRetryingWhileAsteriskIsDown(t *testing.T) {
	// A port with nothing listening.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	logs := &logBuffer{}
	var attempts atomic.Int32
	tr, err := New(Config{URL: "http://" + addr + "/ari", Username: "u", Password: "p",
		Reconnect: Backoff{Min: 10 * time.Millisecond, Max: 40 * time.Millisecond}},
		func(context.Context, ivr.Call) ivr.Outcome { attempts.Add(1); return ivr.Outcome{} },
		Options{Logger: newTestLogger(logs)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	if err := tr.Serve(ctx); err != nil {
		t.Fatalf("Serve = %v; want nil after ctx ends", err)
	}
	if el := time.Since(start); el > 2*time.Second {
		t.Errorf("Serve took %v to stop", el)
	}
	select {
	case <-tr.Ready():
		t.Error("Ready closed without a connection")
	default:
	}
	out := logs.String()
	n := strings.Count(out, "cannot connect to Asterisk")
	// 300 ms at 10, 20, 40, 40, ... ms: about 9 tries; a spin would be thousands.
	if n < 3 || n > 20 {
		t.Errorf("%d connection attempts in 300 ms; want backoff (3..20)\n%s", n, out)
	}
	if !strings.Contains(out, "level=ERROR") || !strings.Contains(out, addr) {
		t.Errorf("want a clear error naming %s:\n%s", addr, out)
	}
}

func TestApplicationReplacedReleasesCalls(t *testing.T) {
	res := newResult[error]()
	hs := newHarness(t, func(ctx context.Context, c ivr.Call) ivr.Outcome {
		_, err := c.Collect(ctx, ivr.Collect{Max: 1, FirstDigit: time.Hour})
		res.put(err)
		return ivr.Outcome{}
	}, harnessOpts{cfg: func(c *Config) { c.Reconnect.Max = time.Hour }})
	ch := hs.call("96069")
	waitCalls(t, hs, 1)
	// Another controller registers the same application.
	cfg, _ := websocket.NewConfig(strings.Replace(hs.srv.URL, "http", "ws", 1)+"/ari/events?app=switchboard&api_key=switchboard:switchboard", "http://localhost/")
	other, err := websocket.DialConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if err := res.get(t); err == nil {
		t.Error("the call kept running after ApplicationReplaced")
	}
	if !strings.Contains(hs.logs.String(), "ApplicationReplaced") {
		t.Error("ApplicationReplaced was not logged")
	}
	if ch.Gone() {
		t.Error("a released call must not be hung up: the other controller owns it")
	}
}

func waitCalls(t *testing.T, hs *harness, n int) {
	t.Helper()
	deadline := time.Now().Add(testTimeout)
	for hs.tr.Active() != n {
		if time.Now().After(deadline) {
			t.Fatalf("transport has %d calls; want %d", hs.tr.Active(), n)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestHungRequestIsBounded: Asterisk accepts a request and never answers;
// the call's step fails after request_timeout and the caller is hung up.
func TestHungRequestIsBounded(t *testing.T) {
	errs := newResult[error]()
	hs := newHarness(t, func(ctx context.Context, c ivr.Call) ivr.Outcome {
		start := time.Now()
		err := c.Answer(ctx)
		if time.Since(start) > 2*time.Second {
			err = errors.New("Answer was not bounded")
		}
		errs.put(err)
		return ivr.Outcome{Result: ivr.Failed, Err: err}
	}, harnessOpts{cfg: func(c *Config) { c.RequestTimeout = 100 * time.Millisecond }})
	hs.fake.Fail(arifake.Fault{Path: "/answer", Hang: true})
	ch := hs.call("96069")
	err := errs.get(t)
	var re *RequestError
	if !errors.As(err, &re) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Answer = %v; want a RequestError wrapping the deadline", err)
	}
	hs.await("caller hung up after the failed step", ch.Gone)
}

// A recording whose name is taken fails instead of replacing the message
// already stored under it (ifExists=fail).
func TestRecordNeverOverwrites(t *testing.T) {
	type seen struct {
		first, second ivr.Recording
		err1, err2    error
	}
	res := newResult[seen]()
	hs := newHarness(t, func(ctx context.Context, c ivr.Call) ivr.Outcome {
		var s seen
		s.first, s.err1 = c.Record(ctx, ivr.Record{Path: "/var/rec/dup_x-vm.wav", Max: time.Second})
		s.second, s.err2 = c.Record(ctx, ivr.Record{Path: "/var/rec/dup_x-vm.wav", Max: time.Second})
		res.put(s)
		return ivr.Outcome{}
	}, harnessOpts{fake: arifake.Options{Scale: 0.01}})
	hs.call("96069")
	s := res.get(t)
	if s.err1 != nil || s.first.Stop != "max" {
		t.Fatalf("first recording = %+v, %v; want it stopped at max", s.first, s.err1)
	}
	if s.err2 == nil {
		t.Fatalf("second recording under the same name = %+v; want an error, not an overwrite", s.second)
	}
	if _, ok := hs.fake.Stored("dup_x-vm"); !ok {
		t.Error("the first recording is no longer stored")
	}
}
