package flows

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// recordHandler sends every log record's message and attributes to a
// channel, so a test waits for "the reload failed" instead of sleeping.
type recordHandler struct{ ch chan string }

func (h recordHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h recordHandler) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString(r.Message)
	r.Attrs(func(a slog.Attr) bool {
		b.WriteString(" " + a.String())
		return true
	})
	select {
	case h.ch <- b.String():
	default:
	}
	return nil
}
func (h recordHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h recordHandler) WithGroup(string) slog.Handler      { return h }

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

const waitLimit = 10 * time.Second // a failure guard, not a pacing sleep

func TestWatcherSwapsGoodAndKeepsOutBad(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "small.yaml")
	writeFile(t, file, minimal)
	logs := make(chan string, 100)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w, err := NewWatcher(ctx, WatcherConfig{Dir: dir, Env: testEnv(t), Logger: slog.New(recordHandler{logs}), Debounce: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	first := w.Current()
	swaps := make(chan *Catalog, 10)
	w.OnSwap(func(old, new *Catalog) { swaps <- new })
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	<-w.Watching()

	// A good change is swapped in.
	writeFile(t, file, strings.Replace(minimal, `["100"]`, `["100", "200"]`, 1))
	var second *Catalog
	select {
	case second = <-swaps:
	case <-time.After(waitLimit):
		t.Fatal("no swap after a valid change")
	}
	if second == first || w.Current() != second || second.ByNumber["200"] == nil {
		t.Fatalf("after good change: current=%p second=%p first=%p", w.Current(), second, first)
	}
	if first.ByNumber["200"] != nil {
		t.Error("the old catalog changed; catalogs must be immutable")
	}

	// A broken file is kept out, and the failure is logged with positions.
	writeFile(t, filepath.Join(dir, "broken.yaml"), "flow: broken\nstart: a\nnodes:\n  a: {type: paly}\n")
	deadline := time.After(waitLimit)
	for found := false; !found; {
		select {
		case msg := <-logs:
			found = strings.Contains(msg, "broken.yaml:4:13") && strings.Contains(msg, `unknown node type "paly"`)
		case <-deadline:
			t.Fatal("no logged issue for the broken file")
		}
	}
	if w.Current() != second {
		t.Error("a broken file replaced the running catalog")
	}
	select {
	case c := <-swaps:
		t.Fatalf("swap after a broken file: %v", c.Flows)
	default:
	}

	// An explicit Reload reports the same issues as an error.
	_, err = w.Reload(ctx)
	var ve *ValidationError
	if !errors.As(err, &ve) || len(ve.Issues) != 1 {
		t.Errorf("Reload err = %v; want the one issue", err)
	}

	// Fixing the file swaps again, with both flows.
	writeFile(t, filepath.Join(dir, "broken.yaml"), "flow: broken\nstart: a\nnodes:\n  a: {type: hangup}\n")
	select {
	case c := <-swaps:
		if c.Flows["broken"] == nil || c.Flows["small"] == nil {
			t.Errorf("after fix: flows = %v", c.Flows)
		}
	case <-time.After(waitLimit):
		t.Fatal("no swap after fixing the file")
	}

	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run = %v", err)
	}
}

func TestWatcherInitialFailureAndUnchangedReload(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "x.yaml"), "flow: x\n")
	if _, err := NewWatcher(context.Background(), WatcherConfig{Dir: dir, Env: testEnv(t)}); err == nil {
		t.Fatal("NewWatcher accepted an invalid flow directory")
	}
	writeFile(t, filepath.Join(dir, "x.yaml"), minimal)
	w, err := NewWatcher(context.Background(), WatcherConfig{Dir: dir, Env: testEnv(t)})
	if err != nil {
		t.Fatal(err)
	}
	calls := 0
	cancel := w.OnSwap(func(old, new *Catalog) { calls++ })
	cat, err := w.Reload(context.Background())
	if err != nil || cat != w.Current() || calls != 0 {
		t.Errorf("unchanged Reload = %p, %v, swaps %d; want current, nil, 0", cat, err, calls)
	}
	writeFile(t, filepath.Join(dir, "x.yaml"), strings.Replace(minimal, "small", "renamed", 1))
	if _, err := w.Reload(context.Background()); err != nil || calls != 1 || w.Current().Flows["renamed"] == nil {
		t.Errorf("changed Reload: err=%v swaps=%d", err, calls)
	}
	cancel()
	writeFile(t, filepath.Join(dir, "x.yaml"), minimal)
	if _, err := w.Reload(context.Background()); err != nil || calls != 1 {
		t.Errorf("after unsubscribe: err=%v swaps=%d; want 1", err, calls)
	}
}
