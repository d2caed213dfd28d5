package sip

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// The SIP stack logs what it cannot handle (a datagram that does not
// parse, a request without Via) at ERROR, with the message's text: anyone
// who can send UDP to the port can make the log grow by almost half of
// what they send (2,000 bad datagrams, 914 kB of log). The stack's logger
// is therefore limited: each distinct message passes logLimitBurst times
// per logLimitWindow; beyond that records are counted, and the next window
// starts with one record saying how many were left out.
const (
	logLimitWindow = 10 * time.Second
	logLimitBurst  = 10
)

// limitedHandler is a slog.Handler that rate-limits records by message.
type limitedHandler struct {
	next  slog.Handler
	now   func() time.Time
	state *limitState // shared by the handlers WithAttrs/WithGroup derive
}

type limitState struct {
	mu    sync.Mutex
	start time.Time      // the current window's start
	seen  map[string]int // records per message in this window
}

func newLimitedHandler(next slog.Handler, now func() time.Time) *limitedHandler {
	return &limitedHandler{next: next, now: now, state: &limitState{seen: map[string]int{}}}
}

func (h *limitedHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.next.Enabled(ctx, l)
}

func (h *limitedHandler) Handle(ctx context.Context, r slog.Record) error {
	now := h.now()
	st := h.state
	st.mu.Lock()
	var dropped map[string]int
	if now.Sub(st.start) >= logLimitWindow {
		for msg, n := range st.seen {
			if n > logLimitBurst {
				if dropped == nil {
					dropped = map[string]int{}
				}
				dropped[msg] = n - logLimitBurst
			}
		}
		st.start, st.seen = now, map[string]int{}
	}
	st.seen[r.Message]++
	pass := st.seen[r.Message] <= logLimitBurst
	st.mu.Unlock()

	for msg, n := range dropped {
		sum := slog.NewRecord(now, slog.LevelWarn, "sip: log records left out (too many alike)", 0)
		sum.AddAttrs(slog.String("message", msg), slog.Int("left_out", n), slog.Duration("within", logLimitWindow))
		if err := h.next.Handle(ctx, sum); err != nil {
			return err
		}
	}
	if !pass {
		return nil
	}
	return h.next.Handle(ctx, r)
}

func (h *limitedHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &limitedHandler{next: h.next.WithAttrs(as), now: h.now, state: h.state}
}

func (h *limitedHandler) WithGroup(name string) slog.Handler {
	return &limitedHandler{next: h.next.WithGroup(name), now: h.now, state: h.state}
}
