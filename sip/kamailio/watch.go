package kamailio

import (
	"context"
	"log/slog"
	"time"

	"github.com/switchboard-cc/switchboard/internal/clock"
)

// DefaultPoll is how often Watch reads the location table by default: the
// bound on how long an agent whose phone went away may still be offered a
// call (which then counts as unreachable).
const DefaultPoll = time.Second

// Watch follows the location table and reports agents' availability.
type Watch struct {
	Location *Location
	// Agents lists the agents to report on (the roster).
	Agents func() []string
	// OnAvailability is told, after every successful poll, each agent's
	// availability (level, not edge: it is called for every agent every
	// time); reason is "registered" or "not_registered".
	OnAvailability func(agentID string, available bool, reason string)
	// Poll is the period (default DefaultPoll).
	Poll  time.Duration
	Clock clock.Clock  // default clock.Real
	Log   *slog.Logger // may be nil

	known   map[string]bool // last reported availability, for the log
	failing bool            // the last poll failed (logged once per outage)
}

// Run polls until ctx ends; it returns ctx's error only. An outage of
// Kamailio's RPC leaves every agent as last known.
func (w *Watch) Run(ctx context.Context) error {
	clk := w.Clock
	if clk == nil {
		clk = clock.Real{}
	}
	poll := w.Poll
	if poll <= 0 {
		poll = DefaultPoll
	}
	for {
		w.Once(ctx)
		if err := clock.Sleep(ctx, clk, poll); err != nil {
			return err
		}
	}
}

// Once polls one time and reports; false when Kamailio could not be read.
func (w *Watch) Once(ctx context.Context) bool {
	log := w.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	reg, err := w.Location.Registered(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return false
		}
		if !w.failing {
			log.Warn("registrar rpc unreachable: agents' phone availability kept as last known", "err", err)
		}
		w.failing = true
		return false
	}
	if w.failing {
		log.Info("registrar rpc reachable again")
		w.failing = false
	}
	first := w.known == nil
	if first {
		w.known = map[string]bool{}
	}
	agents := w.Agents()
	if first { // one line at start, not one per agent
		n := 0
		for _, id := range agents {
			if reg[id] {
				n++
			}
		}
		log.Info("registrar read: agents with a phone registered", "registered", n, "agents", len(agents))
	}
	for _, id := range agents {
		available, reason := reg[id], "not_registered"
		if available {
			reason = "registered"
		}
		if was, ok := w.known[id]; !first && (!ok || was != available) {
			if available {
				log.Info("agent device available", "agent", id, "reason", reason)
			} else {
				log.Info("agent device unavailable", "agent", id, "reason", reason)
			}
		}
		w.known[id] = available
		w.OnAvailability(id, available, reason)
	}
	return true
}
