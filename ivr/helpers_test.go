package ivr_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/flows"
	"github.com/switchboard-cc/switchboard/hours"
	"github.com/switchboard-cc/switchboard/internal/clock"
	"github.com/switchboard-cc/switchboard/ivr"
	"github.com/switchboard-cc/switchboard/ivr/ivrtest"
	"github.com/switchboard-cc/switchboard/routing"
)

// Monday 2026-11-23 10:00 in Shanghai: the office is open.
var mondayMorning = time.Date(2026, 11, 23, 10, 0, 0, 0, shanghai())

func shanghai() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		panic(err)
	}
	return loc
}

// office is the heating hotline's calendar: Mon-Fri 08-18, Sat 09-17, with
// National Day as a holiday.
func office(t testing.TB) *hours.Calendar {
	t.Helper()
	weekday := []hours.Range{{Start: 8 * 3600, End: 18 * 3600}}
	cal, err := hours.New(hours.Spec{
		Name:     "office",
		Location: shanghai(),
		Weekly: map[time.Weekday][]hours.Range{
			time.Monday: weekday, time.Tuesday: weekday, time.Wednesday: weekday,
			time.Thursday: weekday, time.Friday: weekday,
			time.Saturday: {{Start: 9 * 3600, End: 17 * 3600}},
		},
		Holidays: []hours.Holiday{{Date: hours.Date{Year: 2026, Month: time.October, Day: 1}, Name: "National Day"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return cal
}

type lookupFunc func(ctx context.Context, req ivr.LookupRequest) (map[string]string, error)

func (f lookupFunc) Lookup(ctx context.Context, req ivr.LookupRequest) (map[string]string, error) {
	return f(ctx, req)
}

// world is everything one engine test runs in.
type world struct {
	at       time.Time
	catalog  *flows.Catalog
	script   []ivrtest.Step
	agents   map[string]ivrtest.Agent
	groups   map[string]ivrtest.Queue
	lookup   ivr.Lookuper
	transfer error
	maxSteps int
	resume   string // the call is a re-adopted one resuming at this node
	wrap     func(ivr.Call) ivr.Call
	to       string
	id       string
	onCall   func(*ivrtest.Call)
	log      *slog.Logger
}

type result struct {
	out    ivr.Outcome
	call   *ivrtest.Call
	events *ivrtest.Recorder
	router *ivrtest.Router
}

// run runs one call through the engine on a virtual clock that moves on
// whenever everything waits.
func (w world) run(t *testing.T) result {
	t.Helper()
	at := w.at
	if at.IsZero() {
		at = mondayMorning
	}
	clk := clock.NewVirtual(at)
	rec := &ivrtest.Recorder{}
	router := &ivrtest.Router{Clock: clk, Groups: w.groups}
	eng, err := ivr.New(ivr.Config{MaxSteps: w.maxSteps, RecordingsDir: "/rec"}, ivr.Deps{
		Catalog:  func() *flows.Catalog { return w.catalog },
		Clock:    clk,
		Events:   rec,
		Router:   router,
		Lookuper: w.lookup,
		Logger:   w.log,
	})
	if err != nil {
		t.Fatal(err)
	}
	to := w.to
	if to == "" {
		to = "100"
	}
	id := w.id
	if id == "" {
		id = "c1"
	}
	call := ivrtest.NewCall(ivrtest.Config{ID: id, From: "5551234", To: to, Clock: clk, Script: w.script, Agents: w.agents, TransferErr: w.transfer})
	if w.onCall != nil {
		w.onCall(call)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	// The clock jumps once everything has been quiet this long. It must
	// outlast a goroutine hand-off (the queue's music goroutine, the fake
	// ACD's timers) even under -race on a busy machine, or time would run
	// ahead of a timer not yet set.
	go clk.AutoAdvance(ctx, quietTime)
	var c ivr.Call = call
	if w.resume != "" {
		c = resumingCall{call, w.resume}
	}
	if w.wrap != nil {
		c = w.wrap(c)
	}
	out := eng.Run(ctx, c)
	if ctx.Err() != nil {
		t.Fatalf("run did not finish: %v", ctx.Err())
	}
	return result{out: out, call: call, events: rec, router: router}
}

const quietTime = 5 * time.Millisecond

// resumingCall is a call a transport re-adopted after a restart.
type resumingCall struct {
	*ivrtest.Call
	node string
}

func (c resumingCall) ResumeNode() (string, bool) { return c.node, true }

func input(keys string) ivrtest.Step { return ivrtest.Step{Keys: keys} }

// acdWorld is a call through a flow with the real ACD (package routing) in
// the engine's place for queues, both on one virtual clock at mondayMorning
// and recording into one Recorder.
type acdWorld struct {
	clk *clock.Virtual
	rec *ivrtest.Recorder
	acd *routing.ACD
	eng *ivr.Engine
}

// newACDWorld builds the ACD from cfg and an engine that runs flow.
func newACDWorld(t *testing.T, cfg routing.Config, flow *flows.Flow) acdWorld {
	t.Helper()
	w := acdWorld{clk: clock.NewVirtual(mondayMorning), rec: &ivrtest.Recorder{}}
	acd, err := routing.New(cfg, routing.Options{Clock: w.clk, Events: w.rec})
	if err != nil {
		t.Fatal(err)
	}
	w.acd = acd
	w.eng, err = ivr.New(ivr.Config{}, ivr.Deps{
		Catalog: func() *flows.Catalog { return ivrtest.Catalog(flow) },
		Clock:   w.clk, Events: w.rec, Router: acdRouter{acd},
	})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// call is the caller 5551234 dialling 100, with these agents' phones.
func (w acdWorld) call(agents map[string]ivrtest.Agent) *ivrtest.Call {
	return ivrtest.NewCall(ivrtest.Config{ID: "c1", From: "5551234", To: "100", Clock: w.clk, Agents: agents})
}

// runToBye runs call to its end and fails t unless it completed at the
// node bye.
func (w acdWorld) runToBye(t *testing.T, call *ivrtest.Call) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	go w.clk.AutoAdvance(ctx, quietTime)
	out := w.eng.Run(ctx, call)
	if out.Result != ivr.Completed || out.LastNode != "bye" {
		t.Fatalf("outcome %+v; want completed at bye\ntrace:\n  %s", out, strings.Join(call.TraceLines(), "\n  "))
	}
}
