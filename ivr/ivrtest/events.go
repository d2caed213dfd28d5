package ivrtest

import (
	"context"
	"github.com/switchboard-cc/switchboard/ivr/scripted"
	"sync"

	"github.com/switchboard-cc/switchboard/events"
)

// Recorder is an events.Sink that keeps every event, for assertions and
// golden traces. It is safe for concurrent use.
type Recorder struct {
	mu     sync.Mutex
	events []events.Event
	// OnEmit, when set, sees each event as it is emitted.
	OnEmit func(events.Event)
}

var _ events.Sink = (*Recorder)(nil)

func (r *Recorder) Emit(_ context.Context, e events.Event) {
	r.mu.Lock()
	r.events = append(r.events, e)
	f := r.OnEmit
	r.mu.Unlock()
	if f != nil {
		f(e)
	}
}

// Events returns the events so far.
func (r *Recorder) Events() []events.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]events.Event(nil), r.events...)
}

// Lines renders events one per line without times or call IDs, for golden
// traces: "type node key=value ..." with keys sorted. Keys listed in skip
// are left out (e.g. "duration_ms" when it is not deterministic).
func (r *Recorder) Lines(skip ...string) []string {
	var out []string
	for _, e := range r.Events() {
		out = append(out, Line(e, skip...))
	}
	return out
}

// Line is scripted.Line.
var Line = scripted.Line

// Types returns the event types in order.
func (r *Recorder) Types() []events.Type {
	var out []events.Type
	for _, e := range r.Events() {
		out = append(out, e.Type)
	}
	return out
}

// Last returns the last event of type t, if any.
func (r *Recorder) Last(t events.Type) (events.Event, bool) {
	evs := r.Events()
	for i := len(evs) - 1; i >= 0; i-- {
		if evs[i].Type == t {
			return evs[i], true
		}
	}
	return events.Event{}, false
}
