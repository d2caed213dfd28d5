package redisstate

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/switchboard-cc/switchboard/events"
	"github.com/switchboard-cc/switchboard/routing"
)

// BenchmarkDecisions measures routing decisions (a call enqueued until its
// offer is made) with one node alone, and with three nodes sharing the
// agents through Redis, driven the same way: three callers at a time, each
// answering and hanging up at once. It reports decisions/s, the p99 of
// enqueue-to-offer, and Redis round trips per decision (claims, releases,
// shared lines, presence, heartbeats). make bench-cluster runs it.
func BenchmarkDecisions(b *testing.B) {
	for _, nodes := range []int{0, 3} {
		name := "single"
		if nodes > 0 {
			name = fmt.Sprintf("cluster%d", nodes)
		}
		b.Run(name, func(b *testing.B) { benchDecisions(b, nodes) })
	}
}

func benchDecisions(b *testing.B, nodes int) {
	cfg := clusterConfig(30)
	var acds []*routing.ACD
	var stores []*Store
	if nodes == 0 {
		acd, err := routing.New(cfg, routing.Options{Events: events.Discard})
		if err != nil {
			b.Fatal(err)
		}
		acds = []*routing.ACD{acd, acd, acd}
	} else {
		srv := shared.Server(b)
		db := shared.DB(b)
		for i := range nodes {
			rdb := redis.NewClient(&redis.Options{Addr: srv.Addr(), DB: db})
			s, err := New(rdb, Options{Node: fmt.Sprintf("n%d", i)})
			if err != nil {
				b.Fatal(err)
			}
			cl := NewCluster(s, nil)
			acd, err := routing.New(cfg, routing.Options{Claims: cl, Events: cl.Sink(events.Discard)})
			if err != nil {
				b.Fatal(err)
			}
			if err := cl.Start(context.Background(), acd); err != nil {
				b.Fatal(err)
			}
			defer cl.Close(context.Background())
			defer s.Close()
			acds, stores = append(acds, acd), append(stores, s)
		}
	}
	ctx := context.Background()
	lat := make([][]time.Duration, len(acds))
	trips0 := trips(stores)
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	per := b.N / len(acds)
	for w, acd := range acds {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range per {
				group := []string{"billing", "repair"}[i%2]
				t0 := time.Now()
				tk, err := acd.Enqueue(ctx, routing.Request{CallID: fmt.Sprintf("w%d-%d", w, i), Group: group})
				if err != nil {
					b.Error(err)
					return
				}
				o := <-tk.Offers()
				lat[w] = append(lat[w], time.Since(t0))
				tk.Answered(o, o.Agents[0].AgentID)
				tk.Finish("caller")
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	all := slices.Concat(lat...)
	slices.Sort(all)
	if len(all) == 0 {
		return
	}
	b.ReportMetric(float64(len(all))/elapsed.Seconds(), "decisions/s")
	b.ReportMetric(float64(all[len(all)*99/100].Microseconds()), "p99-µs")
	if stores != nil {
		b.ReportMetric(float64(trips(stores)-trips0)/float64(len(all)), "redis-trips/decision")
	}
}

func trips(stores []*Store) int64 {
	var n int64
	for _, s := range stores {
		n += s.RoundTrips()
	}
	return n
}
