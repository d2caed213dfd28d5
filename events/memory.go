package events

import (
	"context"
	"slices"
	"sync"
	"time"
)

// Log is an in-memory Store and Reader for tests and `switchboard simulate`.
// It is safe for concurrent use; events get Seq 1, 2, 3… in append order.
type Log struct {
	mu     sync.Mutex
	events []Event
	// FailNext, when > 0, makes that many following Append calls fail with
	// ErrInjected; tests use it to prove the Writer retries without loss.
	FailNext int
}

var (
	_ Store   = (*Log)(nil)
	_ Reader  = (*Log)(nil)
	_ Counter = (*Log)(nil)
	_ Sink    = (*Log)(nil)
)

// ErrInjected is the failure Log.FailNext produces.
var ErrInjected = errorString("events: injected append failure")

type errorString string

func (e errorString) Error() string { return string(e) }

// NewLog returns an empty log holding the given events (for fixtures).
func NewLog(initial ...Event) *Log {
	l := &Log{}
	if len(initial) > 0 {
		_ = l.Append(context.Background(), initial)
	}
	return l
}

// Append adds the batch at the end of the log.
func (l *Log) Append(_ context.Context, batch []Event) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.FailNext > 0 {
		l.FailNext--
		return ErrInjected
	}
	for _, e := range batch {
		e.Seq = uint64(len(l.events) + 1)
		e.Data = cloneData(e.Data)
		l.events = append(l.events, e)
	}
	return nil
}

// Emit appends one event synchronously: the in-memory log never blocks for
// long, so simulate can use it directly as the Sink.
func (l *Log) Emit(ctx context.Context, e Event) { _ = l.Append(ctx, []Event{e}) }

// Events returns a copy of everything appended so far, in append order.
func (l *Log) Events() []Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.events)
}

// Len is the number of events in the log.
func (l *Log) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.events)
}

// Scan visits the events in [from, to) in time order, ties in append order.
func (l *Log) Scan(ctx context.Context, from, to time.Time, fn func(Event) error) error {
	l.mu.Lock()
	sel := make([]Event, 0, len(l.events))
	for _, e := range l.events {
		if InRange(e.Time, from, to) {
			sel = append(sel, e)
		}
	}
	l.mu.Unlock()
	slices.SortStableFunc(sel, func(a, b Event) int { return a.Time.Compare(b.Time) })
	for i, e := range sel {
		if i%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	return nil
}

// Count is the number of events in [from, to).
func (l *Log) Count(_ context.Context, from, to time.Time) (int64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var n int64
	for _, e := range l.events {
		if InRange(e.Time, from, to) {
			n++
		}
	}
	return n, nil
}

func cloneData(d map[string]string) map[string]string {
	if d == nil {
		return nil
	}
	c := make(map[string]string, len(d))
	for k, v := range d {
		c[k] = v
	}
	return c
}
