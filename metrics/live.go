package metrics

import (
	"context"
	"fmt"
	"maps"
	"sync"
	"time"

	"github.com/switchboard-cc/switchboard/events"
)

// Live keeps today's metrics current without rescanning the log: it is an
// events.Sink placed next to the Writer, primed at start-up from the log
// (so a restart loses nothing), that folds each new event in as it is
// emitted. At local midnight it starts a new day. Snapshot is what a
// wallboard polls.
type Live struct {
	mu  sync.Mutex
	opt Options
	c   *Computer
	day time.Time // local midnight of the day being computed
}

var _ events.Sink = (*Live)(nil)

// NewLive reads today (local midnight of now up to now) from r and returns
// a Live ready for Emit. opt.From and opt.To are ignored.
func NewLive(ctx context.Context, r events.Reader, now time.Time, opt Options) (*Live, error) {
	opt, err := opt.withDefaults()
	if err != nil {
		return nil, err
	}
	l := &Live{opt: opt}
	l.reset(midnight(now, opt.Location))
	if err := r.Scan(ctx, l.day, time.Time{}, func(e events.Event) error { l.c.Add(e); return nil }); err != nil {
		return nil, fmt.Errorf("prime live metrics: %w", err)
	}
	return l, nil
}

func midnight(t time.Time, loc *time.Location) time.Time {
	y, m, d := t.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, loc)
}

func (l *Live) reset(day time.Time) {
	opt := l.opt
	opt.From, opt.To = day, time.Time{}
	l.c, _ = NewComputer(opt) // options were validated in NewLive
	l.day = day
}

// Emit folds e in; an event of a later day starts that day afresh.
func (l *Live) Emit(_ context.Context, e events.Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !e.Time.Before(l.day.AddDate(0, 0, 1)) {
		l.reset(midnight(e.Time, l.opt.Location))
	}
	if e.Time.Before(l.day) {
		return // yesterday's straggler
	}
	l.c.Add(e)
}

// Snapshot returns today's metrics with agents' open time counted up to
// now. It does not disturb the running computation.
func (l *Live) Snapshot(now time.Time) *Result {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !now.Before(l.day.AddDate(0, 0, 1)) {
		l.reset(midnight(now, l.opt.Location))
	}
	c := l.c.clone()
	c.opt.To = now
	return c.Result()
}

// clone copies everything Result reads or mutates.
func (c *Computer) clone() *Computer {
	d := *c
	d.buckets = make(map[bucketKey]*bucket, len(c.buckets))
	for k, b := range c.buckets {
		nb := *b
		nb.NotReadyBy = maps.Clone(b.NotReadyBy)
		d.buckets[k] = &nb
	}
	d.agents = make(map[string]*agentState, len(c.agents))
	for k, a := range c.agents {
		na := *a
		d.agents[k] = &na
	}
	d.acw = maps.Clone(c.acw) // segments are only read from here on
	d.nodes = make(map[nodeKey]*NodeStats, len(c.nodes))
	for k, n := range c.nodes {
		nn := *n
		nn.Choices = maps.Clone(n.Choices)
		nn.Results = maps.Clone(n.Results)
		d.nodes[k] = &nn
	}
	d.days = make(map[int64]*DayTraffic, len(c.days))
	for k, v := range c.days {
		nv := *v
		d.days[k] = &nv
	}
	d.calls = maps.Clone(c.calls) // only counted by Result
	return &d
}
