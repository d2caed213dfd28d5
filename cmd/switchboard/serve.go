package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/switchboard-cc/switchboard/events"
	"github.com/switchboard-cc/switchboard/events/postgres"
	"github.com/switchboard-cc/switchboard/flows"
	"github.com/switchboard-cc/switchboard/httpapi"
	"github.com/switchboard-cc/switchboard/internal/clock"
	"github.com/switchboard-cc/switchboard/ivr"
	"github.com/switchboard-cc/switchboard/routing"
	"github.com/switchboard-cc/switchboard/routing/redisstate"
	"github.com/switchboard-cc/switchboard/sip"
	"github.com/switchboard-cc/switchboard/sip/kamailio"
)

// shutdownGrace bounds how long serve waits, once told to stop, for the
// transports to hang up and the event log to flush.
const shutdownGrace = 10 * time.Second

func runServe(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("serve", "serve [--config FILE] [--sip ADDR] [--http ADDR] [--data DIR]")
	var (
		configPath = fs.String("config", "", "config file (default: the embedded defaults)")
		sipAddr    = fs.String("sip", "", "SIP listen address, UDP and TCP (overrides sip.listen)")
		httpAddr   = fs.String("http", "", "API and wallboard listen address (overrides http.listen)")
		dataDir    = fs.String("data", "", "event store and recordings folder (overrides data)")
		logLevel   = fs.String("log-level", "info", "debug, info, warn or error")
		drainFor   = fs.Duration("drain", defaultDrain, "on SIGTERM, how long calls in progress may go on before serve stops")
		cluster    = fs.String("cluster", "", "join a cluster: redis://HOST:PORT[,postgres://…] (overrides cluster.redis and events.store; docs/cluster.md)")
	)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return fmt.Errorf("%w: --log-level %q", errUsage, *logLevel)
	}
	log := m.logger(level)

	cfg, err := loadConfig(*configPath)
	if err != nil {
		return err
	}
	if issues := cfg.checkServices(); len(issues) > 0 {
		lines := make([]string, len(issues))
		for i, is := range issues {
			lines[i] = is.format(cfg.source)
		}
		return errors.New(strings.Join(lines, "\n"))
	}
	if *sipAddr != "" {
		cfg.SIP.Listen = *sipAddr
	}
	if *httpAddr != "" {
		cfg.HTTP.Listen = *httpAddr
	}
	if *dataDir != "" {
		cfg.Data = *dataDir
	}
	if *cluster != "" {
		if err := applyClusterFlag(cfg, *cluster); err != nil {
			return err
		}
	}
	log.Info("config", "source", cfg.source, "data", cfg.Data)
	if cfg.HTTP.Token == "" {
		// Without a token every state-changing endpoint would be closed, and
		// a supervisor could not log an agent in from the wallboard: make a
		// token for this run and say it once.
		cfg.HTTP.Token = rand.Text()
		fmt.Fprintf(m.Stdout, "API token for this run (set http.token or $SWITCHBOARD_TOKEN to choose one): %s\n", cfg.HTTP.Token)
	}

	srv, err := newServer(ctx, cfg, log)
	if err != nil {
		return err
	}
	srv.drainFor = *drainFor
	return srv.run(ctx, m)
}

// defaultDrain bounds a graceful stop: most calls in a contact center end
// within a few minutes; an orchestrator's own kill timeout should be longer.
const defaultDrain = 5 * time.Minute

// drainEvery is how often a draining serve says how many calls are left.
const drainEvery = 5 * time.Second

// server is everything serve wires together, built once from the config.
type server struct {
	cfg     *Config
	unlock  func() // releases the data folder lock (datalock.go)
	log     *slog.Logger
	store   eventLog
	writer  *events.Writer
	sink    events.Sink
	live    *httpapi.CallTracker
	notify  *httpapi.Notifier
	catalog func() *flows.Catalog
	watcher *flows.Watcher // nil when the flows are embedded
	engine  *ivr.Engine
	// transports bring the calls (transports.go); sip is the native one
	// among them, which the trunk dialer and the ready message need.
	transports []namedTransport
	sip        *sip.Server
	api        *httpapi.Server
	dialer     *sip.Dialer         // callbacks on the outbound trunk; nil without one (callbacks.go)
	cluster    *redisstate.Cluster // shared state with other nodes; nil alone (cluster.go)
	phones     *kamailio.Watch     // agents' phones registered at Kamailio; nil unless cluster.registrar_rpc (cluster_phones.go)

	drainFor time.Duration // how long SIGTERM lets calls finish
}

func newServer(ctx context.Context, cfg *Config, log *slog.Logger) (_ *server, err error) {
	// s, not the result: "return nil, err" must not hide what to close.
	s := &server{cfg: cfg, log: log, live: httpapi.NewCallTracker(), notify: httpapi.NewNotifier()}
	defer func() {
		if err != nil {
			s.close(context.Background())
		}
	}()
	env, err := cfg.flowEnv()
	if err != nil {
		return nil, err
	}

	// Flows: followed on disk (hot reload), or loaded once from the binary.
	if dir := cfg.flowsDir(); dir != "" {
		s.watcher, err = flows.NewWatcher(ctx, flows.WatcherConfig{Dir: dir, Env: env, Logger: log.With("component", "flows")})
		if err != nil {
			return nil, err
		}
		s.catalog = s.watcher.Current
	} else {
		cat, err := flows.LoadDir(ctx, cfg.fsys, cfg.Flows, env)
		if err != nil {
			return nil, err
		}
		s.catalog = func() *flows.Catalog { return cat }
	}

	// The event log: every step of every call, from which metrics come.
	if err := os.MkdirAll(cfg.Data, 0o755); err != nil {
		return nil, fmt.Errorf("data folder: %w", err)
	}
	if s.unlock, err = lockDataDir(cfg.Data); err != nil {
		return nil, err
	}
	s.store, err = openEventLog(ctx, cfg.eventStore(), false)
	if err != nil {
		return nil, err
	}
	s.writer = events.NewWriter(s.store, events.WriterConfig{Logger: log.With("component", "events")})
	s.sink = stampSink{now: time.Now, next: teeSink{s.live, s.writer, s.notify}}
	if !postgres.IsURL(cfg.eventStore()) { // a cluster's shared log holds other nodes' live calls
		if _, err := closeInterruptedCalls(ctx, s.store, s.sink, time.Now(), log); err != nil {
			return nil, err
		}
	}

	callbacks := newCallbackDialing(cfg.SIP.Trunk, log.With("component", "callbacks"))
	// In a cluster the ACD claims agents in Redis and its lines are shared.
	if s.cluster, err = joinCluster(ctx, cfg, log); err != nil {
		return nil, err
	}
	if s.cluster != nil {
		// Every event passes the cluster: it mirrors the lines and the calls
		// in progress, so the node that reaps this one can end them.
		s.sink = s.cluster.Sink(s.sink)
		s.cluster.AckedBy(s.writer.Flush)
	}
	acd, err := newACD(cfg, env, clock.Real{}, s.sink, withCallbacks(callbacks.due), withClaims(s.cluster))
	if err != nil {
		return nil, err
	}
	if s.cluster != nil {
		if err := s.cluster.Start(ctx, acd); err != nil {
			return nil, fmt.Errorf("cluster: %w", err)
		}
	}
	gate, phones, err := deviceGate(cfg, acd, log)
	if err != nil {
		return nil, err
	}
	s.phones = phones
	// The transports run every call through the engine, built below once
	// it can see the events they tap.
	s.sip, s.transports, err = newTransports(cfg, transportDeps{
		handler:   func(ctx context.Context, c ivr.Call) ivr.Outcome { return s.engine.Run(ctx, c) },
		claims:    func(number string) bool { return s.engine.FlowFor(number) != nil },
		prompts:   env.Prompts,
		events:    s.sink,
		acd:       acd,
		gate:      gate,
		callbacks: callbacks,
		log:       log,
	})
	if err != nil {
		return nil, err
	}
	recordings := filepath.Join(cfg.Data, "recordings")
	if err := os.MkdirAll(recordings, 0o755); err != nil {
		return nil, fmt.Errorf("recordings folder: %w", err)
	}
	s.engine, err = ivr.New(ivr.Config{MaxSteps: cfg.Engine.MaxSteps, RecordingsDir: recordings}, ivr.Deps{
		Catalog:  s.catalog,
		Events:   engineEvents(s.sink, s.transports),
		Router:   callbacks.router(acd), // refuses callbacks without a trunk
		Lookuper: httpLookuper(cfg.Lookup),
		Prompts:  env.Prompts,
		Logger:   log.With("component", "ivr"),
	})
	if err != nil {
		return nil, err
	}

	if s.dialer, err = callbacks.attach(s.sip, acd); err != nil {
		return nil, err
	}

	reports := &apiReports{log: s.store, flush: s.writer.Flush, shortAbandon: cfg.Events.ShortAbandon}
	s.api, err = httpapi.New(httpapi.Config{Token: cfg.HTTP.Token, NotReadyReasons: notReadyReasons(cfg), SystemNotReadyReasons: systemNotReadyReasons(), PrivateReads: !loopbackAddr(cfg.HTTP.Listen), Logger: log.With("component", "http"),
		Collectors: []prometheus.Collector{statsCollector{writer: s.writer, sip: s.sip}}}, httpapi.Deps{
		Agents:  apiAgents{acd},
		Queues:  newAPIQueues(acd, reports),
		Calls:   s.live,
		Reports: reports,
		Flows:   flowReloader{s.watcher},
		Updates: s.notify,
	})
	if err != nil {
		return nil, err
	}
	acd.Subscribe(func(routing.Change) { s.notify.Notify() })
	return s, nil
}

// run serves until ctx ends, then shuts down in order: transports first,
// so no new event is produced, then the event log is flushed and closed.
func (s *server) run(ctx context.Context, m *Main) error {
	ln, err := net.Listen("tcp", s.cfg.HTTP.Listen)
	if err != nil {
		return fmt.Errorf("http listen %s: %w", s.cfg.HTTP.Listen, err)
	}
	runCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	var wg sync.WaitGroup
	errs := make(chan error, 4)
	start := func(name string, f func(context.Context) error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := f(runCtx); err != nil && !errors.Is(err, context.Canceled) {
				errs <- fmt.Errorf("%s: %w", name, err)
				cancel(err)
			}
		}()
	}
	for _, t := range s.transports {
		start(t.name, t.Serve)
	}
	if s.dialer != nil {
		start("trunk", s.dialer.Serve)
	}
	start("http", func(ctx context.Context) error { return s.api.Serve(ctx, ln) })
	if s.watcher != nil {
		start("flows", s.watcher.Run)
	}
	if s.phones != nil {
		start("registrar", s.phones.Run)
	}

	// Ready once native SIP listens; the others (ARI reaching Asterisk)
	// may come later without holding serve up.
	select {
	case <-s.sip.Ready():
	case <-runCtx.Done():
	}
	if runCtx.Err() == nil {
		addrs := Addrs{SIP: s.sip.Addr(), HTTP: ln.Addr().String()}
		s.log.Info("switchboard ready", "sip", addrs.SIP, "flows", strings.Join(flowNames(s.catalog()), ","))
		fmt.Fprintf(m.Stdout, "Switchboard is answering SIP on %s (udp+tcp)\nWallboard: http://%s/\n", addrs.SIP, addrs.HTTP)
		if m.Ready != nil {
			m.Ready(addrs)
		}
	}

	select {
	case <-runCtx.Done():
	case <-m.Drain:
		drainTransports(runCtx, s.transports, s.drainFor, s.log)
	}
	// ARI's calls stay in Stasis for the next run to re-adopt; the
	// others' end here.
	s.log.Info("shutting down", activeCalls(s.transports)...)
	cancel(nil)
	wg.Wait()
	closeCtx, done := context.WithTimeout(context.Background(), shutdownGrace)
	defer done()
	s.close(closeCtx)
	close(errs)
	return errors.Join(collect(errs)...)
}

func collect(ch <-chan error) []error {
	var out []error
	for err := range ch {
		out = append(out, err)
	}
	return out
}

// close flushes the event log and releases the store.
func (s *server) close(ctx context.Context) {
	if s.unlock != nil {
		defer s.unlock() // after the store is closed
	}
	if s.api != nil {
		s.api.Close()
	}
	if s.cluster != nil { // before the log closes: leaving hands on callbacks and may record lost calls
		if err := s.cluster.Close(ctx); err != nil {
			s.log.Error("cluster leave", "err", err)
		}
	}
	if s.writer != nil {
		if err := s.writer.Close(ctx); err != nil {
			s.log.Error("event log flush", "err", err)
		}
	}
	if s.store != nil {
		if err := s.store.Close(); err != nil {
			s.log.Error("event store close", "err", err)
		}
	}
}
