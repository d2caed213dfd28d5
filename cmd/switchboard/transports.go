package main

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/switchboard-cc/switchboard/ari"
	"github.com/switchboard-cc/switchboard/events"
	"github.com/switchboard-cc/switchboard/ivr"
	"github.com/switchboard-cc/switchboard/routing"
	"github.com/switchboard-cc/switchboard/sip"
)

// transport carries calls between one telephony system and the flow
// engine. Each is built with the engine's Run as its ivr.Handler (the one
// signature all take); serve starts, drains and counts them alike. Adding
// one (FreeSWITCH over ESL, say) is one more case in newTransports and a
// file like transport_ari.go beside it.
type transport interface {
	// Serve takes calls until ctx ends, and returns once the goroutines
	// of its calls have.
	Serve(ctx context.Context) error
	// Drain returns once stopping the process would cut off none of the
	// transport's calls (nil), or when ctx ends (its cause). Native SIP
	// refuses new calls with 503 and waits for those in progress; ARI
	// returns at once, since Asterisk keeps its callers in Stasis and the
	// next run re-adopts them.
	Drain(ctx context.Context) error
	// Active counts the calls in progress.
	Active() int
}

var (
	_ transport = (*sip.Server)(nil)
	_ transport = (*ari.Transport)(nil)
)

// engineTap is a transport that needs to see the engine's events: ARI
// remembers each call's node there, to resume it after a restart.
type engineTap interface {
	Track(next events.Sink) events.Sink
}

var _ engineTap = (*ari.Transport)(nil)

// namedTransport is a transport with the name serve logs it under.
type namedTransport struct {
	name string
	transport
}

// transportDeps is what serve hands every transport it builds.
type transportDeps struct {
	handler ivr.Handler              // the engine's Run
	claims  func(number string) bool // a flow answers the number
	prompts fs.FS
	events  events.Sink
	acd     *routing.ACD
	// gate parks agents whose phone cannot be rung; nil when the node's
	// registrar is not where phones register (cluster.registrar_rpc).
	gate      *routing.DeviceGate
	callbacks *callbackDialing
	log       *slog.Logger
}

// newTransports builds every transport the config names. Native SIP is
// always there and is returned on its own too: the trunk dialer, the
// ready message and the /metrics counters need it. The others come with
// their config section.
func newTransports(cfg *Config, deps transportDeps) (*sip.Server, []namedTransport, error) {
	native, err := newSIPTransport(cfg, deps)
	if err != nil {
		return nil, nil, err
	}
	ts := []namedTransport{{"sip", native}}
	if cfg.ARI != nil {
		t, err := newARITransport(*cfg.ARI, deps)
		if err != nil {
			return nil, nil, err
		}
		ts = append(ts, namedTransport{"ari", t})
	}
	return native, ts, nil
}

// engineEvents is the sink the engine emits to: next, seen first by every
// transport that taps the engine's events.
func engineEvents(next events.Sink, ts []namedTransport) events.Sink {
	for _, t := range ts {
		if tap, ok := t.transport.(engineTap); ok {
			next = tap.Track(next)
		}
	}
	return next
}

// activeCalls lists the calls in progress by transport, for the log:
// "sip_calls", 2, "ari_calls", 1.
func activeCalls(ts []namedTransport) []any {
	var attrs []any
	for _, t := range ts {
		attrs = append(attrs, t.name+"_calls", t.Active())
	}
	return attrs
}

// errDrainTimeUp ends a drain that outlasted --drain.
var errDrainTimeUp = errors.New("drain time is up")

// drainTransports drains every transport at once and waits, saying every
// drainEvery how many calls hold it up, until stopping cuts off no call,
// drainFor has passed, or ctx ends.
func drainTransports(ctx context.Context, ts []namedTransport, drainFor time.Duration, log *slog.Logger) {
	ctx, cancel := context.WithTimeoutCause(ctx, drainFor, errDrainTimeUp)
	defer cancel()
	draining := make([]atomic.Bool, len(ts)) // its Drain has not returned
	var wg sync.WaitGroup
	for i, t := range ts {
		draining[i].Store(true)
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer draining[i].Store(false)
			if err := t.Drain(ctx); err != nil && ctx.Err() == nil {
				log.Warn("drain", "transport", t.name, "err", err)
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	holding := func() int {
		n := 0
		for i, t := range ts {
			if draining[i].Load() {
				n += t.Active()
			}
		}
		return n
	}
	tick := time.NewTicker(drainEvery)
	defer tick.Stop()
	log.Info("draining: refusing new calls, waiting for the calls in progress", "calls", holding(), "up_to", drainFor)
	for {
		select {
		case <-done:
			log.Info("drained: no calls left")
			return
		case <-ctx.Done():
			<-done // every Drain returns once ctx ends
			if errors.Is(context.Cause(ctx), errDrainTimeUp) {
				log.Warn("drain time is up; ending the remaining calls", activeCalls(ts)...)
			}
			return
		case <-tick.C:
			log.Info("draining", "calls", holding())
		}
	}
}
