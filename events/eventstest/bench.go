package eventstest

import (
	"context"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/events"
)

// Load appends evs to s in batches of batch, as a benchmark's set-up.
func Load(tb testing.TB, s events.Store, evs []events.Event, batch int) {
	tb.Helper()
	ctx := context.Background()
	for i := 0; i < len(evs); i += batch {
		if err := s.Append(ctx, evs[i:min(i+batch, len(evs))]); err != nil {
			tb.Fatal(err)
		}
	}
}

// ScanStore is what BenchmarkScan reads: a store that reads back.
type ScanStore interface {
	events.Store
	events.Reader
}

// BenchmarkScan measures reading events back (the first half of report):
// 200,000 events of Mix, scanned whole, reported as events/s. s is empty.
func BenchmarkScan(b *testing.B, s ScanStore) {
	ctx := context.Background()
	evs := Mix(200_000, t0)
	Load(b, s, evs, 4096)
	b.ResetTimer()
	for range b.N {
		n := 0
		if err := s.Scan(ctx, time.Time{}, time.Time{}, func(events.Event) error { n++; return nil }); err != nil || n != len(evs) {
			b.Fatal(n, err)
		}
	}
	b.ReportMetric(float64(len(evs)*b.N)/b.Elapsed().Seconds(), "events/s")
}
