package main

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"time"

	"github.com/switchboard-cc/switchboard/events"
)

// interruptedWindow is how far back serve looks at start for calls the
// previous run left open: no call lasts days, so a call started before
// that and never ended belongs to a run that stopped long ago and is left
// as it is (say so in the docs rather than read the whole log each start).
const interruptedWindow = 7 * 24 * time.Hour

// closeInterruptedCalls ends, in the log, the calls a previous run left
// open (it was killed, or the machine died): without a call.end they would
// count as in progress in every report for ever. Each gets call.end with
// by=system reason=restart, stamped at its last event (the crash came
// after it, and downtime is not talk time); metrics then close its queue
// visit and agent segment as they do for any call.end.
//
// Calls on the ARI transport are left open: they live in Asterisk, which
// keeps them through our restart, and the ARI transport re-adopts them.
// Only a log of this node's own (the data folder's SQLite) is closed: in a
// cluster's shared log other nodes' calls are open for good reason.
func closeInterruptedCalls(ctx context.Context, log events.Reader, sink events.Sink, now time.Time, lg *slog.Logger) (int, error) {
	type open struct {
		last      time.Time
		node      string
		transport string
	}
	calls := map[string]*open{}
	err := log.Scan(ctx, now.Add(-interruptedWindow), time.Time{}, func(e events.Event) error {
		if e.CallID == "" {
			return nil
		}
		switch e.Type {
		case events.CallStart:
			calls[e.CallID] = &open{last: e.Time, transport: e.Data["transport"]}
		case events.CallEnd:
			delete(calls, e.CallID)
		default:
			if c := calls[e.CallID]; c != nil {
				c.last = e.Time
				if e.Node != "" {
					c.node = e.Node
				}
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("close interrupted calls: %w", err)
	}
	ids := make([]string, 0, len(calls))
	for id, c := range calls {
		if c.transport != "ari" {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	for _, id := range ids {
		c := calls[id]
		sink.Emit(ctx, events.Event{Time: c.last, CallID: id, Type: events.CallEnd, Node: c.node,
			Data: map[string]string{"by": "system", "reason": "restart", "result": "failed",
				"closed_at": now.UTC().Format(time.RFC3339)}})
	}
	if len(ids) > 0 {
		lg.Warn("calls left open by the previous run closed in the log", "calls", len(ids), "reason", "restart")
	}
	return len(ids), nil
}
