package sip

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/internal/peers"
	"github.com/switchboard-cc/switchboard/ivr"
	"github.com/switchboard-cc/switchboard/media"
)

// End-to-end with real user agents from Debian (shared/REAL-PEERS.md). `make
// test` sets SWITCHBOARD_E2E=1 and installs baresip, linphone-cli, sox and
// espeak-ng; without them these tests skip and say why.

// ivrWalk is the small IVR the real agents walk: the welcome prompt, three
// keys ending in #, a message recorded until silence, then our hangup.
type ivrWalk struct {
	collected ivr.Collected
	rec       ivr.Recording
	err       error
}

func walkHandler(recPath string, out chan<- ivrWalk) func(context.Context, ivr.Call) {
	return func(ctx context.Context, call ivr.Call) {
		var w ivrWalk
		defer func() { out <- w }()
		if w.err = call.Answer(ctx); w.err != nil {
			return
		}
		welcome := ivr.Prompt{Name: "welcome", File: "en/welcome.wav"}
		if _, w.err = call.Play(ctx, ivr.Playback{Prompts: []ivr.Prompt{welcome}}); w.err != nil {
			return
		}
		if w.collected, w.err = call.Collect(ctx, ivr.Collect{Max: 5, Terminator: "#", FirstDigit: 15 * time.Second, InterDigit: 5 * time.Second}); w.err != nil {
			return
		}
		if w.rec, w.err = call.Record(ctx, ivr.Record{Path: recPath, Max: 15 * time.Second, Silence: 2 * time.Second}); w.err != nil {
			return
		}
		call.Hangup(ctx, "normal")
	}
}

func startE2EServer(t *testing.T, handler func(context.Context, ivr.Call)) *testServer {
	t.Helper()
	srv, err := New(Config{Listen: "127.0.0.1:0", RTPPortMin: -1}, Deps{Handler: runs(handler), Prompts: os.DirFS("../configs/prompts")})
	if err != nil {
		t.Fatal(err)
	}
	serveUntilCleanup(t, srv)
	return &testServer{Server: srv, target: "sip:96069@" + srv.Addr()}
}

// voiced is the audio above the silence level, in 20 ms frames.
func voiced(pcm []int16) time.Duration {
	n := 0
	for i := 0; i+media.FrameSamples <= len(pcm); i += media.FrameSamples {
		sum := 0
		for _, s := range pcm[i : i+media.FrameSamples] {
			sum += max(int(s), -int(s))
		}
		if sum/media.FrameSamples >= 2*media.SilenceLevel {
			n++
		}
	}
	return time.Duration(n) * media.Ptime
}

// callerMic is what the caller "says": silence while the prompt plays and
// the keys are pressed, the spoken message, then silence to keep the call up.
func callerMic(t *testing.T, dir string, lead time.Duration) (string, time.Duration) {
	t.Helper()
	speech, err := peers.SpeechWAV(dir, "Hello, my radiator has been cold since yesterday. Please call me back.", 0)
	if err != nil {
		t.Fatal(err)
	}
	spoken := voiced(peers.ReadWAV(t, speech))
	mic := filepath.Join(dir, "mic.wav")
	if b, err := exec.Command("sox", speech, mic, "pad", fmt.Sprintf("%.2f", lead.Seconds()), "25").CombinedOutput(); err != nil {
		t.Fatalf("sox: %v: %s", err, b)
	}
	return mic, spoken
}

func checkWalk(t *testing.T, w ivrWalk, wantSpeech time.Duration, recPath string) {
	t.Helper()
	if w.err != nil {
		t.Fatalf("IVR walk: %v", w.err)
	}
	if w.collected.Digits != "12" || w.collected.Stop != ivr.StopTerminator {
		t.Errorf("collected %+v; want 12 then #", w.collected)
	}
	if w.rec.Stop != "silence" {
		t.Errorf("recording stopped by %q; want silence", w.rec.Stop)
	}
	got := voiced(peers.ReadWAV(t, recPath))
	if got < wantSpeech/2 {
		t.Errorf("recording holds %v of speech; the caller said %v", got, wantSpeech)
	}
	t.Logf("recording: %v long, %v voiced (caller spoke %v)", w.rec.Duration, got, wantSpeech)
}

func promptLength(t *testing.T) time.Duration {
	pcm := peers.ReadWAV(t, "../configs/prompts/en/welcome.wav")
	return time.Duration(len(pcm)) * time.Second / media.SampleRate
}

// TestBaresipWalksIVR: baresip (RFC 4733, PT 101) hears the prompt, presses
// 1 2 #, leaves a spoken message, and is hung up on.
func TestBaresipWalksIVR(t *testing.T) {
	peers.Require(t, "baresip", "sox", "espeak-ng")
	dir := t.TempDir()
	walks := make(chan ivrWalk, 1)
	recPath := filepath.Join(dir, "vm.wav")
	srv := startE2EServer(t, walkHandler(recPath, walks))
	prompt := promptLength(t)
	mic, spoken := callerMic(t, dir, prompt+2500*time.Millisecond)
	sipPort, _ := peers.FreePorts(2) // baresip binds SIP/TLS on the next port
	ctrlPort, _ := peers.FreePort()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	bs, err := peers.StartBaresip(ctx, peers.BaresipConfig{Dir: dir, Mic: mic, AutoAnswer: true, SIPPort: sipPort, CtrlPort: ctrlPort, Timeout: 50 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer bs.Stop()
	if err := bs.Command("dial", srv.target); err != nil {
		t.Fatal(err)
	}
	if _, err := bs.WaitEvent(ctx, "CALL_ESTABLISHED"); err != nil {
		t.Fatalf("%v\n%s", err, bs.Output())
	}
	time.Sleep(prompt + 300*time.Millisecond) // the caller listens to the prompt
	if err := bs.Command("sndcode", "12#"); err != nil {
		t.Fatal(err)
	}
	var w ivrWalk
	select {
	case w = <-walks:
	case <-ctx.Done():
		t.Fatalf("IVR walk did not finish\n%s", bs.Output())
	}
	if _, err := bs.WaitEvent(ctx, "CALL_CLOSED"); err != nil {
		t.Errorf("baresip not hung up: %v", err)
	}
	bs.Stop()
	checkWalk(t, w, spoken, recPath)
	heardPath, err := bs.Heard()
	if err != nil {
		t.Fatal(err)
	}
	heard := voiced(peers.ReadWAV(t, heardPath))
	want := voiced(peers.ReadWAV(t, "../configs/prompts/en/welcome.wav"))
	if heard < want*8/10 || heard > want*12/10+time.Second {
		t.Errorf("baresip heard %v of audio; the prompt has %v", heard, want)
	}
	t.Logf("baresip heard %v voiced (prompt %v voiced, %v long)", heard, want, prompt)
}

// TestLinphoneWalksIVR: linphonec sends its keys as SIP INFO
// (application/dtmf-relay) and records what it hears.
func TestLinphoneWalksIVR(t *testing.T) {
	peers.Require(t, "linphonec", "sox", "espeak-ng")
	dir := t.TempDir()
	walks := make(chan ivrWalk, 1)
	recPath := filepath.Join(dir, "vm.wav")
	srv := startE2EServer(t, walkHandler(recPath, walks))
	prompt := promptLength(t)
	// linphonec sends a line of digits about one second apart.
	mic, spoken := callerMic(t, dir, prompt+5*time.Second)
	sipPort, _ := peers.FreePort()
	rtpPort, _ := peers.FreePort()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	lp, err := peers.StartLinphone(ctx, peers.LinphoneConfig{Dir: dir, SIPPort: sipPort, RTPPort: rtpPort, InfoDTMF: true, Timeout: 50 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer lp.Stop()
	heardPath := filepath.Join(dir, "heard.wav")
	for _, cmd := range []string{"soundcard use files", "play " + mic, "record " + heardPath, "call " + srv.target} {
		if err := lp.Send(cmd); err != nil {
			t.Fatal(err)
		}
	}
	if err := lp.WaitOutput(ctx, "connected"); err != nil {
		t.Fatalf("%v\n%s", err, lp.Output())
	}
	time.Sleep(prompt + 300*time.Millisecond)
	lp.Send("12#")
	var w ivrWalk
	select {
	case w = <-walks:
	case <-ctx.Done():
		t.Fatalf("IVR walk did not finish\n%s", lp.Output())
	}
	if err := lp.WaitOutput(ctx, "ended"); err != nil {
		t.Errorf("linphonec not hung up: %v", err)
	}
	lp.Stop()
	checkWalk(t, w, spoken, recPath)
	if srv.Stats().DigitsInfo.Load() < 3 {
		t.Errorf("INFO digits = %d; want 3", srv.Stats().DigitsInfo.Load())
	}
	// linphone mixes its local DTMF feedback tones into heard.wav, so only
	// check that the prompt is there.
	heard := voiced(peers.ReadWAV(t, heardPath))
	want := voiced(peers.ReadWAV(t, "../configs/prompts/en/welcome.wav"))
	if heard < want*8/10 {
		t.Errorf("linphone heard %v of audio; the prompt has %v", heard, want)
	}
	t.Logf("linphone heard %v voiced (prompt %v voiced)", heard, want)
}
