package main

import (
	"bytes"
	"context"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/events"
	"github.com/switchboard-cc/switchboard/events/sqlite"
	"github.com/switchboard-cc/switchboard/internal/peers"
	"github.com/switchboard-cc/switchboard/media"
)

// Helpers for the end-to-end tests with real user agents from Debian
// (e2e_peers_test.go, e2e_agent_test.go): gating, config variants, serve
// with its log kept, the event store polled, and measures of what a peer
// heard.

// editConfig rewrites switchboard.yaml in a testConfigDir copy: each pair
// is old, new; the first occurrence of old is replaced, and t fails when
// there is none (so a changed shipped config cannot silently void a test).
func editConfig(t *testing.T, dir string, pairs ...string) {
	t.Helper()
	path := filepath.Join(dir, "switchboard.yaml")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for i := 0; i+1 < len(pairs); i += 2 {
		if strings.Count(s, pairs[i]) < 1 {
			t.Fatalf("switchboard.yaml has no %q to replace", pairs[i])
		}
		s = strings.Replace(s, pairs[i], pairs[i+1], 1)
	}
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

// closedConfigDir is testConfigDir with the office calendar closed all the
// time, so every call to the heating hotline is after hours.
func closedConfigDir(t *testing.T) string {
	t.Helper()
	dir := testConfigDir(t)
	editConfig(t, dir, `daily: ["00:00-24:00"]`, `daily: []`)
	return dir
}

// apiPost sends an authenticated POST to serve's API and fails t unless it
// answers 200.
func apiPost(t *testing.T, httpAddr, path string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, "http://"+httpAddr+path, strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer test-token")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST %s = %d %s", path, resp.StatusCode, body)
	}
}

// metricsText is serve's /metrics page.
func metricsText(t *testing.T, httpAddr string) string {
	t.Helper()
	resp, err := http.Get("http://" + httpAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// waitEventType polls the event store until an event of type typ (at node
// when node is not empty) appears, and returns it.
func waitEventType(t *testing.T, data string, typ events.Type, node string, within time.Duration) events.Event {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		for _, e := range readEventsQuiet(data) {
			if e.Type == typ && (node == "" || e.Node == node) {
				return e
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no %s event (node %q) within %v", typ, node, within)
	return events.Event{}
}

// readEventsQuiet reads the store and returns nothing while it cannot be
// opened (serve creates it when it starts).
func readEventsQuiet(data string) []events.Event {
	st, err := sqlite.OpenDir(context.Background(), data, sqlite.Options{ReadOnly: true})
	if err != nil {
		return nil
	}
	defer st.Close()
	var evs []events.Event
	_ = st.Scan(context.Background(), time.Time{}, time.Time{}, func(e events.Event) error {
		evs = append(evs, e)
		return nil
	})
	return evs
}

func pcmDuration(pcm []int16) time.Duration {
	return time.Duration(len(pcm)) * time.Second / media.SampleRate
}

func framesDuration(frames int) time.Duration { return time.Duration(frames) * media.Ptime }

// playedPrompts measures, from the call's ivr.prompt events, what the
// caller can have heard: full is the voiced audio of the prompts that played
// to their end; played is how long every prompt played, each cut at the
// time its event says it stopped (an event is written when its prompt ends
// and the prompt started at the event before it). A caller that heard the
// call heard about full of voiced audio and at most played (plus the
// record beep).
func playedPrompts(t *testing.T, configDir string, evs []events.Event) (full, played time.Duration) {
	t.Helper()
	lang := "zh" // the heating hotline's default until the caller picks
	var last time.Time
	for _, e := range evs {
		if e.Type == events.IVRNode && e.Node == "set_en" {
			lang = "en"
		}
		prev := last
		last = e.Time
		if e.Type != events.IVRPrompt {
			continue
		}
		name := e.Data["prompt"]
		if strings.Contains(name, ":") {
			t.Fatalf("prompt %q: only plain prompt files are expected on this path", name)
		}
		pcm := peers.ReadWAV(t, filepath.Join(configDir, "prompts", lang, name+".wav"))
		played += min(pcmDuration(pcm), e.Time.Sub(prev))
		if e.Data["barged"] != "1" {
			full += framesDuration(voicedFrames(pcm))
		}
	}
	return full, played
}

// nodePath is the ivr.node path of the log.
func nodePath(evs []events.Event) []string {
	var path []string
	for _, e := range evs {
		if e.Type == events.IVRNode {
			path = append(path, e.Node)
		}
	}
	return path
}

// digitsCollected is every ivr.digits event as node=digits.
func digitsCollected(evs []events.Event) []string {
	var out []string
	for _, e := range evs {
		if e.Type == events.IVRDigits {
			out = append(out, e.Node+"="+e.Data["digits"])
		}
	}
	return out
}

// silentRMS is the loudness (0..1) below which a 20 ms frame is silence.
const silentRMS = 0.01

// frameKinds classifies 20 ms frames of what a peer heard: '.' silence,
// 'T' the tone at hz (it carries most of the frame's energy), 'o' other
// audio (prompts, music).
func frameKinds(pcm []int16, hz float64) string {
	var b strings.Builder
	for i := 0; i+media.FrameSamples <= len(pcm); i += media.FrameSamples {
		f := pcm[i : i+media.FrameSamples]
		rms := peers.RMS(f)
		switch {
		case rms < silentRMS:
			b.WriteByte('.')
		case peers.ToneAmplitude(f, hz)/math.Sqrt2 > 0.7*rms:
			b.WriteByte('T')
		default:
			b.WriteByte('o')
		}
	}
	return b.String()
}

// longestRun is the longest run of c in kinds.
func longestRun(kinds string, c byte) int {
	best, n := 0, 0
	for i := 0; i < len(kinds); i++ {
		if kinds[i] == c {
			n++
			best = max(best, n)
		} else {
			n = 0
		}
	}
	return best
}

// speechMic writes an espeak-ng sentence as an 8 kHz WAV in its own folder,
// with silence after it so the user agent does not hang up when it ends,
// and returns the path and the speech's voiced length.
func speechMic(t *testing.T, text string, padSeconds int) (string, time.Duration) {
	t.Helper()
	dir := t.TempDir()
	path, err := peers.SpeechWAV(dir, text, padSeconds)
	if err != nil {
		t.Fatal(err)
	}
	return path, framesDuration(voicedFrames(peers.ReadWAV(t, path)))
}

// startServeLogged is startServe with serve's log kept: it is written to
// the test's output when the test fails (or always with
// SWITCHBOARD_E2E_LOG=1), since a failing real-peer test is diagnosed from
// both sides' logs.
func startServeLogged(t *testing.T, configDir, dataDir string) (Addrs, func()) {
	t.Helper()
	ready := make(chan Addrs, 1)
	logs := &syncBuffer{}
	m := &Main{Stdin: strings.NewReader(""), Stdout: logs, Stderr: logs, Ready: func(a Addrs) { ready <- a }}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	t.Setenv("SWITCHBOARD_TOKEN", "test-token")
	t.Cleanup(func() {
		if t.Failed() || os.Getenv("SWITCHBOARD_E2E_LOG") == "1" {
			t.Logf("serve's log:\n%s", logs.String())
		}
	})
	go func() {
		done <- m.Run(ctx, []string{"serve", "--config", filepath.Join(configDir, "switchboard.yaml"),
			"--sip", "127.0.0.1:0", "--http", "127.0.0.1:0", "--data", dataDir})
	}()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			if code := <-done; code != 0 {
				t.Errorf("serve exited %d", code)
			}
		})
	}
	select {
	case a := <-ready:
		t.Cleanup(stop)
		return a, stop
	case code := <-done:
		t.Fatalf("serve exited %d before ready", code)
	case <-time.After(20 * time.Second):
		cancel()
		t.Fatal("serve not ready after 20s")
	}
	return Addrs{}, nil
}

// syncBuffer is a bytes.Buffer safe for serve's concurrent log writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// envelopeMatch finds template in signal by their loudness envelopes (RMS
// per 20 ms frame): the best Pearson correlation over every offset, and
// that offset. A prompt or a sentence that went through G.711, a jitter
// buffer and a recorder keeps its envelope, so a match near 1 says "this
// audio is in there", which a loudness or length check alone cannot. The
// template's leading and trailing silence is left out: a user agent drops
// what is still in its jitter buffer when the call ends, and that is the
// silence at the end of a goodbye prompt.
func envelopeMatch(signal, template []int16) (corr float64, at time.Duration) {
	env := func(pcm []int16) []float64 {
		var e []float64
		for i := 0; i+media.FrameSamples <= len(pcm); i += media.FrameSamples {
			e = append(e, peers.RMS(pcm[i:i+media.FrameSamples]))
		}
		return e
	}
	s, tp := env(signal), env(template)
	for len(tp) > 0 && tp[0] < silentRMS {
		tp = tp[1:]
	}
	for len(tp) > 0 && tp[len(tp)-1] < silentRMS {
		tp = tp[:len(tp)-1]
	}
	m := len(tp)
	if m == 0 || len(s) < m {
		return 0, 0
	}
	var tMean float64
	for _, v := range tp {
		tMean += v
	}
	tMean /= float64(m)
	corr = -1
	for lag := 0; lag+m <= len(s); lag++ {
		win := s[lag : lag+m]
		var sMean float64
		for _, v := range win {
			sMean += v
		}
		sMean /= float64(m)
		var num, sv, tv float64
		for i := range m {
			a, b := win[i]-sMean, tp[i]-tMean
			num += a * b
			sv += a * a
			tv += b * b
		}
		if sv == 0 || tv == 0 {
			continue
		}
		if c := num / math.Sqrt(sv*tv); c > corr {
			corr, at = c, framesDuration(lag)
		}
	}
	return corr, at
}
