package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/events"
	"github.com/switchboard-cc/switchboard/events/sqlite"
	"github.com/switchboard-cc/switchboard/media"
	"github.com/switchboard-cc/switchboard/sip/siptest"
)

// testConfigDir copies configs/ to a folder whose office
// calendar is always open, so the tests do not depend on today's time.
func testConfigDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	copyTree(t, filepath.Join("..", "..", "configs"), dir)
	cfgPath := filepath.Join(dir, "switchboard.yaml")
	b, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	s = strings.Replace(s, "mon-fri: [\"08:00-18:00\"]\n      sat: [\"09:00-17:00\"]", "daily: [\"00:00-24:00\"]", 1)
	s = regexp.MustCompile(`(?m)^      - \{date: .*\n`).ReplaceAllString(s, "")
	s = strings.Replace(s, "    holidays:\n    exceptions:\n", "", 1)
	if err := os.WriteFile(cfgPath, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// startServe runs serve in-process on free ports and returns its addresses.
func startServe(t *testing.T, configDir, dataDir string) (Addrs, func()) {
	t.Helper()
	ready := make(chan Addrs, 1)
	var out bytes.Buffer
	m := &Main{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &bytes.Buffer{}, Ready: func(a Addrs) { ready <- a }}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	t.Setenv("SWITCHBOARD_TOKEN", "test-token")
	go func() {
		done <- m.Run(ctx, []string{"serve", "--config", filepath.Join(configDir, "switchboard.yaml"),
			"--sip", "127.0.0.1:0", "--http", "127.0.0.1:0", "--data", dataDir})
	}()
	select {
	case a := <-ready:
		return a, func() {
			cancel()
			if code := <-done; code != 0 {
				t.Errorf("serve exited %d: %s", code, m.Stderr)
			}
		}
	case code := <-done:
		t.Fatalf("serve exited %d before ready: %s", code, m.Stderr)
	case <-time.After(20 * time.Second):
		t.Fatal("serve not ready after 20s")
	}
	return Addrs{}, nil
}

// A caller walks the heating hotline over real SIP to voicemail: English,
// billing, an account number, nobody logged in so self-service, voicemail.
// The event log on disk has the whole path, the recording holds the
// caller's speech, and the API showed the call while it was live.
func TestServeCallerReachesVoicemail(t *testing.T) {
	if testing.Short() {
		t.Skip("real SIP call")
	}
	dir, data := testConfigDir(t), t.TempDir()
	addrs, stop := startServe(t, dir, data)
	stopped := false
	defer func() {
		if !stopped {
			stop()
		}
	}()

	phone, err := siptest.NewPhone(siptest.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer phone.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	call, err := phone.Dial(ctx, "sip:96069@"+addrs.SIP, siptest.DialOptions{From: "13800138000", DTMFPayloadType: 101})
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer call.Close()
	if !call.WaitFrames(10, 5*time.Second) {
		t.Fatalf("heard no prompt audio after answer")
	}

	// The API lists the call while it is in the IVR.
	resp, err := http.Get("http://" + addrs.HTTP + "/api/calls")
	if err != nil {
		t.Fatal(err)
	}
	var live []map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&live); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if len(live) != 1 || live[0]["flow"] != "heating-hotline" {
		t.Errorf("GET /api/calls = %v; want the one heating-hotline call", live)
	}

	// Type ahead through the menus: English, billing, the account, then
	// voicemail from the after-hours menu (billing has nobody logged in).
	if err := call.SendDigits(ctx, "2112345678#2"); err != nil {
		t.Fatal(err)
	}
	speech, err := os.ReadFile(filepath.Join(dir, "prompts", "en", "main_menu.wav"))
	if err != nil {
		t.Fatal(err)
	}
	pcm, err := media.ReadWAV(bytes.NewReader(speech))
	if err != nil {
		t.Fatal(err)
	}
	// Speak once the beep has had time to come, then end with #.
	waitForEvent(t, data, events.IVRNode, "voicemail", 30*time.Second)
	time.Sleep(3 * time.Second) // leave_message prompt and beep play before recording starts
	playing := call.Play([]media.Clip{media.EncodeClip(pcm, call.Codec())}, false)
	time.Sleep(3 * time.Second)
	call.Stop(playing)
	if err := call.SendDigits(ctx, "#"); err != nil {
		t.Fatal(err)
	}
	select {
	case <-call.Done():
	case <-ctx.Done():
		t.Fatal("the server did not hang up after goodbye")
	}
	if !call.EndedByServer() {
		t.Error("call not ended by the server")
	}
	resp, err = http.Get("http://" + addrs.HTTP + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	prom, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`switchboard_sip_invites_total{outcome="accepted"} 1`, `switchboard_events_total{outcome="emitted"}`, `switchboard_sip_dtmf_digits_total{mode="rfc4733"} 13`} {
		if !strings.Contains(string(prom), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	// The API's IVR funnel (by=node) counts the walk, as `report --by node`.
	resp, err = http.Get("http://" + addrs.HTTP + "/api/reports/summary?by=node&from=" + time.Now().Add(-time.Hour).UTC().Format("2006-01-02T15:04:05Z"))
	if err != nil {
		t.Fatal(err)
	}
	var funnel struct {
		By    string `json:"by"`
		Nodes []struct {
			Node   string `json:"node"`
			Visits int    `json:"visits"`
		} `json:"nodes"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&funnel); err != nil {
		t.Fatalf("by=node report: %v", err)
	}
	resp.Body.Close()
	visited := map[string]int{}
	for _, n := range funnel.Nodes {
		visited[n.Node] = n.Visits
	}
	if funnel.By != "node" || visited["voicemail"] != 1 || visited["main_menu"] != 1 {
		t.Errorf("by=node report = %+v; want voicemail and main_menu visited once", funnel)
	}
	stop()
	stopped = true

	evs := readEvents(t, data)
	var path []string
	var saved *events.Event
	for i, e := range evs {
		if e.Type == events.IVRNode {
			path = append(path, e.Node)
		}
		if e.Type == events.VoicemailSaved {
			saved = &evs[i]
		}
	}
	want := []string{"language", "set_en", "check_hours", "main_menu", "account", "billing", "after_hours", "voicemail", "thanks_message", "goodbye", "end"}
	if strings.Join(path, ",") != strings.Join(want, ",") {
		t.Errorf("path = %v; want %v", path, want)
	}
	if evs[0].Type != events.CallStart || evs[len(evs)-1].Type != events.CallEnd {
		t.Errorf("log runs %s .. %s; want call.start .. call.end", evs[0].Type, evs[len(evs)-1].Type)
	}
	if saved == nil {
		t.Fatal("no voicemail.saved event")
	}
	rec, err := os.ReadFile(saved.Data["path"])
	if err != nil {
		t.Fatalf("recording: %v", err)
	}
	recPCM, err := media.ReadWAV(bytes.NewReader(rec))
	if err != nil {
		t.Fatal(err)
	}
	if voiced := voicedFrames(recPCM); voiced < 50 {
		t.Errorf("recording has %d voiced 20 ms frames; want the caller's ~3 s of speech", voiced)
	}
}

func voicedFrames(pcm []int16) int {
	n := 0
	for i := 0; i+160 <= len(pcm); i += 160 {
		var sum int64
		for _, s := range pcm[i : i+160] {
			if s < 0 {
				s = -s
			}
			sum += int64(s)
		}
		if sum/160 > media.SilenceLevel {
			n++
		}
	}
	return n
}

func readEvents(t *testing.T, data string) []events.Event {
	t.Helper()
	st, err := sqlite.OpenDir(context.Background(), data, sqlite.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var evs []events.Event
	if err := st.Scan(context.Background(), time.Time{}, time.Time{}, func(e events.Event) error {
		evs = append(evs, e)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return evs
}

// waitForEvent polls the store (written in batches) until an event of type
// typ at node appears.
func waitForEvent(t *testing.T, data string, typ events.Type, node string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		st, err := sqlite.OpenDir(context.Background(), data, sqlite.Options{ReadOnly: true})
		if err == nil {
			found := false
			_ = st.Scan(context.Background(), time.Time{}, time.Time{}, func(e events.Event) error {
				if e.Type == typ && e.Node == node {
					found = true
				}
				return nil
			})
			st.Close()
			if found {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("no %s event at %s within %v", typ, node, within)
}

// SIGTERM drains: new calls get 503, the call in progress goes on, and
// serve stops by itself once it has ended.
func TestServeDrainsOnSIGTERM(t *testing.T) {
	dir, data := testConfigDir(t), t.TempDir()
	drain := make(chan struct{})
	ready := make(chan Addrs, 1)
	m := &Main{Stdin: strings.NewReader(""), Stdout: &bytes.Buffer{}, Stderr: &lockedWriter{w: &bytes.Buffer{}},
		Drain: drain, Ready: func(a Addrs) { ready <- a }}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int, 1)
	go func() {
		done <- m.Run(ctx, []string{"serve", "--config", filepath.Join(dir, "switchboard.yaml"),
			"--sip", "127.0.0.1:0", "--http", "127.0.0.1:0", "--data", data})
	}()
	var addrs Addrs
	select {
	case addrs = <-ready:
	case <-time.After(20 * time.Second):
		t.Fatal("serve not ready")
	}
	phone, err := siptest.NewPhone(siptest.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer phone.Close()
	cctx, ccancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer ccancel()
	call, err := phone.Dial(cctx, "sip:96069@"+addrs.SIP, siptest.DialOptions{DTMFPayloadType: 101})
	if err != nil {
		t.Fatal(err)
	}
	close(drain)
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, err = phone.Dial(cctx, "sip:96069@"+addrs.SIP, siptest.DialOptions{})
		var re *siptest.RejectedError
		if errors.As(err, &re) && re.Status == 503 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("call while draining = %v; want 503", err)
		}
		time.Sleep(50 * time.Millisecond) // the drain signal is asynchronous
	}
	select {
	case code := <-done:
		t.Fatalf("serve exited %d with a call in progress", code)
	case <-call.Done():
		t.Fatal("the call in progress was ended by the drain")
	case <-time.After(500 * time.Millisecond):
	}
	if err := call.Hangup(cctx); err != nil {
		t.Fatal(err)
	}
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("serve exited %d after draining", code)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop after the last call ended")
	}
	if !strings.Contains(stderrString(m), "drained") {
		t.Errorf("no drain in the log:\n%s", stderrString(m))
	}
}
