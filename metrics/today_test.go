package metrics

import (
	"context"
	"testing"
	"time"
)

// TestTodayByQueue: each queue gets today's totals at its own threshold,
// one scan per distinct threshold, from local midnight; a second ask within
// CacheFor scans nothing, a later one scans again.
func TestTodayByQueue(t *testing.T) {
	log := loadFixture(t)
	now := time.Date(2026, 11, 2, 12, 0, 0, 0, time.UTC)
	var scans []time.Duration
	today := &TodayByQueue{
		Compute: func(ctx context.Context, from, to time.Time, th time.Duration) (*Result, error) {
			if want := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC); !from.Equal(want) {
				t.Errorf("from = %v; want local midnight %v", from, want)
			}
			if !to.After(now) {
				t.Errorf("to = %v; want past now %v", to, now)
			}
			scans = append(scans, th)
			return Compute(ctx, log, from, to, Options{SLThreshold: th, From: from, To: to})
		},
		Now:      func() time.Time { return now },
		Location: time.UTC,
	}
	thresholds := map[string]time.Duration{"billing": 20 * time.Second, "outage": 20 * time.Second, "sales": 60 * time.Second}
	rows, err := today.Rows(context.Background(), thresholds)
	if err != nil {
		t.Fatal(err)
	}
	if len(scans) != 2 {
		t.Errorf("%d scans %v; want one per distinct threshold (2)", len(scans), scans)
	}
	// testdata/README.md: billing offered 5 answered 3; outage offered 2.
	if rows["billing"].Offered != 5 || rows["billing"].Answered != 3 || rows["outage"].Offered != 2 {
		t.Errorf("billing %+v outage %+v; want the fixture day's figures", figures(rows["billing"]), figures(rows["outage"]))
	}
	if rows["sales"].Offered != 0 {
		t.Errorf("sales offered %d on a day it had no call", rows["sales"].Offered)
	}
	if _, err := today.Rows(context.Background(), thresholds); err != nil || len(scans) != 2 {
		t.Errorf("asked again at once: %d scans, err %v; want the cached answer", len(scans), err)
	}
	now = now.Add(DefaultTodayCacheFor)
	if _, err := today.Rows(context.Background(), thresholds); err != nil || len(scans) != 4 {
		t.Errorf("asked after CacheFor: %d scans, err %v; want a fresh answer", len(scans), err)
	}
	now = time.Date(2026, 11, 3, 0, 30, 0, 0, time.UTC)
	today.Compute = func(ctx context.Context, from, to time.Time, th time.Duration) (*Result, error) {
		return Compute(ctx, log, from, to, Options{SLThreshold: th, From: from, To: to})
	}
	rows, err = today.Rows(context.Background(), thresholds)
	if err != nil {
		t.Fatal(err)
	}
	if rows["billing"].Offered != 0 {
		t.Errorf("the next day starts with %d billing calls; want 0", rows["billing"].Offered)
	}
}
