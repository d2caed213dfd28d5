package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// scrapeTimeout bounds how long one /metrics scrape waits for the sources.
const scrapeTimeout = 5 * time.Second

// liveCollector turns the same sources the wallboard reads into gauges at
// scrape time, so Prometheus and the board never disagree.
type liveCollector struct {
	s *Server

	queueWaiting  *prometheus.Desc
	queueLongest  *prometheus.Desc
	queueAgents   *prometheus.Desc
	queueSL       *prometheus.Desc
	queueAHT      *prometheus.Desc
	queueToday    *prometheus.Desc
	agentsByState *prometheus.Desc
	callsByState  *prometheus.Desc
	sourceErrors  *prometheus.Desc
}

func newLiveCollector(s *Server) *liveCollector {
	q := []string{"queue"}
	return &liveCollector{
		s:             s,
		queueWaiting:  prometheus.NewDesc("switchboard_queue_waiting_calls", "Calls waiting in the skill group now.", q, nil),
		queueLongest:  prometheus.NewDesc("switchboard_queue_longest_wait_seconds", "Wait of the longest-waiting call in the skill group now.", q, nil),
		queueAgents:   prometheus.NewDesc("switchboard_queue_agents", "Logged-in agents serving the skill group, by state.", []string{"queue", "state"}, nil),
		queueSL:       prometheus.NewDesc("switchboard_queue_service_level_ratio", "Service level today (0..1); absent before the first call that counts.", q, nil),
		queueAHT:      prometheus.NewDesc("switchboard_queue_aht_seconds", "Average handle time today; absent before the first handled call.", q, nil),
		queueToday:    prometheus.NewDesc("switchboard_queue_calls_today", "Calls today by outcome (resets at local midnight, so a gauge).", []string{"queue", "outcome"}, nil),
		agentsByState: prometheus.NewDesc("switchboard_agents", "Agents by state.", []string{"state"}, nil),
		callsByState:  prometheus.NewDesc("switchboard_calls_in_progress", "Calls in progress, by state (ivr, queued, ringing, talking, hold).", []string{"state"}, nil),
		sourceErrors:  prometheus.NewDesc("switchboard_httpapi_source_up", "1 when the source answered this scrape, 0 when it failed.", []string{"source"}, nil),
	}
}

func (c *liveCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.queueWaiting, c.queueLongest, c.queueAgents, c.queueSL, c.queueAHT, c.queueToday, c.agentsByState, c.callsByState, c.sourceErrors} {
		ch <- d
	}
}

func (c *liveCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	up := func(source string, err error) {
		v := 1.0
		if err != nil {
			v = 0
			c.s.log.Warn("httpapi: metrics source failed", "source", source, "err", err)
		}
		gauge(c.sourceErrors, v, source)
	}
	if src := c.s.deps.Queues; src != nil {
		qs, err := src.QueueStats(ctx)
		up("queues", err)
		for _, q := range qs {
			gauge(c.queueWaiting, float64(q.Waiting), q.Name)
			gauge(c.queueLongest, q.LongestWait.Seconds(), q.Name)
			// Every logged-in state is reported, zeros included, so
			// "nobody ready" is a series at 0 rather than a missing one.
			byState := map[string]int{StateReady: 0, StateNotReady: 0, StateReserved: 0, StateOnCall: 0, StateWrapUp: 0}
			for state, n := range q.Agents {
				byState[state] += n
			}
			for state, n := range byState {
				gauge(c.queueAgents, float64(n), q.Name, state)
			}
			if q.HasServiceLevel {
				gauge(c.queueSL, q.ServiceLevel, q.Name)
			}
			if q.AHT > 0 {
				gauge(c.queueAHT, q.AHT.Seconds(), q.Name)
			}
			gauge(c.queueToday, float64(q.Offered), q.Name, "offered")
			gauge(c.queueToday, float64(q.Answered), q.Name, "answered")
			gauge(c.queueToday, float64(q.Abandoned), q.Name, "abandoned")
		}
	}
	if src := c.s.deps.Agents; src != nil {
		as, err := src.ListAgents(ctx)
		up("agents", err)
		counts := map[string]int{StateLoggedOut: 0, StateNotReady: 0, StateReady: 0, StateReserved: 0, StateOnCall: 0, StateWrapUp: 0}
		for _, a := range as {
			counts[a.State]++
		}
		for state, n := range counts {
			gauge(c.agentsByState, float64(n), state)
		}
	}
	if src := c.s.deps.Calls; src != nil {
		cs, err := src.LiveCalls(ctx)
		up("calls", err)
		counts := map[string]int{}
		for _, call := range cs {
			counts[call.State]++
		}
		for state, n := range counts {
			gauge(c.callsByState, float64(n), state)
		}
	}
}

func (s *Server) initMetrics() error {
	s.registry = prometheus.NewRegistry()
	s.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "switchboard_http_requests_total",
		Help: "HTTP requests answered, by route pattern and status code.",
	}, []string{"route", "code"})
	s.streams = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "switchboard_wallboard_streams",
		Help: "Open wallboard event streams.",
	})
	own := []prometheus.Collector{
		s.requests, s.streams, newLiveCollector(s),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	}
	for _, c := range own {
		if err := s.registry.Register(c); err != nil {
			return fmt.Errorf("register metrics: %w", err)
		}
	}
	for _, c := range s.cfg.Collectors {
		if err := s.registry.Register(c); err != nil {
			var dup prometheus.AlreadyRegisteredError
			if errors.As(err, &dup) {
				continue
			}
			return fmt.Errorf("register metrics collector: %w", err)
		}
	}
	s.promHandler = promhttp.HandlerFor(s.registry, promhttp.HandlerOpts{
		ErrorLog:      slogPromLogger{s},
		ErrorHandling: promhttp.ContinueOnError,
	})
	return nil
}

func (s *Server) metrics(w http.ResponseWriter, r *http.Request) {
	s.promHandler.ServeHTTP(w, r)
}

type slogPromLogger struct{ s *Server }

func (l slogPromLogger) Println(v ...any) { l.s.log.Warn("httpapi: /metrics", "msg", fmt.Sprint(v...)) }
