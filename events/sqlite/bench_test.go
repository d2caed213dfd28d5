package sqlite

import (
	"context"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/events"
	"github.com/switchboard-cc/switchboard/events/eventstest"
	"github.com/switchboard-cc/switchboard/metrics"
)

// benchEvents is the ingest mix every store's benchmark uses.
func benchEvents(n int) []events.Event { return eventstest.Mix(n, t0) }

// BenchmarkIngest measures events/s through the Writer into SQLite with
// the durable default (synchronous=FULL) and with NORMAL.
func BenchmarkIngest(b *testing.B) {
	for _, sync := range []string{"FULL", "NORMAL"} {
		b.Run(sync, func(b *testing.B) {
			ctx := context.Background()
			s := openTemp(b, Options{Synchronous: sync})
			evs := benchEvents(100_000)
			b.ResetTimer()
			total := 0
			for range b.N {
				// A producer faster than any disk: let Emit wait rather than drop, so
				// the number is the store's sustained rate.
				w := events.NewWriter(s, events.WriterConfig{MaxWait: time.Second})
				for _, e := range evs {
					w.Emit(ctx, e)
				}
				if err := w.Close(ctx); err != nil {
					b.Fatal(err)
				}
				if st := w.Stats(); st.Dropped != 0 {
					b.Fatalf("dropped %d", st.Dropped)
				}
				total += len(evs)
			}
			b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "events/s")
		})
	}
}

// BenchmarkScan measures reading events back (the first half of report).
func BenchmarkScan(b *testing.B) {
	eventstest.BenchmarkScan(b, openTemp(b, Options{Synchronous: "NORMAL"}))
}

// BenchmarkReport1M is `switchboard report` over a million events: scan
// the SQLite file and compute every metric, end to end.
func BenchmarkReport1M(b *testing.B) {
	ctx := context.Background()
	s := openTemp(b, Options{Synchronous: "NORMAL"})
	evs := eventstest.Synthetic(1_000_000, t0)
	eventstest.Load(b, s, evs, 8192)
	evs = nil
	b.ResetTimer()
	for range b.N {
		r, err := metrics.Compute(ctx, s, time.Time{}, time.Time{}, metrics.Options{})
		if err != nil {
			b.Fatal(err)
		}
		if r.Events < 1_000_000 {
			b.Fatalf("report saw %d events", r.Events)
		}
		_ = r.Report(metrics.ByInterval)
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/report")
}
