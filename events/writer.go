package events

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// Writer defaults, chosen for one node taking a few hundred calls a second:
// each call emits 10–30 events, so the buffer holds several seconds of
// traffic while the store is slow, and a batch is one SQLite transaction.
const (
	DefaultBuffer        = 65536
	DefaultBatch         = 1024
	DefaultFlushInterval = 100 * time.Millisecond
	// DefaultMaxWait is how long Emit may wait for room when the buffer is
	// full before it drops the event. It is short: a caller waiting on a
	// prompt must never wait on the disk.
	DefaultMaxWait = 5 * time.Millisecond
	retryBackoff   = 50 * time.Millisecond
	maxBackoff     = 2 * time.Second
)

// ErrClosed is returned by EmitSync and Flush after Close.
var ErrClosed = errors.New("events: writer closed")

// WriterConfig tunes a Writer; zero fields take the defaults above.
type WriterConfig struct {
	Buffer        int           // events held in memory before Emit waits
	Batch         int           // events per Store.Append
	FlushInterval time.Duration // longest time an event sits in the buffer
	MaxWait       time.Duration // how long Emit waits for room before dropping
	Logger        *slog.Logger  // nil: silent
}

// WriterStats are the Writer's counters since it started, for /metrics.
type WriterStats struct {
	Emitted     uint64 // events accepted into the buffer
	Written     uint64 // events the store acknowledged
	Pending     int    // events accepted but not yet written
	Waits       uint64 // Emit calls that found the buffer full and waited
	Dropped     uint64 // events lost because the buffer stayed full (or after Close)
	Batches     uint64 // successful Store.Append calls
	WriteErrors uint64 // failed Store.Append calls (the batch is retried)
}

// Writer is the Sink that call handling emits to. Emit only appends to a
// bounded in-memory buffer; one goroutine writes the buffer to the Store in
// batches. When the store falls behind, Emit waits at most MaxWait for room
// and then drops the event, counting both (Stats), so back-pressure is
// visible and never silent.
//
// Durability contract: an event is acknowledged once a Flush that started
// after its Emit returned has returned nil, or once EmitSync returned nil.
// Acknowledged events are in the Store; a failed batch is retried, never
// discarded. Close flushes everything still buffered.
type Writer struct {
	store Store
	cfg   WriterConfig
	log   *slog.Logger

	mu       sync.Mutex
	buf      []Event // accepted, not yet taken by the loop
	inflight []Event // taken by the loop, not yet written; len(buf)+len(inflight) <= cfg.Buffer
	spare    []Event // recycled backing array for buf
	closeCtx context.Context
	space    chan struct{} // closed (and replaced) when room appears in buf
	progress chan struct{} // closed (and replaced) when written advances or the loop stops
	closed   bool
	stopped  bool  // the loop has exited
	lastErr  error // last Append error, cleared by a success
	stats    WriterStats

	wake chan struct{} // cap 1: there is work, or a flush was requested
	quit chan struct{}
	done chan struct{}
}

var _ Sink = (*Writer)(nil)

// NewWriter starts a Writer on store. Call Close to flush and stop it; the
// Writer does not close the store.
func NewWriter(store Store, cfg WriterConfig) *Writer {
	if cfg.Buffer <= 0 {
		cfg.Buffer = DefaultBuffer
	}
	if cfg.Batch <= 0 {
		cfg.Batch = DefaultBatch
	}
	if cfg.Batch > cfg.Buffer {
		cfg.Batch = cfg.Buffer
	}
	if cfg.FlushInterval <= 0 {
		cfg.FlushInterval = DefaultFlushInterval
	}
	if cfg.MaxWait < 0 {
		cfg.MaxWait = 0
	} else if cfg.MaxWait == 0 {
		cfg.MaxWait = DefaultMaxWait
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	w := &Writer{
		store:    store,
		cfg:      cfg,
		log:      log,
		buf:      make([]Event, 0, cfg.Buffer),
		spare:    make([]Event, 0, cfg.Buffer),
		space:    make(chan struct{}),
		progress: make(chan struct{}),
		wake:     make(chan struct{}, 1),
		quit:     make(chan struct{}),
		done:     make(chan struct{}),
	}
	go w.loop()
	return w
}

// Emit buffers e without waiting on the store. If the buffer is full it
// waits up to MaxWait (or until ctx is done) for room, then drops e and
// counts the drop. A cancelled ctx does not drop an event that fits: the
// call.end of a hung-up call must still be recorded.
func (w *Writer) Emit(ctx context.Context, e Event) {
	if !w.enqueue(ctx, e, w.cfg.MaxWait) {
		// Log the first drop and then every 1000th: an overloaded disk must
		// not also flood the log. Stats has the exact count.
		if n := w.Stats().Dropped; n == 1 || n%1000 == 0 {
			w.log.Warn("event buffer full: events dropped", "dropped_total", n, "type", e.Type, "call_id", e.CallID)
		}
	}
}

// EmitSync buffers e, waiting as long as ctx allows for room, and returns
// once e is in the store: an acknowledged event.
func (w *Writer) EmitSync(ctx context.Context, e Event) error {
	if !w.enqueue(ctx, e, -1) {
		w.mu.Lock()
		closed := w.closed
		w.mu.Unlock()
		if closed {
			return ErrClosed
		}
		return fmt.Errorf("emit %s: %w", e.Type, context.Cause(ctx))
	}
	return w.Flush(ctx)
}

// enqueue appends e to the buffer, waiting for room at most maxWait (< 0:
// until ctx is done). It reports whether e was accepted.
func (w *Writer) enqueue(ctx context.Context, e Event, maxWait time.Duration) bool {
	var deadline <-chan time.Time
	waited := false
	for {
		w.mu.Lock()
		if w.closed {
			w.stats.Dropped++
			w.mu.Unlock()
			return false
		}
		if len(w.buf)+len(w.inflight) < w.cfg.Buffer {
			if e.Time.IsZero() {
				e.Time = time.Now().UTC()
			}
			w.buf = append(w.buf, e)
			w.stats.Emitted++
			w.mu.Unlock()
			w.signal()
			return true
		}
		if !waited {
			w.stats.Waits++
			waited = true
		}
		space := w.space
		w.mu.Unlock()
		w.signal()
		if maxWait == 0 {
			return w.drop()
		}
		if deadline == nil && maxWait > 0 {
			t := time.NewTimer(maxWait)
			defer t.Stop()
			deadline = t.C
		}
		select {
		case <-space:
		case <-deadline:
			return w.drop()
		case <-ctx.Done():
			return w.drop()
		}
	}
}

func (w *Writer) drop() bool {
	w.mu.Lock()
	w.stats.Dropped++
	w.mu.Unlock()
	return false
}

func (w *Writer) signal() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Flush returns once every event whose Emit returned before Flush was
// called is in the store, or with the store's last error when ctx ends
// first.
func (w *Writer) Flush(ctx context.Context) error {
	w.mu.Lock()
	target := w.stats.Emitted
	w.mu.Unlock()
	w.signal()
	for {
		w.mu.Lock()
		written, progress, stopped, lastErr := w.stats.Written, w.progress, w.stopped, w.lastErr
		w.mu.Unlock()
		if written >= target {
			return nil
		}
		if stopped {
			if lastErr != nil {
				return fmt.Errorf("flush: %w", lastErr)
			}
			return ErrClosed
		}
		select {
		case <-progress:
		case <-ctx.Done():
			w.mu.Lock()
			lastErr = w.lastErr
			w.mu.Unlock()
			if lastErr != nil {
				return fmt.Errorf("flush: %w (%w)", context.Cause(ctx), lastErr)
			}
			return fmt.Errorf("flush: %w", context.Cause(ctx))
		}
	}
}

// Close stops accepting events, writes everything buffered and stops the
// writer goroutine. A failing store is retried until ctx ends; then Close
// returns an error naming how many events were not written.
func (w *Writer) Close(ctx context.Context) error {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		<-w.done
		return nil
	}
	w.closed = true
	w.closeCtx = ctx
	w.mu.Unlock()
	close(w.quit)
	<-w.done
	w.mu.Lock()
	defer w.mu.Unlock()
	if n := len(w.buf) + len(w.inflight); n > 0 {
		return fmt.Errorf("close: %d events not written: %w", n, w.lastErr)
	}
	return nil
}

// Stats returns a snapshot of the counters.
func (w *Writer) Stats() WriterStats {
	w.mu.Lock()
	defer w.mu.Unlock()
	s := w.stats
	s.Pending = len(w.buf) + len(w.inflight)
	return s
}

// loop is the only goroutine that calls the store. It lives from NewWriter
// until Close has drained the buffer (or Close's context gave up).
func (w *Writer) loop() {
	defer close(w.done)
	ticker := time.NewTicker(w.cfg.FlushInterval)
	defer ticker.Stop()
	var backoff time.Duration
	quitting := false
	for {
		if !quitting {
			if backoff > 0 {
				// A failing store: wait out the backoff (new events and
				// Flush calls do not cut it short), or until Close.
				t := time.NewTimer(backoff)
				select {
				case <-t.C:
				case <-w.quit:
					quitting = true
				}
				t.Stop()
			} else {
				select {
				case <-w.wake:
				case <-ticker.C:
				case <-w.quit:
					quitting = true
				}
			}
		}
		if w.writeAll() {
			backoff = 0
			if quitting {
				w.finish()
				return
			}
			continue
		}
		backoff = min(max(2*backoff, retryBackoff), maxBackoff)
		if quitting {
			w.mu.Lock()
			ctx := w.closeCtx
			w.mu.Unlock()
			t := time.NewTimer(backoff)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				w.finish()
				return
			}
		}
	}
}

func (w *Writer) finish() {
	w.mu.Lock()
	w.stopped = true
	close(w.progress)
	w.progress = make(chan struct{})
	w.mu.Unlock()
}

// writeAll moves the buffer to inflight and writes it in batches until both
// are empty, or a batch fails (it stays inflight for the retry).
func (w *Writer) writeAll() bool {
	for {
		w.mu.Lock()
		if len(w.inflight) == 0 {
			if len(w.buf) == 0 {
				w.mu.Unlock()
				return true
			}
			// Swap instead of copy: Emit keeps appending to the other slice;
			// the capacity check counts both, so memory stays bounded.
			w.inflight, w.buf = w.buf, w.spare[:0]
			w.spare = w.inflight[:0] // the whole backing array, for reuse once written
		}
		n := min(len(w.inflight), w.cfg.Batch)
		batch := w.inflight[:n]
		w.mu.Unlock()

		err := w.store.Append(context.Background(), batch)

		w.mu.Lock()
		if err != nil {
			w.stats.WriteErrors++
			w.lastErr = err
			w.mu.Unlock()
			w.log.Error("event store append failed; will retry", "events", n, "err", err)
			return false
		}
		clear(batch) // drop references to Data maps
		w.inflight = w.inflight[n:]
		w.stats.Written += uint64(n)
		w.stats.Batches++
		w.lastErr = nil
		close(w.space)
		w.space = make(chan struct{})
		close(w.progress)
		w.progress = make(chan struct{})
		w.mu.Unlock()
	}
}
