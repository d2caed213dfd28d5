package metrics

import (
	"context"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/events"
	"github.com/switchboard-cc/switchboard/events/eventstest"
)

// sliceReader scans a prepared slice, so the benchmark measures metrics
// alone (the store's scan is measured in events/sqlite).
type sliceReader []events.Event

func (s sliceReader) Scan(ctx context.Context, from, to time.Time, fn func(events.Event) error) error {
	for _, e := range s {
		if err := fn(e); err != nil {
			return err
		}
	}
	return nil
}

var benchStart = time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)

func BenchmarkCompute1M(b *testing.B) {
	evs := sliceReader(eventstest.Synthetic(1_000_000, benchStart))
	b.ResetTimer()
	for range b.N {
		r, err := Compute(context.Background(), evs, time.Time{}, time.Time{}, Options{})
		if err != nil {
			b.Fatal(err)
		}
		if r.Events < 1_000_000 || r.Total().Answered == 0 {
			b.Fatalf("computed %d events, %d answered", r.Events, r.Total().Answered)
		}
		_ = r.Rows(ByInterval)
	}
	b.ReportMetric(float64(len(evs)*b.N)/b.Elapsed().Seconds(), "events/s")
}

// The synthetic stream is consistent: every queued call leaves its queue.
func TestSyntheticStreamBalances(t *testing.T) {
	evs := sliceReader(eventstest.Synthetic(20_000, benchStart))
	r, err := Compute(context.Background(), evs, time.Time{}, time.Time{}, Options{ShortAbandon: -1})
	if err != nil {
		t.Fatal(err)
	}
	tot := r.Total()
	if tot.Offered != tot.Answered+tot.Abandoned+tot.TimedOut || tot.Offered == 0 {
		t.Errorf("offered %d != answered %d + abandoned %d + timed out %d", tot.Offered, tot.Answered, tot.Abandoned, tot.TimedOut)
	}
	if r.Calls.Total+r.Calls.InProgress != r.Days[0].Inbound {
		t.Errorf("outcomes %+v do not add up to %d inbound", r.Calls, r.Days[0].Inbound)
	}
	if v, ok := tot.Occupancy.Value(); !ok || v <= 0 || v > 1 {
		t.Errorf("occupancy = %v; want within (0, 1]", tot.Occupancy)
	}
}
