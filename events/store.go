package events

import (
	"context"
	"time"
)

// Store is where the Writer puts events: an append-only log. Append either
// makes the whole batch durable or returns an error and keeps none of it
// visible (stores write one batch per transaction), so the Writer can retry
// the same batch without duplicating events.
type Store interface {
	Append(ctx context.Context, batch []Event) error
}

// Reader iterates the log. Scan calls fn for every event with from <= Time
// < to, in time order (ties in append order); a zero from or to leaves that
// side open. An error from fn stops the scan and is returned.
type Reader interface {
	Scan(ctx context.Context, from, to time.Time, fn func(Event) error) error
}

// Counter is a Reader that can say how many events a scan would visit, so a
// report can draw an honest progress bar.
type Counter interface {
	Count(ctx context.Context, from, to time.Time) (int64, error)
}

// InRange reports whether t lies in the half-open range [from, to); a zero
// bound is open. Every Reader uses it so they agree on the edges.
func InRange(t, from, to time.Time) bool {
	if !from.IsZero() && t.Before(from) {
		return false
	}
	if !to.IsZero() && !t.Before(to) {
		return false
	}
	return true
}
