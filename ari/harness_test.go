package ari

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/ari/arifake"
	"github.com/switchboard-cc/switchboard/internal/clock"
	"github.com/switchboard-cc/switchboard/ivr"
)

// testTimeout bounds every wait in these tests; nothing should come close.
const testTimeout = 10 * time.Second

type harness struct {
	t    *testing.T
	fake *arifake.Server
	srv  *httptest.Server
	cfg  Config
	tr   *Transport
	stop context.CancelFunc
	done chan struct{}
	logs *logBuffer
}

type harnessOpts struct {
	fake  arifake.Options
	clock clock.Clock
	cfg   func(*Config)
}

// newHarness serves a fake ARI server on a loopback port and runs a
// transport against it until the test ends.
func newHarness(t *testing.T, h Handler, o harnessOpts) *harness {
	t.Helper()
	fake := arifake.New(o.fake)
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	t.Cleanup(fake.Close) // runs first: releases hung requests
	hs := &harness{t: t, fake: fake, srv: srv, logs: &logBuffer{}}
	hs.cfg = Config{URL: srv.URL + "/ari", Username: "switchboard", Password: "switchboard",
		Reconnect: Backoff{Min: 5 * time.Millisecond, Max: 50 * time.Millisecond}}
	if o.cfg != nil {
		o.cfg(&hs.cfg)
	}
	hs.start(h, o.clock)
	return hs
}

// start runs a (new) transport; the previous one, if any, must be stopped.
func (hs *harness) start(h Handler, clk clock.Clock) {
	hs.t.Helper()
	tr, err := New(hs.cfg, h, Options{Clock: clk, Logger: slog.New(slog.NewTextHandler(hs.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		hs.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = tr.Serve(ctx)
	}()
	hs.tr, hs.stop, hs.done = tr, cancel, done
	hs.t.Cleanup(hs.shutdown)
	select {
	case <-tr.Ready():
	case <-time.After(testTimeout):
		hs.t.Fatal("transport not ready")
	}
	// The fake registers the app once its side of the upgrade has run.
	hs.await("application registered", func() bool { return hs.fake.Connected(hs.cfg.appName()) })
}

// shutdown stops the transport and waits for Serve to return.
func (hs *harness) shutdown() {
	hs.stop()
	select {
	case <-hs.done:
	case <-time.After(testTimeout):
		buf := make([]byte, 1<<20)
		n := runtime.Stack(buf, true)
		var evs []string
		for _, e := range hs.fake.Events() {
			evs = append(evs, fmt.Sprintf("%s delivered=%v", e.Type, e.Delivered))
		}
		hs.t.Errorf("Serve did not return after cancel\nfake events: %v\nlogs:\n%s\n%s", evs, hs.logs.String(), buf[:n])
	}
}

// call places a scripted caller.
func (hs *harness) call(exten string, args ...string) *arifake.Channel {
	hs.t.Helper()
	ch, err := hs.fake.Call(arifake.CallSpec{From: "5551234", Name: "Alice", Exten: exten, Args: args})
	if err != nil {
		hs.t.Fatal(err)
	}
	return ch
}

// await waits for cond or fails the test.
func (hs *harness) await(what string, cond func() bool) {
	hs.t.Helper()
	stop := make(chan struct{})
	timer := time.AfterFunc(testTimeout, func() { close(stop) })
	defer timer.Stop()
	if !hs.fake.Await(stop, cond) {
		hs.t.Fatalf("timed out waiting for %s\nlogs:\n%s", what, hs.logs.String())
	}
}

// result carries what a handler saw back to the test.
type result[T any] struct {
	ch chan T
}

func newResult[T any]() result[T] { return result[T]{ch: make(chan T, 4)} }

func (r result[T]) put(v T) { r.ch <- v }

func (r result[T]) get(t *testing.T) T {
	t.Helper()
	select {
	case v := <-r.ch:
		return v
	case <-time.After(testTimeout):
		t.Fatal("timed out waiting for the handler")
	}
	var zero T
	return zero
}

type logBuffer struct {
	mu  sync.Mutex
	buf []byte
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if os.Getenv("ARI_TEST_LOG") != "" {
		_, _ = os.Stderr.Write(p)
	}
	return len(p), nil
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}

var _ io.Writer = (*logBuffer)(nil)

func prompt(file string) ivr.Prompt { return ivr.Prompt{Name: file, File: "en/" + file + ".wav"} }

func hasPrefixIn(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func newTestLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}
