package postgres

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/events"
	"github.com/switchboard-cc/switchboard/events/eventstest"
	"github.com/switchboard-cc/switchboard/internal/testsvc"
	"github.com/switchboard-cc/switchboard/metrics"
)

// pgDurable is a server as production runs it (fsync and
// synchronous_commit on), so the numbers compare with SQLite's durable
// default in events/sqlite's benchmarks (same event mix, eventstest.Mix).
var pgDurable = testsvc.SharedPostgreSQL{Options: testsvc.PostgreSQLOptions{Fsync: true}}

// BenchmarkIngest measures events/s through the Writer into PostgreSQL:
// one node, and four nodes writing at once (the rate is their sum).
func BenchmarkIngest(b *testing.B) {
	for _, nodes := range []int{1, 4} {
		name := "node"
		if nodes > 1 {
			name = "nodes4"
		}
		b.Run(name, func(b *testing.B) {
			ctx := context.Background()
			url := pgDurable.Database(b)
			stores := make([]*Store, nodes)
			for i := range stores {
				stores[i] = openDB(b, url, Options{})
			}
			evs := eventstest.Mix(100_000, t0)
			per := len(evs) / nodes
			b.ResetTimer()
			total := 0
			for range b.N {
				var wg sync.WaitGroup
				errs := make(chan error, nodes)
				for n, s := range stores {
					wg.Add(1)
					go func() {
						defer wg.Done()
						// A producer faster than any server: Emit waits rather
						// than drops, so the number is the sustained rate.
						w := events.NewWriter(s, events.WriterConfig{MaxWait: time.Second})
						for _, e := range evs[n*per : (n+1)*per] {
							w.Emit(ctx, e)
						}
						if err := w.Close(ctx); err != nil {
							errs <- err
						} else if st := w.Stats(); st.Dropped != 0 {
							errs <- errDropped(st.Dropped)
						}
					}()
				}
				wg.Wait()
				close(errs)
				for err := range errs {
					b.Fatal(err)
				}
				total += per * nodes
			}
			b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "events/s")
		})
	}
}

type errDropped uint64

func (e errDropped) Error() string { return "events dropped" }

// BenchmarkScan measures reading events back (the first half of report).
func BenchmarkScan(b *testing.B) {
	eventstest.BenchmarkScan(b, openDB(b, pgDurable.Database(b), Options{}))
}

// BenchmarkReport1M is `switchboard report --store postgres://…` over a
// million events: scan and compute every metric, end to end.
func BenchmarkReport1M(b *testing.B) {
	ctx := context.Background()
	s := openDB(b, pgDurable.Database(b), Options{})
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
