package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/switchboard-cc/switchboard/internal/clock"
)

// boardState is the "state" event of the wallboard stream: everything that
// moves second by second. Errors name the sources that failed this time;
// their parts are null and the page keeps what it showed before.
type boardState struct {
	Now    time.Time   `json:"now"`
	Agents []agentView `json:"agents"`
	Queues []queueView `json:"queues"`
	Calls  []callView  `json:"calls"`
	Errors []string    `json:"errors,omitempty"`
}

// boardConfig is the "config" event, sent once per connection: what the
// page needs to offer the supervisor's actions.
type boardConfig struct {
	NotReadyReasons []string `json:"not_ready_reasons"`
	// ActionsEnabled is false when the server has no token: the page then
	// hides the supervisor's buttons instead of failing on each one.
	ActionsEnabled bool `json:"actions_enabled"`
}

// boardCharts is the "intervals" event: today's half-hours.
type boardCharts struct {
	Date      string         `json:"date"`
	DayStart  time.Time      `json:"day_start"` // slot 0 of the charts (server's midnight)
	Intervals []intervalView `json:"intervals"`
	Error     string         `json:"error,omitempty"`
}

func (s *Server) snapshot(ctx context.Context) boardState {
	st := boardState{Now: stamp(s.clock.Now())}
	if s.deps.Agents != nil {
		if as, err := s.deps.Agents.ListAgents(ctx); err != nil {
			st.Errors = append(st.Errors, fmt.Sprintf("agents: %v", err))
		} else {
			st.Agents = agentViews(as, st.Now)
		}
	}
	if s.deps.Queues != nil {
		if qs, err := s.deps.Queues.QueueStats(ctx); err != nil {
			st.Errors = append(st.Errors, fmt.Sprintf("queues: %v", err))
		} else {
			st.Queues = queueViews(qs)
		}
	}
	if s.deps.Calls != nil {
		if cs, err := s.deps.Calls.LiveCalls(ctx); err != nil {
			st.Errors = append(st.Errors, fmt.Sprintf("calls: %v", err))
		} else {
			st.Calls = callViews(cs, st.Now)
		}
	}
	return st
}

func (s *Server) charts(ctx context.Context) boardCharts {
	from, to := s.today()
	c := boardCharts{Date: from.Format(time.DateOnly), DayStart: from.UTC(), Intervals: []intervalView{}}
	if s.deps.Reports == nil {
		return c
	}
	is, err := s.deps.Reports.Intervals(ctx, from, to)
	if err != nil {
		c.Error = err.Error()
		return c
	}
	c.Intervals = intervalViews(is)
	return c
}

// stream is GET /api/events/stream: server-sent events for the wallboard.
// It sends "config" once, "state" at once, again after every change (at most once per
// MinPush) and at least every Heartbeat; "intervals" at once and every
// ChartRefresh. It ends when the client goes, the server's context ends, or
// Close is called. At most MaxStreams run at once (503 beyond), and a client
// that does not take an event within StreamWriteTimeout is dropped.
func (s *Server) stream(w http.ResponseWriter, r *http.Request) {
	select {
	case s.streamSlots <- struct{}{}:
		defer func() { <-s.streamSlots }()
	default:
		w.Header().Set("Retry-After", "30")
		writeError(w, http.StatusServiceUnavailable, "too many event streams open (%d); try again later", s.cfg.MaxStreams)
		return
	}
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	w.WriteHeader(http.StatusOK)
	ctx := r.Context()

	var changed <-chan struct{}
	if s.deps.Updates != nil {
		ch, cancel := s.deps.Updates.Subscribe()
		defer cancel()
		changed = ch
	}
	local, cancelLocal := s.local.Subscribe()
	defer cancelLocal()
	s.streams.Inc()
	defer s.streams.Dec()

	send := func(event string, v any) bool {
		data, err := json.Marshal(v)
		if err != nil {
			s.log.Error("httpapi: encode stream event", "event", event, "err", err)
			return true
		}
		// The deadline is of the socket, so real time, whatever the clock.
		if err := rc.SetWriteDeadline(time.Now().Add(s.cfg.StreamWriteTimeout)); err != nil && !errors.Is(err, http.ErrNotSupported) {
			return false
		}
		if _, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", event, data); err != nil {
			return false
		}
		if err := rc.Flush(); err != nil {
			s.log.Info("httpapi: stream client dropped", "remote", r.RemoteAddr, "event", event, "err", err)
			return false
		}
		return true
	}
	// retry: how long the browser waits before reconnecting after a drop.
	if err := rc.SetWriteDeadline(time.Now().Add(s.cfg.StreamWriteTimeout)); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return
	}
	if _, err := fmt.Fprint(w, "retry: 2000\n\n"); err != nil {
		return
	}
	cfg := boardConfig{NotReadyReasons: s.cfg.NotReadyReasons, ActionsEnabled: s.tokenHash != nil}
	if !send("config", cfg) || !send("state", s.snapshot(ctx)) || !send("intervals", s.charts(ctx)) {
		return
	}
	lastPush := s.clock.Now()
	heartbeat := s.clock.NewTimer(s.cfg.Heartbeat)
	defer func() { heartbeat.Stop() }()
	charts := s.clock.NewTimer(s.cfg.ChartRefresh)
	defer func() { charts.Stop() }()
	var pending clock.Timer // armed while a change waits for MinPush to pass
	var pendingC <-chan time.Time
	defer func() {
		if pending != nil {
			pending.Stop()
		}
	}()

	pushState := func() bool {
		lastPush = s.clock.Now()
		heartbeat.Stop()
		heartbeat = s.clock.NewTimer(s.cfg.Heartbeat)
		return send("state", s.snapshot(ctx))
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.done:
			return
		case <-changed:
		case <-local:
		case <-pendingC:
			pending, pendingC = nil, nil
			if !pushState() {
				return
			}
			continue
		case <-heartbeat.C():
			if !pushState() {
				return
			}
			continue
		case <-charts.C():
			charts = s.clock.NewTimer(s.cfg.ChartRefresh)
			if !send("intervals", s.charts(ctx)) {
				return
			}
			continue
		}
		// A change: push now, or once MinPush has passed since the last push.
		if pending != nil {
			continue // already scheduled; that push will show this change too
		}
		wait := s.cfg.MinPush - s.clock.Now().Sub(lastPush)
		if wait <= 0 {
			if !pushState() {
				return
			}
			continue
		}
		pending = s.clock.NewTimer(wait)
		pendingC = pending.C()
	}
}
