package metrics

import (
	"context"
	"sync"
	"time"
)

// TodayByQueue gives each queue's totals since local midnight, each at its
// own service-level threshold (every skill group has its own target), as a
// wallboard shows next to the live queue state. Results are reused for
// CacheFor: a wallboard asks on every change, and a day's log is rescanned
// at most that often.
type TodayByQueue struct {
	// Compute computes the log's metrics from..to with threshold as the
	// service-level threshold (making what was emitted readable first).
	Compute func(ctx context.Context, from, to time.Time, threshold time.Duration) (*Result, error)
	// Now is the clock; nil: time.Now.
	Now func() time.Time
	// Location decides when a day starts; nil: time.Local.
	Location *time.Location
	// CacheFor is how long an answer is reused; 0: DefaultTodayCacheFor.
	CacheFor time.Duration

	mu       sync.Mutex
	cachedAt time.Time
	rows     map[string]Row
}

// DefaultTodayCacheFor is TodayByQueue's CacheFor when unset.
const DefaultTodayCacheFor = 2 * time.Second

// Rows returns today's totals by queue for the queues in thresholds (queue
// name → its service-level threshold). A queue with no call today has a
// zero Row. The log is scanned once per distinct threshold.
func (t *TodayByQueue) Rows(ctx context.Context, thresholds map[string]time.Duration) (map[string]Row, error) {
	now := time.Now()
	if t.Now != nil {
		now = t.Now()
	}
	cacheFor := t.CacheFor
	if cacheFor == 0 {
		cacheFor = DefaultTodayCacheFor
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.rows != nil && now.Sub(t.cachedAt) < cacheFor && sameQueues(t.rows, thresholds) {
		return t.rows, nil
	}
	loc := t.Location
	if loc == nil {
		loc = time.Local
	}
	y, m, d := now.In(loc).Date()
	midnight := time.Date(y, m, d, 0, 0, 0, 0, loc)
	byThreshold := map[time.Duration][]string{}
	for name, th := range thresholds {
		byThreshold[th] = append(byThreshold[th], name)
	}
	rows := make(map[string]Row, len(thresholds))
	for th, names := range byThreshold {
		// To is exclusive and the log is kept in whole seconds: a second
		// past now takes in what happened this very second.
		res, err := t.Compute(ctx, midnight, now.Add(time.Second), th)
		if err != nil {
			return nil, err
		}
		totals := res.QueueTotals()
		for _, n := range names {
			rows[n] = totals[n]
		}
	}
	t.rows, t.cachedAt = rows, now
	return rows, nil
}

// sameQueues: a cached answer serves only the queues it was computed for.
func sameQueues(rows map[string]Row, thresholds map[string]time.Duration) bool {
	if len(rows) != len(thresholds) {
		return false
	}
	for n := range thresholds {
		if _, ok := rows[n]; !ok {
			return false
		}
	}
	return true
}
