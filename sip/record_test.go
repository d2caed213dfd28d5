package sip

import (
	"context"
	"errors"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/ivr"
	"github.com/switchboard-cc/switchboard/media"
	"github.com/switchboard-cc/switchboard/sip/siptest"
)

// TestRecord: the caller speaks then goes quiet; the recording stops on
// silence and holds the speech.
func TestRecord(t *testing.T) {
	results := make(chan result, 1)
	dir := t.TempDir()
	srv := startServer(t, Config{}, func(ctx context.Context, call ivr.Call) {
		call.Answer(ctx)
		var r result
		r.rec, r.err = call.Record(ctx, ivr.Record{Path: dir + "/vm/msg.wav", Max: 10 * time.Second, Silence: 400 * time.Millisecond, Terminator: "#", Beep: true})
		results <- r
		call.Hangup(ctx, "normal")
	})
	phone := newPhone(t, "127.0.0.1")
	ctx := ctxT(t, 15*time.Second)
	c, err := phone.Dial(ctx, srv.target, siptest.DialOptions{DTMFPayloadType: 101})
	if err != nil {
		t.Fatal(err)
	}
	if !c.WaitFrames(12, 3*time.Second) { // the 250 ms beep
		t.Fatal("no beep heard")
	}
	speech, err := media.NewPromptCache(testPrompts).Load("en/moh.wav", media.PCMU)
	if err != nil {
		t.Fatal(err)
	}
	c.Play([]media.Clip{speech, media.EncodeClip(make([]int16, 8000*3), media.PCMU)}, false)
	r := waitResult(t, results)
	if r.err != nil || r.rec.Stop != "silence" {
		t.Fatalf("Record = %+v, %v; want stopped by silence", r.rec, r.err)
	}
	if r.rec.Duration < 1300*time.Millisecond || r.rec.Duration > 1700*time.Millisecond {
		t.Errorf("recorded %v; want ~1.4 s (1 s speech + 0.4 s silence)", r.rec.Duration)
	}
	waitDone(t, c)
}

// TestRecordTerminatorAndHangup: # ends a recording; a hangup mid-recording
// still returns the recording, with the hangup error.
func TestRecordTerminatorAndHangup(t *testing.T) {
	results := make(chan result, 2)
	dir := t.TempDir()
	srv := startServer(t, Config{}, func(ctx context.Context, call ivr.Call) {
		call.Answer(ctx)
		var r result
		r.rec, r.err = call.Record(ctx, ivr.Record{Path: dir + "/a.wav", Max: 10 * time.Second, Terminator: "#"})
		results <- r
		r.rec, r.err = call.Record(ctx, ivr.Record{Path: dir + "/b.wav", Max: 10 * time.Second, Terminator: "#"})
		results <- r
	})
	phone := newPhone(t, "127.0.0.1")
	ctx := ctxT(t, 15*time.Second)
	c, err := phone.Dial(ctx, srv.target, siptest.DialOptions{DTMFPayloadType: 101})
	if err != nil {
		t.Fatal(err)
	}
	voice := c.Play([]media.Clip{media.Beep(media.PCMU)}, true)
	time.Sleep(300 * time.Millisecond)
	c.Stop(voice)
	c.SendDigits(ctx, "#")
	if r := waitResult(t, results); r.err != nil || r.rec.Stop != "terminator" || r.rec.Duration < 200*time.Millisecond {
		t.Errorf("first Record = %+v, %v; want ~300 ms stopped by terminator", r.rec, r.err)
	}
	c.Play([]media.Clip{media.Beep(media.PCMU)}, true)
	time.Sleep(300 * time.Millisecond)
	c.Hangup(ctx)
	r := waitResult(t, results)
	if !errors.Is(r.err, ivr.ErrHangup) || r.rec.Stop != "hangup" || r.rec.Duration < 200*time.Millisecond {
		t.Errorf("second Record = %+v, %v; want the recording and ErrHangup", r.rec, r.err)
	}
}

// TestTCP: a call over SIP/TCP.
func TestTCP(t *testing.T) {
	results := make(chan result, 1)
	srv := startServer(t, Config{}, func(ctx context.Context, call ivr.Call) {
		var r result
		r.err = call.Answer(ctx)
		if r.err == nil {
			_, r.err = call.Play(ctx, ivr.Playback{Prompts: []ivr.Prompt{prompt("welcome")}})
		}
		results <- r
		<-call.Done()
	})
	phone := newPhone(t, "127.0.0.1")
	ctx := ctxT(t, 10*time.Second)
	c, err := phone.Dial(ctx, srv.target, siptest.DialOptions{Transport: "tcp"})
	if err != nil {
		t.Fatal(err)
	}
	if r := waitResult(t, results); r.err != nil {
		t.Fatal(r.err)
	}
	if err := c.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	waitIdle(t, srv)
}

// TestGarbageDoesNotHurt: junk datagrams at the SIP and RTP ports are
// dropped; the call in progress keeps its audio and its digits.
func TestGarbageDoesNotHurt(t *testing.T) {
	results := make(chan result, 1)
	srv := startServer(t, Config{}, func(ctx context.Context, call ivr.Call) {
		call.Answer(ctx)
		var r result
		r.collected, r.err = call.Collect(ctx, ivr.Collect{Max: 2, FirstDigit: 5 * time.Second, InterDigit: 2 * time.Second})
		results <- r
		call.Hangup(ctx, "normal")
	})
	phone := newPhone(t, "127.0.0.1")
	ctx := ctxT(t, 10*time.Second)
	c, err := phone.Dial(ctx, srv.target, siptest.DialOptions{DTMFPayloadType: 101})
	if err != nil {
		t.Fatal(err)
	}
	junk, _ := net.Dial("udp", srv.Addr())
	defer junk.Close()
	for i := range 500 {
		junk.Write([]byte(fmt.Sprintf("INVITE garbage %d\r\n\r\n\x00\xff", i)))
	}
	c.SendDigits(ctx, "55")
	r := waitResult(t, results)
	if r.err != nil || r.collected.Digits != "55" {
		t.Errorf("Collect = %+v, %v; want 55 despite the junk", r.collected, r.err)
	}
	waitDone(t, c)
}
