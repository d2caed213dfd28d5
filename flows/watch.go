package flows

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fsnotify/fsnotify"
)

// DefaultDebounce is how long the watcher waits after the last change
// before it reloads: editors write a file in several steps (truncate,
// write, rename), and one reload should see the finished file.
const DefaultDebounce = 250 * time.Millisecond

// WatcherConfig configures a Watcher.
type WatcherConfig struct {
	Dir      string        // directory of the flow files (*.yaml, *.yml), on disk
	Env      Env           // names and prompts the flows are checked against
	Logger   *slog.Logger  // nil: silent
	Debounce time.Duration // 0: DefaultDebounce
}

// Watcher holds the current Catalog and replaces it when the flow files
// change. Reload is a transaction: the whole directory is compiled, and the
// new Catalog is swapped in atomically only if it validates; a broken file
// never replaces working flows, and its issues are logged with positions.
// Calls in progress keep the Catalog (and Flow) they started with.
type Watcher struct {
	cfg      WatcherConfig
	log      *slog.Logger
	cur      atomic.Pointer[Catalog]
	watching chan struct{}

	mu       sync.Mutex // serializes reloads, so subscribers see swaps in order
	lastSum  [sha256.Size]byte
	subsMu   sync.Mutex // guards subs and nextSub; a subscriber may unsubscribe while called
	subs     map[int]func(old, new *Catalog)
	nextSub  int
	stopOnce sync.Once
}

// NewWatcher loads the flows of cfg.Dir once. It fails when they do not
// validate (the error is a *ValidationError): a server should not start
// with flows it cannot run. Call Run to follow changes.
func NewWatcher(ctx context.Context, cfg WatcherConfig) (*Watcher, error) {
	if cfg.Debounce <= 0 {
		cfg.Debounce = DefaultDebounce
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	w := &Watcher{cfg: cfg, log: log, subs: map[int]func(old, new *Catalog){}, watching: make(chan struct{})}
	cat, sum, err := w.load(ctx)
	if err != nil {
		return nil, err
	}
	w.cur.Store(cat)
	w.lastSum = sum
	return w, nil
}

// Current returns the catalog in force. It never returns nil after
// NewWatcher succeeded.
func (w *Watcher) Current() *Catalog { return w.cur.Load() }

// OnSwap registers fn to run after each successful swap (in the reloading
// goroutine; keep it short). The returned function unregisters it.
func (w *Watcher) OnSwap(fn func(old, new *Catalog)) (cancel func()) {
	w.subsMu.Lock()
	defer w.subsMu.Unlock()
	id := w.nextSub
	w.nextSub++
	w.subs[id] = fn
	return func() {
		w.subsMu.Lock()
		defer w.subsMu.Unlock()
		delete(w.subs, id)
	}
}

// Watching is closed once Run watches the directory: changes made after
// that are seen.
func (w *Watcher) Watching() <-chan struct{} { return w.watching }

// Reload compiles the directory now. On success the new catalog is in force
// and returned; unchanged files are not recompiled and return the current
// catalog. On failure the running catalog stays, the issues are logged, and
// the error (a *ValidationError for flow problems) is returned, e.g. to the
// HTTP API that asked.
func (w *Watcher) Reload(ctx context.Context) (*Catalog, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	cat, sum, err := w.load(ctx)
	if err != nil {
		w.logFailure(err)
		return nil, err
	}
	if sum == w.lastSum {
		return w.cur.Load(), nil
	}
	w.lastSum = sum
	old := w.cur.Swap(cat)
	w.log.Info("flows reloaded", "dir", w.cfg.Dir, "flows", len(cat.Flows))
	w.subsMu.Lock()
	subs := make([]func(old, new *Catalog), 0, len(w.subs))
	for _, fn := range w.subs {
		subs = append(subs, fn)
	}
	w.subsMu.Unlock()
	for _, fn := range subs {
		fn(old, cat)
	}
	return cat, nil
}

func (w *Watcher) logFailure(err error) {
	var ve *ValidationError
	if !errors.As(err, &ve) {
		w.log.Error("flow reload failed; the running flows stay in force", "dir", w.cfg.Dir, "err", err)
		return
	}
	w.log.Error("flow reload failed; the running flows stay in force", "dir", w.cfg.Dir, "issues", len(ve.Issues))
	for _, is := range ve.Issues {
		w.log.Error("flow issue", "pos", is.Pos.String(), "msg", is.Message)
	}
}

// load reads and compiles every flow file of the directory; sum identifies
// the content so an unchanged directory is not swapped.
func (w *Watcher) load(ctx context.Context) (*Catalog, [sha256.Size]byte, error) {
	var sum [sha256.Size]byte
	fsys := os.DirFS(w.cfg.Dir)
	paths, err := FlowFiles(fsys, ".")
	if err != nil {
		return nil, sum, err
	}
	h := sha256.New()
	srcs := make([]Source, 0, len(paths))
	for _, p := range paths {
		src, err := ReadSource(fsys, p, filepath.Join(w.cfg.Dir, p))
		if err != nil {
			return nil, sum, err
		}
		fmt.Fprintf(h, "%s\x00%d\x00", src.Name, len(src.Data))
		h.Write(src.Data)
		srcs = append(srcs, src)
	}
	copy(sum[:], h.Sum(nil))
	cat, err := Compile(ctx, srcs, w.cfg.Env)
	return cat, sum, err
}

// Run watches the directory until ctx ends, reloading after changes settle
// for the debounce time.
func (w *Watcher) Run(ctx context.Context) error {
	fw, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("watch flows: %w", err)
	}
	defer fw.Close()
	if err := fw.Add(w.cfg.Dir); err != nil {
		return fmt.Errorf("watch flows %s: %w", w.cfg.Dir, err)
	}
	w.stopOnce.Do(func() { close(w.watching) })
	fire := make(chan struct{}, 1)
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-fw.Events:
			if !ok {
				return nil
			}
			if !relevant(ev) {
				continue
			}
			if timer == nil {
				timer = time.AfterFunc(w.cfg.Debounce, func() {
					select {
					case fire <- struct{}{}:
					default:
					}
				})
			} else {
				timer.Reset(w.cfg.Debounce)
			}
		case err, ok := <-fw.Errors:
			if !ok {
				return nil
			}
			w.log.Warn("watching flows", "dir", w.cfg.Dir, "err", err)
		case <-fire:
			_, _ = w.Reload(ctx) // failures are logged; the running flows stay
		}
	}
}

// relevant: a flow file changed, or a Kubernetes ConfigMap swapped its
// ..data link (the files behind the links changed all at once).
func relevant(ev fsnotify.Event) bool {
	if ev.Op == fsnotify.Chmod {
		return false
	}
	base := filepath.Base(ev.Name)
	return IsFlowFile(base) || strings.HasPrefix(base, "..data")
}
