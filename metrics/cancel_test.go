package metrics

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/events"
	"github.com/switchboard-cc/switchboard/events/eventstest"
)

// cancellingReader is a Reader that never looks at its context (as a
// slow or foreign store might not): it cancels the report's context after
// cancelAt events, as a client hanging up would, and counts what it hands
// over after that.
type cancellingReader struct {
	evs       []events.Event
	cancelAt  int
	cancel    context.CancelFunc
	afterStop int
}

func (r *cancellingReader) Scan(_ context.Context, _, _ time.Time, fn func(events.Event) error) error {
	for i, e := range r.evs {
		if i == r.cancelAt {
			r.cancel()
		}
		if i > r.cancelAt {
			r.afterStop++
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	return nil
}

// TestComputeStopsSoonAfterCancel: a report whose client went away stops
// folding within a few hundred events, even when the store does not watch
// the context, and says why (context.Canceled), instead of running on to
// the end of a quarter's log.
func TestComputeStopsSoonAfterCancel(t *testing.T) {
	evs := eventstest.Synthetic(200_000, benchStart)
	for _, cancelAt := range []int{0, 100, 5000, 100_000} {
		ctx, cancel := context.WithCancel(context.Background())
		r := &cancellingReader{evs: evs, cancelAt: cancelAt, cancel: cancel}
		res, err := Compute(ctx, r, time.Time{}, time.Time{}, Options{})
		cancel()
		if !errors.Is(err, context.Canceled) || res != nil {
			t.Errorf("cancel at event %d: Compute = %v, %v; want nil, context.Canceled", cancelAt, res, err)
		}
		if r.afterStop > cancelCheckEvery {
			t.Errorf("cancel at event %d: the reader handed over %d more events; want at most %d", cancelAt, r.afterStop, cancelCheckEvery)
		}
	}
}
