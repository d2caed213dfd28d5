package main

import (
	"context"
	"sort"
	"sync"
	"time"

	"github.com/switchboard-cc/switchboard/events"
	"github.com/switchboard-cc/switchboard/httpapi"
)

// liveCalls follows the event stream to know where every call in progress
// is, for GET /api/calls and the wallboard. It is an events.Sink placed in
// front of the store, so it sees exactly what the log records.
type liveCalls struct {
	mu    sync.Mutex
	calls map[string]*httpapi.Call
}

func newLiveCalls() *liveCalls { return &liveCalls{calls: map[string]*httpapi.Call{}} }

func (l *liveCalls) Emit(_ context.Context, e events.Event) {
	if e.CallID == "" {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	c := l.calls[e.CallID]
	if e.Type == events.CallStart {
		c = &httpapi.Call{ID: e.CallID, From: e.Data["from"], To: e.Data["to"], Flow: e.Data["flow"], State: "ivr", Started: e.Time, Since: e.Time}
		l.calls[e.CallID] = c
		return
	}
	if c == nil {
		return // a callback or an event of a call that started before us
	}
	state := c.State
	switch e.Type {
	case events.IVRNode:
		c.Node, c.NodeType = e.Node, e.Data["node_type"]
		if e.Data["flow"] != "" {
			c.Flow = e.Data["flow"]
		}
		state = "ivr"
	case events.QueueEnter:
		c.Queue, state = e.Queue, "queued"
	case events.AgentOffer:
		state = "ringing"
	case events.AgentNoAnswer:
		state = "queued"
	case events.QueueConnect:
		c.Agent, state = e.Agent, "talking"
	case events.CallHold:
		state = "hold"
	case events.CallUnhold:
		state = "talking"
	case events.QueueTimeout, events.QueueAbandon, events.QueueClosed:
		state = "ivr"
	case events.CallEnd:
		delete(l.calls, e.CallID)
		return
	}
	if state != c.State {
		c.State, c.Since = state, e.Time
	}
}

// LiveCalls implements httpapi.Calls.
func (l *liveCalls) LiveCalls(context.Context) ([]httpapi.Call, error) {
	l.mu.Lock()
	out := make([]httpapi.Call, 0, len(l.calls))
	for _, c := range l.calls {
		out = append(out, *c)
	}
	l.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Started.Before(out[j].Started) })
	return out, nil
}

// Count is how many calls are in progress.
func (l *liveCalls) Count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.calls)
}

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
