package main

import (
	"bytes"
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/ari/arifake"
	"github.com/switchboard-cc/switchboard/events"
)

// withARI appends an ari section pointing at url to the test config.
func withARI(t *testing.T, dir, url string) {
	t.Helper()
	p := filepath.Join(dir, "switchboard.yaml")
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	b = append(b, []byte("\nari:\n  application: switchboard\n  url: "+url+"\n  username: switchboard\n  password: switchboard\n  reconnect: {min: 50ms, max: 200ms}\n")...)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// The same caller as TestServeCallerReachesVoicemail, but through Asterisk
// (the ARI fake): serve runs the ARI transport beside native SIP, and the
// event log holds the same path with the same event types.
func TestServeARICallerReachesVoicemail(t *testing.T) {
	fake := arifake.New(arifake.Options{Scale: 0.05})
	hs := httptest.NewServer(fake)
	defer hs.Close()
	defer fake.Close()
	dir, data := testConfigDir(t), t.TempDir()
	withARI(t, dir, hs.URL+"/ari")
	_, stop := startServe(t, dir, data)
	stopped := false
	defer func() {
		if !stopped {
			stop()
		}
	}()

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if !fake.Await(ctx.Done(), func() bool { return fake.Connected("switchboard") }) {
		t.Fatal("serve never connected to the ARI events WebSocket")
	}
	ch, err := fake.Call(arifake.CallSpec{From: "13800138000", Exten: "96069"})
	if err != nil {
		t.Fatal(err)
	}
	if !fake.Await(ctx.Done(), func() bool { return ch.State() == "Up" }) {
		t.Fatal("the call was not answered")
	}
	if err := ch.DTMF("2112345678#2"); err != nil {
		t.Fatal(err)
	}
	waitForEvent(t, data, events.IVRNode, "voicemail", 20*time.Second)
	time.Sleep(500 * time.Millisecond) // the prompt and beep before the recording starts
	if err := ch.DTMF("#"); err != nil {
		t.Fatal(err)
	}
	if !fake.Await(ctx.Done(), ch.Gone) {
		t.Fatal("the call did not end after goodbye")
	}
	stop()
	stopped = true

	evs := readEvents(t, data)
	var path []string
	types := map[events.Type]bool{}
	for _, e := range evs {
		types[e.Type] = true
		if e.Type == events.IVRNode {
			path = append(path, e.Node)
		}
	}
	want := []string{"language", "set_en", "check_hours", "main_menu", "account", "billing", "after_hours", "voicemail", "thanks_message", "goodbye", "end"}
	if !slices.Equal(path, want) {
		t.Errorf("path over ARI = %v; want %v (as over native SIP)", path, want)
	}
	for _, typ := range []events.Type{events.CallStart, events.IVRNode, events.IVRPrompt, events.IVRDigits, events.QueueClosed, events.VoicemailSaved, events.CallEnd} {
		if !types[typ] {
			t.Errorf("no %s event over ARI", typ)
		}
	}
	if evs[0].Data["transport"] != "ari" {
		t.Errorf("call.start transport = %q; want ari", evs[0].Data["transport"])
	}
}

// With Asterisk down, serve says so and keeps retrying; native SIP and the
// API serve meanwhile.
func TestServeWithARIDownKeepsRunning(t *testing.T) {
	dir, data := testConfigDir(t), t.TempDir()
	withARI(t, dir, "http://127.0.0.1:1/ari")
	var stderr bytes.Buffer
	ready := make(chan Addrs, 1)
	m := &Main{Stdin: strings.NewReader(""), Stdout: &bytes.Buffer{}, Stderr: &lockedWriter{w: &stderr}, Ready: func(a Addrs) { ready <- a }}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		done <- m.Run(ctx, []string{"serve", "--config", filepath.Join(dir, "switchboard.yaml"), "--sip", "127.0.0.1:0", "--http", "127.0.0.1:0", "--data", data})
	}()
	select {
	case <-ready:
	case code := <-done:
		t.Fatalf("serve exited %d with Asterisk down", code)
	case <-time.After(20 * time.Second):
		t.Fatal("serve not ready")
	}
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(stderrString(m), "cannot connect to Asterisk") && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	select {
	case code := <-done:
		t.Fatalf("serve exited %d while Asterisk was down", code)
	default:
	}
	if !strings.Contains(stderrString(m), "cannot connect to Asterisk") {
		t.Errorf("no clear error about Asterisk in the log:\n%s", stderrString(m))
	}
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("serve exited %d on stop", code)
	}
}
