package ari

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/events"
	"github.com/switchboard-cc/switchboard/internal/peers"
	"github.com/switchboard-cc/switchboard/ivr"
	"github.com/switchboard-cc/switchboard/ivr/ivrtest"
	"github.com/switchboard-cc/switchboard/routing"
)

// realAsterisk starts a throw-away Asterisk instance with the dialplan of
// docs/asterisk.md (testdata/asterisk) on free ports, or skips the test
// saying what is missing.
type realAsterisk struct {
	dir       string
	sip, http int
	home      string
}

func startAsterisk(t *testing.T) *realAsterisk {
	t.Helper()
	if testing.Short() {
		t.Skip("real Asterisk: skipped in -short mode")
	}
	home := os.Getenv("ASTERISK_HOME")
	if home == "" {
		home = "/opt/asterisk"
	}
	if _, err := os.Stat(filepath.Join(home, "sbin", "asterisk")); err != nil {
		t.Skipf("real Asterisk: none at %s (set ASTERISK_HOME, or run scripts/asterisk-install.sh with ../shared/asterisk present)", home)
	}
	script := os.Getenv("ASTERISK_INSTANCE")
	if script == "" {
		script, _ = filepath.Abs("../../shared/asterisk/instance.sh")
	}
	if _, err := os.Stat(script); err != nil {
		t.Skipf("real Asterisk: no instance.sh at %s (set ASTERISK_INSTANCE)", script)
	}
	sounds := filepath.Join(home, "var", "lib", "asterisk", "sounds", "switchboard", "en", "welcome.wav")
	if _, err := os.Stat(sounds); err != nil {
		if out, err := exec.Command("../scripts/asterisk-prompts.sh", filepath.Join(home, "var", "lib", "asterisk", "sounds")).CombinedOutput(); err != nil {
			t.Skipf("real Asterisk: prompts not installed as sounds and cannot install them: %v\n%s", err, out)
		}
	}
	a := &realAsterisk{dir: t.TempDir(), sip: freePort(t, "udp"), http: freePort(t, "tcp"), home: home}
	// spool/recording must exist: Asterisk creates subfolders of it, not it.
	for _, d := range []string{"etc", filepath.Join("spool", "recording")} {
		if err := os.MkdirAll(filepath.Join(a.dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// The snippets of docs/asterisk.md (TestDocsShowTestedSnippets keeps
	// them identical), with the test's SIP port.
	for _, f := range []string{"extensions.conf", "pjsip.conf"} {
		data, err := os.ReadFile(filepath.Join("testdata", "asterisk", f))
		if err != nil {
			t.Fatal(err)
		}
		data = []byte(strings.ReplaceAll(string(data), "0.0.0.0:5060", fmt.Sprintf("127.0.0.1:%d", a.sip)))
		if err := os.WriteFile(filepath.Join(a.dir, "etc", f), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	rtp := 31000 + (a.http % 50 * 40)
	out, err := exec.Command(script, "start", a.dir, "--sip", strconv.Itoa(a.sip), "--http", strconv.Itoa(a.http),
		"--rtp", fmt.Sprintf("%d-%d", rtp, rtp+39)).CombinedOutput()
	if err != nil {
		t.Fatalf("instance.sh start: %v\n%s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command(script, "stop", a.dir).Run() })
	// Verbose messages and the SIP trace go to log/messages.log, shown
	// when the test fails (the instance's folder goes with the test).
	for _, cmd := range []string{"core set verbose 3", "pjsip set logger on"} {
		if out, err := a.cli(cmd); err != nil {
			t.Logf("asterisk -rx %q: %v\n%s", cmd, err, out)
		}
	}
	t.Cleanup(func() {
		if t.Failed() {
			log, _ := os.ReadFile(filepath.Join(a.dir, "log", "messages.log"))
			t.Logf("Asterisk's messages.log:\n%s", log)
		}
	})
	return a
}

// cli runs one Asterisk CLI command on the instance.
func (a *realAsterisk) cli(cmd string) (string, error) {
	out, err := exec.Command(filepath.Join(a.home, "sbin", "asterisk"),
		"-C", filepath.Join(a.dir, "etc", "asterisk.conf"), "-rx", cmd).CombinedOutput()
	return string(out), err
}

func (a *realAsterisk) config() Config {
	return Config{URL: fmt.Sprintf("http://127.0.0.1:%d/ari", a.http), Username: "switchboard", Password: "switchboard",
		Reconnect: Backoff{Min: 50 * time.Millisecond, Max: time.Second}}
}

// endpointOnline polls ARI until a PJSIP endpoint has a registered contact.
func (a *realAsterisk) endpointOnline(t *testing.T, name string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		req, _ := http.NewRequest("GET", fmt.Sprintf("http://127.0.0.1:%d/ari/endpoints/PJSIP/%s", a.http, name), nil)
		req.SetBasicAuth("switchboard", "switchboard")
		if resp, err := http.DefaultClient.Do(req); err == nil {
			var body struct {
				State string `json:"state"`
			}
			_ = jsonDecode(resp, &body)
			if body.State == "online" {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("PJSIP/%s never registered", name)
}

func freePort(t *testing.T, network string) int {
	t.Helper()
	if network == "udp" {
		c, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		return c.LocalAddr().(*net.UDPAddr).Port
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// TestRealAsterisk: a baresip caller dials 96069 on a real Asterisk; the
// transport answers over ARI, plays Switchboard's prompts with barge-in,
// collects a key, records the caller, rings agent 1001 (a baresip
// registered on that Asterisk) through ARI and bridges them; the recording
// and both phones' ears hold the other side's audio.
func TestRealAsterisk(t *testing.T) {
	if _, err := exec.LookPath("baresip"); err != nil {
		t.Skip("real Asterisk: baresip not installed (scripts/debian-packages.txt)")
	}
	a := startAsterisk(t)
	media := t.TempDir()
	callerWAV, agentWAV := filepath.Join(media, "caller.wav"), filepath.Join(media, "agent.wav")
	_ = os.WriteFile(callerWAV, ivrtest.ToneWAV(60*time.Second, 440), 0o644)
	_ = os.WriteFile(agentWAV, ivrtest.ToneWAV(60*time.Second, 880), 0o644)

	type seen struct {
		barge string
		got   ivr.Collected
		rec   ivr.Recording
		leg   ivr.Leg
		steps []string
		err   error
	}
	res := newResult[seen]()
	handler := func(ctx context.Context, c ivr.Call) ivr.Outcome {
		var s seen
		defer func() { res.put(s) }()
		step := func(name string, err error) bool {
			s.steps = append(s.steps, name)
			if err != nil {
				s.err = fmt.Errorf("%s: %w", name, err)
				return false
			}
			return true
		}
		if !step("answer", c.Answer(ctx)) {
			return ivr.Outcome{}
		}
		var err error
		s.barge, err = c.Play(ctx, ivr.Playback{Barge: true, Prompts: []ivr.Prompt{
			{Name: "welcome", File: "en/welcome.wav"}, {Name: "main_menu", File: "en/main_menu.wav"}}})
		if !step("play", err) {
			return ivr.Outcome{}
		}
		s.got, err = c.Collect(ctx, ivr.Collect{Max: 1, FirstDigit: 15 * time.Second})
		if !step("collect", err) {
			return ivr.Outcome{}
		}
		s.rec, err = c.Record(ctx, ivr.Record{Path: "e2e-" + strings.ReplaceAll(c.ID(), ".", "-"), Max: 2 * time.Second})
		if !step("record", err) {
			return ivr.Outcome{}
		}
		s.leg, err = c.Connect(ctx, routing.Offer{ID: "o1", Agents: []routing.Endpoint{{AgentID: "a1001", URI: "PJSIP/1001"}},
			RingTimeout: 15 * time.Second})
		if !step("connect", err) {
			return ivr.Outcome{}
		}
		select {
		case <-time.After(3 * time.Second): // the conversation
		case <-s.leg.Done():
		}
		step("hangup", c.Hangup(ctx, "normal"))
		return ivr.Outcome{}
	}
	logs := &logBuffer{}
	tr, err := New(a.config(), handler, Options{Logger: newTestLogger(logs)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan struct{})
	go func() { defer close(served); _ = tr.Serve(ctx) }()
	t.Cleanup(func() { cancel(); <-served })
	select {
	case <-tr.Ready():
	case <-time.After(15 * time.Second):
		t.Fatalf("transport never connected to Asterisk\n%s", logs)
	}

	agent := peers.NewBaresip(t, peers.BaresipConfig{AOR: fmt.Sprintf("sip:1001@127.0.0.1:%d", a.sip), Password: "1001pw",
		AutoAnswer: true, RTPPorts: rtpRange(42300), Mic: agentWAV, NoJitterBuffer: true})
	a.endpointOnline(t, "1001")
	caller := peers.NewBaresip(t, peers.BaresipConfig{AOR: "sip:5551234@127.0.0.1",
		RTPPorts: rtpRange(42400), Mic: callerWAV, NoJitterBuffer: true})
	if err := caller.Command("dial", fmt.Sprintf("sip:96069@127.0.0.1:%d", a.sip)); err != nil {
		t.Fatal(err)
	}
	if _, err := caller.EventWithin("CALL_ESTABLISHED", 15*time.Second); err != nil {
		t.Fatalf("the call was never answered\n%s", logs)
	}
	time.Sleep(1500 * time.Millisecond) // into the welcome prompt
	if err := caller.Command("sndcode", "1"); err != nil {
		t.Fatal(err)
	}
	var s seen
	select {
	case s = <-res.ch:
	case <-time.After(60 * time.Second):
		t.Fatalf("the call did not finish\n%s", logs)
	}
	if s.err != nil {
		t.Fatalf("steps %v: %v\n%s", s.steps, s.err, logs)
	}
	if s.barge != "1" || s.got.Digits != "1" {
		t.Errorf("barge %q, collected %+v; want the key 1 to barge in and be collected", s.barge, s.got)
	}
	if _, err := caller.EventWithin("CALL_CLOSED", 10*time.Second); err != nil {
		t.Error("the caller's phone never saw the call end")
	}
	recPath := filepath.Join(a.dir, "spool", "recording", s.rec.Path)
	if rms, err := wavRMS(recPath); err != nil || rms < 0.01 {
		t.Errorf("recording %s: rms %.4f, %v; want the caller's tone", recPath, rms, err)
	}
	// sndfile completes its files when baresip ends: stop both phones
	// (Stop waits for them) rather than guess how long that takes.
	agent.Stop()
	caller.Stop()
	for name, who := range map[string]*peers.Baresip{"agent": agent, "caller": caller} {
		if best, seen := loudest(who.Recordings()); best < 0.01 {
			t.Errorf("%s heard nothing: %s", name, seen)
		}
	}
}

// loudest is the highest RMS among a phone's recordings, and what each
// file held (for the failure message).
func loudest(files []string) (best float64, seen string) {
	var parts []string
	for _, f := range files {
		size := int64(-1)
		if fi, err := os.Stat(f); err == nil {
			size = fi.Size()
		}
		rms, err := wavRMS(f)
		if err == nil && rms > best {
			best = rms
		}
		parts = append(parts, fmt.Sprintf("%s: %d bytes, rms %.4f, err %v", filepath.Base(f), size, rms, err))
	}
	if len(parts) == 0 {
		return 0, "no recordings"
	}
	return best, strings.Join(parts, "; ")
}

// wavRMS is the RMS (0..1) of a 16-bit PCM WAV file's samples.
func wavRMS(path string) (float64, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	i := strings.Index(string(data[:min(len(data), 512)]), "data")
	if i < 0 || len(data) < i+8 {
		return 0, errors.New("no data chunk")
	}
	pcm := data[i+8:]
	var sum float64
	n := len(pcm) / 2
	if n == 0 {
		return 0, errors.New("no samples")
	}
	for k := 0; k < n; k++ {
		v := float64(int16(binary.LittleEndian.Uint16(pcm[2*k:]))) / 32768
		sum += v * v
	}
	return math.Sqrt(sum / float64(n)), nil
}

func jsonDecode(resp *http.Response, v any) error {
	defer resp.Body.Close()
	return json.NewDecoder(resp.Body).Decode(v)
}

// serveReal runs a transport on the real Asterisk until the returned stop
// is called (stop waits for Serve to return).
func serveReal(t *testing.T, a *realAsterisk, h Handler, logs *logBuffer) (stop func()) {
	t.Helper()
	tr, err := New(a.config(), h, Options{Logger: newTestLogger(logs)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan struct{})
	go func() { defer close(served); _ = tr.Serve(ctx) }()
	stopped := false
	stop = func() {
		if !stopped {
			stopped = true
			cancel()
			<-served
		}
	}
	t.Cleanup(stop)
	select {
	case <-tr.Ready():
	case <-time.After(15 * time.Second):
		t.Fatalf("transport never connected to Asterisk\n%s", logs)
	}
	return stop
}

// TestRealAsteriskRestartReadoptsQueuedCaller stops Switchboard while a
// real caller waits in a queue with music on hold; the next run re-adopts
// the caller from Asterisk's Stasis application, plays the recovery prompt
// and connects them to agent 1001.
func TestRealAsteriskRestartReadoptsQueuedCaller(t *testing.T) {
	if _, err := exec.LookPath("baresip"); err != nil {
		t.Skip("real Asterisk: baresip not installed (scripts/debian-packages.txt)")
	}
	a := startAsterisk(t)
	media := t.TempDir()
	callerWAV, agentWAV := filepath.Join(media, "caller.wav"), filepath.Join(media, "agent.wav")
	_ = os.WriteFile(callerWAV, ivrtest.ToneWAV(60*time.Second, 440), 0o644)
	_ = os.WriteFile(agentWAV, ivrtest.ToneWAV(60*time.Second, 880), 0o644)
	logs := &logBuffer{}

	queued := make(chan struct{})
	stop1 := serveReal(t, a, func(ctx context.Context, c ivr.Call) ivr.Outcome {
		if err := c.Answer(ctx); err != nil {
			return ivr.Outcome{}
		}
		// What the engine reports as the call reaches the queue.
		sink := c.(*call).t.Track(nopSink{})
		sink.Emit(ctx, eventQueueEnter(c.ID(), "billing"))
		go func() { time.Sleep(time.Second); close(queued) }()
		_ = c.Hold(ctx, ivr.Playback{})
		return ivr.Outcome{Result: ivr.Failed, Reason: ivr.ReasonShutdown}
	}, logs)

	agent := peers.NewBaresip(t, peers.BaresipConfig{AOR: fmt.Sprintf("sip:1001@127.0.0.1:%d", a.sip), Password: "1001pw",
		AutoAnswer: true, RTPPorts: rtpRange(42500), Mic: agentWAV, NoJitterBuffer: true})
	a.endpointOnline(t, "1001")
	caller := peers.NewBaresip(t, peers.BaresipConfig{AOR: "sip:5551234@127.0.0.1",
		RTPPorts: rtpRange(42600), Mic: callerWAV, NoJitterBuffer: true})
	if err := caller.Command("dial", fmt.Sprintf("sip:96069@127.0.0.1:%d", a.sip)); err != nil {
		t.Fatal(err)
	}
	select {
	case <-queued:
	case <-time.After(20 * time.Second):
		t.Fatalf("the caller never reached the queue\n%s", logs)
	}
	stop1() // Switchboard goes away; the caller stays in Stasis.
	if _, err := caller.EventWithin("CALL_CLOSED", 500*time.Millisecond); err == nil {
		t.Fatal("stopping Switchboard hung the caller up")
	}

	type seen struct {
		node      string
		recovered bool
		err       error
	}
	res := newResult[seen]()
	serveReal(t, a, func(ctx context.Context, c ivr.Call) ivr.Outcome {
		var s seen
		s.node, s.recovered = ResumeNode(c)
		leg, err := c.Connect(ctx, routing.Offer{ID: "o2", Agents: []routing.Endpoint{{AgentID: "a1001", URI: "PJSIP/1001"}},
			RingTimeout: 15 * time.Second})
		s.err = err
		if err == nil {
			select {
			case <-time.After(2 * time.Second):
			case <-leg.Done():
			}
			_ = c.Hangup(ctx, "normal")
		}
		res.put(s)
		return ivr.Outcome{}
	}, logs)
	var s seen
	select {
	case s = <-res.ch:
	case <-time.After(40 * time.Second):
		t.Fatalf("the re-adopted call did not finish\n%s", logs)
	}
	if !s.recovered || s.node != "billing" {
		t.Errorf("ResumeNode = %q, %v; want billing, true", s.node, s.recovered)
	}
	if s.err != nil {
		t.Fatalf("re-adopted caller did not reach the agent: %v\n%s", s.err, logs)
	}
	if _, err := caller.EventWithin("CALL_CLOSED", 10*time.Second); err != nil {
		t.Error("the caller's phone never saw the call end")
	}
	agent.Stop() // its recordings are complete once it has ended
	if best, seen := loudest(agent.Recordings()); best < 0.01 {
		t.Errorf("the agent heard nothing from the re-adopted caller: %s", seen)
	}
	if !strings.Contains(logs.String(), "re-adopting a caller") {
		t.Errorf("re-adoption was not logged\n%s", logs)
	}
}

type nopSink struct{}

func (nopSink) Emit(context.Context, events.Event) {}

func eventQueueEnter(callID, node string) events.Event {
	return events.Event{CallID: callID, Type: events.QueueEnter, Node: node, Queue: node}
}

// TestRealAsteriskLeavesStasis: a flow that ends with `continue` returns the
// caller to the dialplan (whose next step hangs up), and a number transfer
// continues in transfer_context, which dials agent 1001 outside Switchboard.
func TestRealAsteriskLeavesStasis(t *testing.T) {
	if _, err := exec.LookPath("baresip"); err != nil {
		t.Skip("real Asterisk: baresip not installed (scripts/debian-packages.txt)")
	}
	a := startAsterisk(t)
	media := t.TempDir()
	tone := filepath.Join(media, "tone.wav")
	_ = os.WriteFile(tone, ivrtest.ToneWAV(60*time.Second, 440), 0o644)
	tests := []struct {
		name  string
		flow  func(ctx context.Context, c ivr.Call) ivr.Outcome
		agent bool
	}{
		{"continue", func(ctx context.Context, c ivr.Call) ivr.Outcome {
			_ = c.Answer(ctx)
			return ivr.Outcome{Result: ivr.Completed, Continue: true}
		}, false},
		{"transfer to a number", func(ctx context.Context, c ivr.Call) ivr.Outcome {
			_ = c.Answer(ctx)
			if err := c.Transfer(ctx, ivr.Transfer{Kind: "number", Target: "1001"}); err != nil {
				return ivr.Outcome{Result: ivr.Failed, Err: err}
			}
			return ivr.Outcome{Result: ivr.Transferred}
		}, true},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			logs := &logBuffer{}
			cfg := a.config()
			cfg.TransferContext = "switchboard-transfer"
			tr, err := New(cfg, tt.flow, Options{Logger: newTestLogger(logs)})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			served := make(chan struct{})
			go func() { defer close(served); _ = tr.Serve(ctx) }()
			defer func() { cancel(); <-served }()
			<-tr.Ready()
			var agent *peers.Baresip
			if tt.agent {
				agent = peers.NewBaresip(t, peers.BaresipConfig{AOR: fmt.Sprintf("sip:1001@127.0.0.1:%d", a.sip), Password: "1001pw",
					AutoAnswer: true, RTPPorts: rtpRange(43100 + 200*i), Mic: tone, NoJitterBuffer: true})
				a.endpointOnline(t, "1001")
			}
			caller := peers.NewBaresip(t, peers.BaresipConfig{AOR: "sip:5551234@127.0.0.1",
				RTPPorts: rtpRange(43200 + 200*i), Mic: tone, NoJitterBuffer: true})
			if err := caller.Command("dial", fmt.Sprintf("sip:96069@127.0.0.1:%d", a.sip)); err != nil {
				t.Fatal(err)
			}
			if tt.agent {
				if _, err := agent.EventWithin("CALL_ESTABLISHED", 15*time.Second); err != nil {
					t.Fatalf("the transfer never reached agent 1001\n%s", logs)
				}
				_ = caller.Command("hangup", "")
			}
			if _, err := caller.EventWithin("CALL_CLOSED", 15*time.Second); err != nil {
				t.Fatalf("the call never ended\n%s", logs)
			}
			if strings.Contains(logs.String(), "failed; hanging up") || strings.Contains(logs.String(), "level=ERROR") {
				t.Errorf("the channel did not leave Stasis cleanly:\n%s", logs)
			}
		})
	}
}

// rtpRange is the RTP port range of one baresip: from lo, clear of
// Asterisk's own range and of the other phone's.
func rtpRange(lo int) string { return fmt.Sprintf("%d-%d", lo, lo+40) }
