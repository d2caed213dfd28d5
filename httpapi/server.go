package httpapi

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/switchboard-cc/switchboard/internal/clock"
)

// DefaultAddr is where `switchboard serve` listens for HTTP unless --http
// says otherwise: loopback, because the API changes agent state.
const DefaultAddr = "127.0.0.1:8080"

// Defaults for the wallboard stream, named for why they are what they are.
const (
	// DefaultMinPush bounds how often one stream sends a state snapshot: a
	// burst of events during a busy second costs a few snapshots, not one
	// per event, and a person cannot read faster anyway.
	DefaultMinPush = 250 * time.Millisecond
	// DefaultHeartbeat resends the state even without changes, so a page
	// that missed something catches up and idle proxies keep the stream.
	DefaultHeartbeat = 15 * time.Second
	// DefaultChartRefresh is how often the half-hour charts are recomputed
	// for a stream: they move slowly and may cost a scan of today's log.
	DefaultChartRefresh = 30 * time.Second
	// DefaultMaxStreams caps the wallboard streams open at once: each one
	// costs a goroutine and a snapshot per change, and a few dozen boards
	// and supervisors is a large contact center. Beyond it: 503.
	DefaultMaxStreams = 64
	// DefaultStreamWriteTimeout is how long one stream event may take to
	// reach a client's socket. A client that stops reading is dropped then
	// (its browser reconnects), instead of holding a goroutine and a
	// blocked write forever; nothing is queued for it in memory.
	DefaultStreamWriteTimeout = 10 * time.Second
	// DefaultMaxReportSpan bounds a report's from..to: a quarter (92 days)
	// covers every regular report, and the work and memory of one request
	// stay bounded (an agent's logged-in time is kept per half-hour).
	DefaultMaxReportSpan = 92 * 24 * time.Hour
	// shutdownGrace is how long Serve lets requests finish after ctx ends.
	shutdownGrace = 5 * time.Second
	// maxBodyBytes caps request bodies; every body here is a few fields.
	maxBodyBytes = 64 << 10
	// maxHeaderBytes caps a request's headers (net/http's default is 1 MB):
	// a browser's headers, with a token and cookies, are a few kB.
	maxHeaderBytes = 64 << 10
	// DefaultBodyReadTimeout is how long a request body may take to
	// arrive once the handler reads it. The bodies are a few fields, sent
	// at once; ReadHeaderTimeout covers only the headers, and a server-wide
	// ReadTimeout would also cut the event stream.
	DefaultBodyReadTimeout = 10 * time.Second
)

// DefaultNotReadyReasons are offered on the wallboard when the host gives
// none: the common codes every ACD configuration accepts.
var DefaultNotReadyReasons = []string{"break", "lunch", "training", "meeting", "other"}

// DefaultSystemNotReadyReasons are the not-ready codes only the system
// sets: "login" (an agent just logged in), "no_answer" (missed offers, set
// by the ACD) and "phone_unavailable" (routing.ReasonPhoneUnavailable: the
// registrar's device gate, which readies the agent again when the phone
// returns). Nobody may choose them through the API, and the wallboard does
// not offer them.
var DefaultSystemNotReadyReasons = []string{"login", "no_answer", "phone_unavailable"}

// Config is httpapi's own configuration.
type Config struct {
	// Token guards every state-changing endpoint (Authorization: Bearer).
	// Empty disables those endpoints (403) rather than leaving them open.
	Token string
	// Clock gives "now" for time-in-state and paces the stream; clock.Real
	// when nil.
	Clock clock.Clock
	// Location is the time zone of "today" for reports and charts; time.Local
	// when nil.
	Location *time.Location
	Logger   *slog.Logger // slog.Default() when nil

	MinPush      time.Duration // DefaultMinPush when 0
	Heartbeat    time.Duration // DefaultHeartbeat when 0
	ChartRefresh time.Duration // DefaultChartRefresh when 0

	MaxStreams      int           // DefaultMaxStreams when 0
	BodyReadTimeout time.Duration // DefaultBodyReadTimeout when 0

	// MaxConnsPerSource and MaxConns cap Serve's open connections from
	// one non-loopback address and in all (connlimit.go);
	// DefaultMaxConnsPerSource and DefaultMaxConns when 0.
	MaxConnsPerSource  int
	MaxConns           int
	StreamWriteTimeout time.Duration // DefaultStreamWriteTimeout when 0

	// NotReadyReasons are the reason codes the wallboard offers a supervisor
	// for not-ready (the ACD's accepted codes); DefaultNotReadyReasons when
	// empty. The ACD still decides: an unknown code is a 400.
	NotReadyReasons []string
	// SystemNotReadyReasons are codes only the system sets (the ACD after
	// missed offers, the registrar when a phone goes away); the API refuses
	// them with 400 and they are never offered. DefaultSystemNotReadyReasons
	// when empty.
	SystemNotReadyReasons []string

	// PrivateReads makes the endpoints that show call data — reports, live
	// calls and the event stream — need the bearer token too. serve sets it
	// when the HTTP address is not loopback; on loopback they stay open.
	// The event stream also takes the token as ?access_token= (RFC 6750
	// §2.3), since a browser's EventSource cannot send headers.
	PrivateReads bool

	// MaxReportSpan bounds from..to of a report or logged staffing query:
	// DefaultMaxReportSpan when 0.
	MaxReportSpan time.Duration

	// Collectors are extra Prometheus collectors served at /metrics (the
	// event store's, the SIP stack's). A collector already registered is
	// skipped.
	Collectors []prometheus.Collector
}

// Deps are the sources behind the endpoints. A nil dependency makes its
// endpoints answer 503 "not available", so a partial server still runs.
type Deps struct {
	Agents  Agents
	Queues  Queues
	Calls   Calls
	Reports Reports
	Flows   FlowReloader
	Updates Updates
}

// Server is the HTTP API, the wallboard and /metrics. It is an http.Handler.
type Server struct {
	cfg       Config
	deps      Deps
	log       *slog.Logger
	clock     clock.Clock
	loc       *time.Location
	tokenHash []byte // sha256 of the token; nil when none is configured

	mux         *http.ServeMux
	local       *Notifier // changes made through this API
	registry    *prometheus.Registry
	requests    *prometheus.CounterVec
	streams     prometheus.Gauge
	promHandler http.Handler
	streamSlots chan struct{} // one token per open stream, MaxStreams at most

	done chan struct{} // closed by Close: ends every stream
}

// New builds the server. It fails only when a collector cannot be
// registered for /metrics.
func New(cfg Config, deps Deps) (*Server, error) {
	if cfg.Clock == nil {
		cfg.Clock = clock.Real{}
	}
	if cfg.Location == nil {
		cfg.Location = time.Local
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.MinPush <= 0 {
		cfg.MinPush = DefaultMinPush
	}
	if cfg.Heartbeat <= 0 {
		cfg.Heartbeat = DefaultHeartbeat
	}
	if cfg.ChartRefresh <= 0 {
		cfg.ChartRefresh = DefaultChartRefresh
	}
	if cfg.MaxStreams <= 0 {
		cfg.MaxStreams = DefaultMaxStreams
	}
	if cfg.StreamWriteTimeout <= 0 {
		cfg.StreamWriteTimeout = DefaultStreamWriteTimeout
	}
	if cfg.MaxConnsPerSource <= 0 {
		cfg.MaxConnsPerSource = DefaultMaxConnsPerSource
	}
	if cfg.MaxConns <= 0 {
		cfg.MaxConns = DefaultMaxConns
	}
	if cfg.BodyReadTimeout <= 0 {
		cfg.BodyReadTimeout = DefaultBodyReadTimeout
	}
	if cfg.MaxReportSpan <= 0 {
		cfg.MaxReportSpan = DefaultMaxReportSpan
	}
	if len(cfg.NotReadyReasons) == 0 {
		cfg.NotReadyReasons = DefaultNotReadyReasons
	}
	if len(cfg.SystemNotReadyReasons) == 0 {
		cfg.SystemNotReadyReasons = DefaultSystemNotReadyReasons
	}
	cfg.NotReadyReasons = offeredReasons(cfg.NotReadyReasons, cfg.SystemNotReadyReasons)
	s := &Server{
		cfg:   cfg,
		deps:  deps,
		log:   cfg.Logger,
		clock: cfg.Clock,
		loc:   cfg.Location,
		mux:   http.NewServeMux(),
		local: NewNotifier(),
		done:  make(chan struct{}),

		streamSlots: make(chan struct{}, cfg.MaxStreams),
	}
	if cfg.Token != "" {
		sum := sha256.Sum256([]byte(cfg.Token))
		s.tokenHash = sum[:]
	} else {
		s.log.Warn("httpapi: no API token configured; state-changing endpoints are disabled")
	}
	if err := s.initMetrics(); err != nil {
		return nil, err
	}
	for _, rt := range s.routes() {
		h := http.Handler(rt.handler)
		if rt.auth || (rt.private && cfg.PrivateReads) {
			h = s.requireToken(h, rt.path == "/api/events/stream")
		}
		s.mux.Handle(rt.method+" "+rt.path, h)
	}
	return s, nil
}

// ServeHTTP routes the request. Requests no route matches get a JSON 404 or
// 405 (with Allow) instead of the mux's plain-text answer.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_, pattern := s.mux.Handler(r)
	rec := &statusWriter{ResponseWriter: w}
	if pattern == "" {
		s.serveUnmatched(rec, r)
		pattern = "unmatched"
	} else {
		s.mux.ServeHTTP(rec, r)
	}
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	s.requests.WithLabelValues(pattern, fmt.Sprint(rec.status)).Inc()
}

// serveUnmatched lets the mux decide (404, 405, or a redirect to a cleaned
// path) and rewrites its plain-text errors as JSON.
func (s *Server) serveUnmatched(w http.ResponseWriter, r *http.Request) {
	h, _ := s.mux.Handler(r)
	capture := &captureWriter{header: http.Header{}}
	h.ServeHTTP(capture, r)
	switch capture.status {
	case http.StatusNotFound:
		writeError(w, http.StatusNotFound, "no such endpoint: %s %s (see /openapi.json)", r.Method, r.URL.Path)
	case http.StatusMethodNotAllowed:
		allow := capture.header.Get("Allow")
		w.Header().Set("Allow", allow)
		writeError(w, http.StatusMethodNotAllowed, "method %s not allowed on %s; allowed: %s", r.Method, r.URL.Path, allow)
	default:
		for k, v := range capture.header {
			w.Header()[k] = v
		}
		w.WriteHeader(capture.status)
		w.Write(capture.body)
	}
}

// Serve answers requests on ln until ctx ends, then shuts down gracefully:
// streams end at once (they run on ctx), other requests get shutdownGrace.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    maxHeaderBytes,
		BaseContext:       func(net.Listener) context.Context { return ctx },
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownGrace)
		defer cancel()
		if err := srv.Shutdown(sctx); err != nil {
			s.log.Warn("httpapi: shutdown", "err", err)
		}
	}()
	err := srv.Serve(newLimitedListener(ln, s.cfg.MaxConnsPerSource, s.cfg.MaxConns, s.log))
	if errors.Is(err, http.ErrServerClosed) {
		<-stopped
		return nil
	}
	return fmt.Errorf("serve http %s: %w", ln.Addr(), err)
}

// Close ends every open wallboard stream (for hosts that serve the Handler
// themselves, such as httptest.Server, whose Close waits for open requests).
func (s *Server) Close() {
	select {
	case <-s.done:
	default:
		close(s.done)
	}
}

// Registry is the Prometheus registry behind /metrics, for hosts that want
// to add collectors after New.
func (s *Server) Registry() *prometheus.Registry { return s.registry }

// statusWriter remembers the status for the request counter. Unwrap lets
// http.ResponseController reach Flush on the real writer (the stream).
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(p)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// captureWriter records a response in memory (the mux's fallback answers).
type captureWriter struct {
	header http.Header
	status int
	body   []byte
}

func (c *captureWriter) Header() http.Header { return c.header }
func (c *captureWriter) WriteHeader(code int) {
	if c.status == 0 {
		c.status = code
	}
}
func (c *captureWriter) Write(p []byte) (int, error) {
	if c.status == 0 {
		c.status = http.StatusOK
	}
	c.body = append(c.body, p...)
	return len(p), nil
}

var _ io.Writer = (*captureWriter)(nil)

// offeredReasons is reasons in order, each once, without the system's own
// codes: what a person may pick.
func offeredReasons(reasons, system []string) []string {
	out := make([]string, 0, len(reasons))
	for _, r := range reasons {
		if r != "" && !contains(out, r) && !contains(system, r) {
			out = append(out, r)
		}
	}
	return out
}
