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
// still returns the recording, with the hangup error. The caller speaks
// only once the server records (audio before that is not the message).
func TestRecordTerminatorAndHangup(t *testing.T) {
	results := make(chan result, 2)
	calls := make(chan *Call, 1)
	dir := t.TempDir()
	srv := startServer(t, Config{}, func(ctx context.Context, call ivr.Call) {
		calls <- call.(*Call)
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
	var call *Call
	select {
	case call = <-calls:
	case <-ctx.Done():
		t.Fatal("the call never reached the handler")
	}
	speech := []media.Clip{media.Beep(media.PCMU), media.Beep(media.PCMU)}
	speechLen := time.Duration(speech[0].Frames()+speech[1].Frames()) * media.Ptime

	// The # follows the speech on the same RTP stream, so the server has
	// all of it by the time it sees the key.
	waitFor(t, "the first recording to start", 5*time.Second, call.session.Recording)
	<-c.Play(speech, false).Done()
	c.SendDigits(ctx, "#")
	if r := waitResult(t, results); r.err != nil || r.rec.Stop != "terminator" || r.rec.Duration < speechLen {
		t.Errorf("first Record = %+v, %v; want %v stopped by the terminator", r.rec, r.err, speechLen)
	}

	// A BYE may overtake RTP: hang up once the server has the speech.
	waitFor(t, "the second recording to start", 5*time.Second, call.session.Recording)
	base := call.session.Stats().Packets
	frames := uint64(speech[0].Frames() + speech[1].Frames())
	c.Play(speech, false)
	waitFor(t, "the server to receive the speech", 5*time.Second, func() bool { return call.session.Stats().Packets >= base+frames })
	c.Hangup(ctx)
	r := waitResult(t, results)
	// Every packet but the last counted was recorded before the BYE.
	if !errors.Is(r.err, ivr.ErrHangup) || r.rec.Stop != "hangup" || r.rec.Duration < speechLen-media.Ptime {
		t.Errorf("second Record = %+v, %v; want the recording (%v) and ErrHangup", r.rec, r.err, speechLen)
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
