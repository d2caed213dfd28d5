package main

import (
	"context"
	"time"

	"github.com/switchboard-cc/switchboard/events"
)

// teeSink emits every event to each sink in order.
type teeSink []events.Sink

func (t teeSink) Emit(ctx context.Context, e events.Event) {
	for _, s := range t {
		s.Emit(ctx, e)
	}
}

// stampSink fills in the time of events that carry none.
type stampSink struct {
	next events.Sink
	now  func() time.Time
}

func (s stampSink) Emit(ctx context.Context, e events.Event) {
	if e.Time.IsZero() {
		e.Time = s.now()
	}
	e.Time = e.Time.UTC()
	s.next.Emit(ctx, e)
}
