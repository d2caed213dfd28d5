package main

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/events"
	"github.com/switchboard-cc/switchboard/internal/peers"
	"github.com/switchboard-cc/switchboard/ivr"
	"github.com/switchboard-cc/switchboard/media"
)

// End-to-end tests with real SIP user agents from Debian (baresip,
// linphonec) against the real program: `serve` runs in-process through
// Main on the shipped configuration, exactly as an operator runs it. `make
// test` sets SWITCHBOARD_E2E=1 and installs the packages
// (scripts/debian-packages.txt); without them these tests skip and say why.

// minEnvelopeMatch is the envelope correlation that says a recording
// holds a given sentence or prompt (unrelated audio scores far lower).
const minEnvelopeMatch = 0.8

const callerSpeech = "Hello, my radiator has been cold since yesterday. Please call me back on this number."

// voicemailCheck is what both voicemail walks assert once the call is over.
type voicemailCheck struct {
	configDir, data string
	wantPath        []string
	wantDigits      []string // node=digits, in order
	speech          []int16  // what the caller said (without the silence after it)
	spoken          time.Duration
	heard           []int16 // what the caller's user agent recorded
}

func (c voicemailCheck) run(t *testing.T) {
	t.Helper()
	evs := readEvents(t, c.data)
	if len(evs) == 0 {
		t.Fatal("event log is empty")
	}
	if evs[0].Type != events.CallStart || evs[len(evs)-1].Type != events.CallEnd {
		t.Errorf("log runs %s .. %s; want call.start .. call.end", evs[0].Type, evs[len(evs)-1].Type)
	}
	if got := nodePath(evs); !slices.Equal(got, c.wantPath) {
		t.Errorf("path = %v; want %v", got, c.wantPath)
	}
	if got := digitsCollected(evs); !slices.Equal(got, c.wantDigits) {
		t.Errorf("digits = %v; want %v", got, c.wantDigits)
	}

	// The voicemail holds the caller's speech.
	var saved *events.Event
	for i := range evs {
		if evs[i].Type == events.VoicemailSaved {
			saved = &evs[i]
		}
	}
	if saved == nil {
		t.Fatal("no voicemail.saved event")
	}
	if saved.Data["stop"] != string(ivr.StopTerminator) {
		t.Errorf("voicemail ended by %q; want the caller's # (%s)", saved.Data["stop"], ivr.StopTerminator)
	}
	rec := peers.ReadWAV(t, saved.Data["path"])
	inMessage := framesDuration(voicedFrames(rec))
	if inMessage < c.spoken*6/10 || inMessage > c.spoken*14/10+time.Second {
		t.Errorf("voicemail holds %v of voiced audio; the caller spoke %v", inMessage, c.spoken)
	}
	if corr, at := envelopeMatch(rec, c.speech); corr < minEnvelopeMatch {
		t.Errorf("voicemail does not hold the caller's sentence: best envelope match %.2f at %v", corr, at)
	}

	// The caller heard the prompts: at least the voiced part of every prompt
	// that played to its end, at most as long as the prompts played (plus
	// the record beep and some slack for jitter-buffer edges).
	full, played := playedPrompts(t, c.configDir, evs)
	heardVoiced := framesDuration(voicedFrames(c.heard))
	if rms := peers.RMS(c.heard); rms < 0.01 {
		t.Errorf("caller's recording is silence (RMS %.4f)", rms)
	}
	if heardVoiced < full*8/10 || heardVoiced > played+1500*time.Millisecond {
		t.Errorf("caller heard %v of voiced audio; prompts played in full hold %v voiced, prompts played for %v", heardVoiced, full, played)
	}
	// What the caller heard last is the goodbye prompt itself.
	goodbye := peers.ReadWAV(t, filepath.Join(c.configDir, "prompts", "en", "goodbye.wav"))
	if corr, at := envelopeMatch(c.heard, goodbye); corr < minEnvelopeMatch {
		t.Errorf("the caller did not hear the goodbye prompt: best envelope match %.2f at %v", corr, at)
	}
	// The caller's own sentence is not in what it heard (no echo), which
	// also shows the measure tells audio apart.
	own, _ := envelopeMatch(c.heard, c.speech)
	if own >= minEnvelopeMatch {
		t.Errorf("the caller heard its own sentence back (envelope match %.2f)", own)
	}
	vm, _ := envelopeMatch(rec, c.speech)
	bye, _ := envelopeMatch(c.heard, goodbye)
	t.Logf("envelope match: voicemail~speech %.2f, heard~goodbye %.2f, heard~own speech %.2f (unrelated)", vm, bye, own)
	t.Logf("caller heard %v voiced (prompts: %v voiced in full, %v played); voicemail %v voiced of %v spoken; %d events",
		heardVoiced, full, played, inMessage, c.spoken, len(evs))
}

// TestE2EBaresipWalksToVoicemail: a real baresip calls 96069, picks English,
// billing and its account by RFC 4733 keys typed ahead, finds nobody logged
// in for billing (the queue is closed: after-hours menu), picks voicemail,
// speaks its message, ends it with #, and is hung up on after goodbye.
func TestE2EBaresipWalksToVoicemail(t *testing.T) {
	peers.Require(t, "baresip", "sox", "espeak-ng")
	began := time.Now()
	dir, data := testConfigDir(t), t.TempDir()
	addrs, stop := startServeLogged(t, dir, data)
	speech, spoken := speechMic(t, callerSpeech, 30)

	caller := peers.NewBaresip(t, peers.BaresipConfig{AOR: "sip:13800138000@127.0.0.1"}) // a silent microphone for now
	caller.MustCommand(t, "dial", "sip:96069@"+addrs.SIP)
	caller.MustWaitEvent(t, "CALL_ESTABLISHED", 10*time.Second)
	time.Sleep(2 * time.Second) // the caller listens to the start of the language menu
	caller.MustCommand(t, "sndcode", "2112345678#2")
	// leave_message has played; the beep follows, then the recording.
	waitEventType(t, data, events.IVRPrompt, "voicemail", 30*time.Second)
	time.Sleep(600 * time.Millisecond)
	caller.MustCommand(t, "ausrc", "aufile,"+speech) // the caller starts talking
	time.Sleep(pcmDuration(spokenPart(t, speech, 30)) + time.Second)
	caller.MustCommand(t, "sndcode", "#")
	caller.MustWaitEvent(t, "CALL_CLOSED", 15*time.Second)
	caller.Stop()

	if m := metricsText(t, addrs.HTTP); !strings.Contains(m, `switchboard_sip_dtmf_digits_total{mode="rfc4733"} 13`) {
		t.Errorf("/metrics does not count 13 RFC 4733 digits:\n%s", grepLines(m, "dtmf"))
	}
	stop()
	heard := caller.HeardPCM(t)
	if len(heard) != 1 {
		t.Fatalf("baresip made %d recordings; want 1", len(heard))
	}
	voicemailCheck{
		configDir: dir, data: data, speech: spokenPart(t, speech, 30), spoken: spoken, heard: heard[0],
		wantPath:   []string{"language", "set_en", "check_hours", "main_menu", "account", "billing", "after_hours", "voicemail", "thanks_message", "goodbye", "end"},
		wantDigits: []string{"language=2", "main_menu=1", "account=12345678", "after_hours=2"},
	}.run(t)
	t.Logf("took %v", time.Since(began).Round(time.Millisecond))
}

// TestE2ELinphoneWalksToVoicemail: a real linphonec calls after hours (the
// office calendar is closed): English, the after-hours menu, voicemail, a
// spoken message ended by #. It sends its keys as SIP INFO
// (application/dtmf-relay) or as RFC 4733. Linphone's offer is busier than
// baresip's (opus, speex, PCMU, PCMA, G.729, and telephone-event at 48, 16
// and 8 kHz as payload types 99, 100, 101): the server must answer PCMU
// with the 8 kHz telephone-event.
func TestE2ELinphoneWalksToVoicemail(t *testing.T) {
	peers.Require(t, "linphonec", "sox", "espeak-ng")
	for _, tc := range []struct {
		name string
		info bool   // SIP INFO instead of RFC 4733
		mode string // the server's DTMF metric label for these keys
	}{
		{name: "sip_info", info: true, mode: "info"},
		{name: "rfc4733", info: false, mode: "rfc4733"},
	} {
		t.Run(tc.name, func(t *testing.T) { linphoneWalk(t, tc.info, tc.mode) })
	}
}

func linphoneWalk(t *testing.T, info bool, mode string) {
	began := time.Now()
	dir, data := closedConfigDir(t), t.TempDir()
	addrs, stop := startServeLogged(t, dir, data)
	speech, spoken := speechMic(t, callerSpeech, 30)
	home := t.TempDir()
	silence := filepath.Join(home, "silence.wav")
	peers.WriteTone(t, silence, 0, 60*time.Second)
	sipPort, err := peers.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	rtpPort, err := peers.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	lp, err := peers.StartLinphone(ctx, peers.LinphoneConfig{Dir: home, SIPPort: sipPort, RTPPort: rtpPort, InfoDTMF: info, Timeout: 55 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		lp.Stop()
		if t.Failed() {
			t.Logf("linphonec output:\n%s", lp.Output())
		}
	}()
	heardPath := filepath.Join(home, "heard.wav")
	send := func(line string) {
		t.Helper()
		if err := lp.Send(line); err != nil {
			t.Fatalf("linphonec %q: %v", line, err)
		}
	}
	for _, line := range []string{"soundcard use files", "play " + silence, "record " + heardPath, "call sip:96069@" + addrs.SIP} {
		send(line)
	}
	if err := lp.WaitOutput(ctx, "connected"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Second)
	send("2") // English
	waitEventType(t, data, events.IVRNode, "after_hours", 15*time.Second)
	time.Sleep(time.Second)
	send("2") // voicemail
	waitEventType(t, data, events.IVRPrompt, "voicemail", 30*time.Second)
	time.Sleep(600 * time.Millisecond)
	send("play " + speech) // the caller starts talking
	time.Sleep(pcmDuration(spokenPart(t, speech, 30)) + time.Second)
	send("#")
	if err := lp.WaitOutput(ctx, "ended"); err != nil {
		t.Fatalf("linphonec was not hung up on: %v", err)
	}
	lp.Stop()

	if m := metricsText(t, addrs.HTTP); !strings.Contains(m, `switchboard_sip_dtmf_digits_total{mode="`+mode+`"} 3`) {
		t.Errorf("/metrics does not count 3 %s digits:\n%s", mode, grepLines(m, "dtmf"))
	}
	stop()
	voicemailCheck{
		configDir: dir, data: data, speech: spokenPart(t, speech, 30), spoken: spoken, heard: peers.ReadWAV(t, heardPath),
		wantPath:   []string{"language", "set_en", "check_hours", "after_hours", "voicemail", "thanks_message", "goodbye", "end"},
		wantDigits: []string{"language=2", "after_hours=2"},
	}.run(t)
	t.Logf("took %v", time.Since(began).Round(time.Millisecond))
}

// spokenPart is a speechMic WAV without the silence after the sentence.
func spokenPart(t *testing.T, path string, padSeconds int) []int16 {
	t.Helper()
	pcm := peers.ReadWAV(t, path)
	return pcm[:len(pcm)-padSeconds*media.SampleRate]
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
