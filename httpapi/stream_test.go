package httpapi

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

type sseEvent struct {
	name string
	data string
}

// openStream connects to the wallboard stream and delivers its events. The
// stream is ready for changes once the server waits on its two timers.
func openStream(t *testing.T, e *env) <-chan sseEvent {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, "GET", e.hs.URL+"/api/events/stream", nil)
	res, err := e.hs.Client().Do(req)
	if err != nil {
		t.Fatalf("open stream: %v", err)
	}
	if ct := res.Header.Get("Content-Type"); ct != "text/event-stream" || res.StatusCode != 200 {
		t.Fatalf("stream answered %d %q", res.StatusCode, ct)
	}
	out := make(chan sseEvent, 16)
	go func() {
		defer res.Body.Close()
		defer close(out)
		sc := bufio.NewScanner(res.Body)
		sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if ev.name != "" {
					out <- ev
				}
				ev = sseEvent{}
			case strings.HasPrefix(line, "event: "):
				ev.name = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				ev.data += strings.TrimPrefix(line, "data: ")
			}
		}
	}()
	return out
}

func nextEvent(t *testing.T, events <-chan sseEvent, want string) sseEvent {
	t.Helper()
	select {
	case ev, ok := <-events:
		if !ok {
			t.Fatalf("stream ended; want %q event", want)
		}
		if ev.name != want {
			t.Fatalf("event %q (%s); want %q", ev.name, ev.data, want)
		}
		checkEventSchema(t, ev)
		return ev
	case <-time.After(5 * time.Second):
		t.Fatalf("no %q event within 5 s", want)
	}
	return sseEvent{}
}

// checkEventSchema validates an event's data against the schema
// openapi.json names for it.
func checkEventSchema(t *testing.T, ev sseEvent) {
	t.Helper()
	schema := map[string]string{"config": "BoardConfig", "state": "BoardState", "intervals": "BoardCharts"}[ev.name]
	if schema == "" {
		t.Fatalf("event %q is not documented in openapi.json", ev.name)
	}
	_, c := loadOpenAPI(t)
	sch, err := c.Compile(openAPIURL + "#/components/schemas/" + schema)
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(strings.NewReader(ev.data))
	if err != nil {
		t.Fatalf("event %q data is not JSON: %v", ev.name, err)
	}
	if err := sch.Validate(inst); err != nil {
		t.Fatalf("event %q does not match %s:\n%v\ndata: %s", ev.name, schema, err, ev.data)
	}
}

func noEventYet(t *testing.T, events <-chan sseEvent) {
	t.Helper()
	select {
	case ev := <-events:
		t.Fatalf("unexpected %q event before its time: %s", ev.name, ev.data)
	default:
	}
}

func decodeState(t *testing.T, ev sseEvent) boardState {
	t.Helper()
	var st boardState
	if err := json.Unmarshal([]byte(ev.data), &st); err != nil {
		t.Fatalf("state event: %v: %s", err, ev.data)
	}
	return st
}

func waitTimers(t *testing.T, e *env, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := e.clock.BlockUntil(ctx, n); err != nil {
		t.Fatalf("stream never waited on %d timers (has %d): %v", n, e.clock.Pending(), err)
	}
}

func agentState(st boardState, id string) string {
	for _, a := range st.Agents {
		if a.ID == id {
			return a.State
		}
	}
	return "absent"
}

func TestStreamPushesChangesThrottled(t *testing.T) {
	e := newEnv(t)
	events := openStream(t, e)

	var cfg boardConfig
	if err := json.Unmarshal([]byte(nextEvent(t, events, "config").data), &cfg); err != nil {
		t.Fatal(err)
	}
	if !cfg.ActionsEnabled || strings.Join(cfg.NotReadyReasons, ",") != strings.Join(DefaultNotReadyReasons, ",") {
		t.Errorf("config = %+v; want actions enabled and the default reasons", cfg)
	}
	st := decodeState(t, nextEvent(t, events, "state"))
	if len(st.Agents) != 3 || len(st.Queues) != 2 || len(st.Calls) != 1 || !st.Now.Equal(testStart) {
		t.Fatalf("first state = %+v; want 3 agents, 2 queues, 1 call at the start time", st)
	}
	var charts boardCharts
	if err := json.Unmarshal([]byte(nextEvent(t, events, "intervals").data), &charts); err != nil {
		t.Fatal(err)
	}
	if charts.Date != "2026-11-23" || !charts.DayStart.Equal(time.Date(2026, 11, 23, 0, 0, 0, 0, testZone)) || len(charts.Intervals) != 7 {
		t.Fatalf("charts = date %s start %s, %d intervals; want today, 7", charts.Date, charts.DayStart, len(charts.Intervals))
	}
	waitTimers(t, e, 2) // heartbeat and chart refresh: the stream is listening

	// A change made through the API within MinPush of the last push waits
	// for MinPush, then arrives in one snapshot.
	if res := e.post("/api/agents/1001/login", ""); res.status != 200 {
		t.Fatalf("login = %d %s", res.status, res.body)
	}
	waitTimers(t, e, 3) // the throttle timer
	noEventYet(t, events)
	e.clock.Advance(DefaultMinPush)
	st = decodeState(t, nextEvent(t, events, "state"))
	if got := agentState(st, "1001"); got != StateNotReady {
		t.Errorf("after login agent 1001 is %s; want not_ready", got)
	}

	// Changes from the dependencies' own notifier (the event log) too; a
	// burst of them is one snapshot showing all.
	e.clock.Advance(time.Second)
	e.center.enqueue("c-1", "+8613800000001", "billing")
	e.center.enqueue("c-2", "+8613800000002", "billing")
	e.center.enqueue("c-3", "+8613800000003", "billing")
	// Over MinPush since the last push, so the first of them goes out at
	// once; a signal left over from the login may add one more snapshot, so
	// wait for the one that shows all three, moving the clock on if the
	// stream waits on it.
	st = awaitState(t, e, events, func(st boardState) bool { return billingWaiting(st) == 3 })
	if got := agentState(st, "1001"); got != StateNotReady {
		t.Errorf("agent 1001 = %s in the later snapshot; want not_ready", got)
	}
}

func billingWaiting(st boardState) int {
	for _, q := range st.Queues {
		if q.Name == "billing" {
			return q.Waiting
		}
	}
	return -1
}

// awaitState reads state events until one satisfies ok. When the stream is
// quiet it advances the virtual clock by MinPush, as a throttled push may be
// waiting on it.
func awaitState(t *testing.T, e *env, events <-chan sseEvent, ok func(boardState) bool) boardState {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case ev, open := <-events:
			if !open {
				t.Fatalf("stream ended")
			}
			if ev.name != "state" {
				continue
			}
			checkEventSchema(t, ev)
			if st := decodeState(t, ev); ok(st) {
				return st
			}
		case <-time.After(20 * time.Millisecond):
			e.clock.Advance(DefaultMinPush)
		case <-deadline:
			t.Fatalf("no matching state within 5 s")
		}
	}
}

func TestStreamHeartbeatAndChartRefresh(t *testing.T) {
	e := newEnv(t)
	events := openStream(t, e)
	nextEvent(t, events, "config")
	nextEvent(t, events, "state")
	nextEvent(t, events, "intervals")
	waitTimers(t, e, 2)

	e.clock.Advance(DefaultHeartbeat)
	st := decodeState(t, nextEvent(t, events, "state"))
	if !st.Now.Equal(testStart.Add(DefaultHeartbeat)) {
		t.Errorf("heartbeat state at %s; want %s", st.Now, testStart.Add(DefaultHeartbeat))
	}
	waitTimers(t, e, 2)
	e.clock.Advance(DefaultChartRefresh - DefaultHeartbeat)
	// The second heartbeat falls due at the same instant; either may come first.
	for got := map[string]bool{}; !got["intervals"] || !got["state"]; {
		select {
		case ev := <-events:
			got[ev.name] = true
		case <-time.After(5 * time.Second):
			t.Fatalf("after %s got only %v; want intervals and state", DefaultChartRefresh, got)
		}
	}
	if n := len(e.reports.intervals); n != 2 {
		t.Errorf("intervals asked %d times; want 2 (connect, refresh)", n)
	}
}

func TestStreamReportsSourceErrors(t *testing.T) {
	e := newEnv(t)
	e.center.fail = context.DeadlineExceeded
	events := openStream(t, e)
	nextEvent(t, events, "config")
	st := decodeState(t, nextEvent(t, events, "state"))
	if len(st.Errors) != 3 || st.Agents != nil || st.Queues != nil {
		t.Errorf("state with failing sources = %+v; want 3 errors and null parts", st)
	}
}

func TestStreamConfigWithoutToken(t *testing.T) {
	e := newEnv(t, func(c *Config, _ *Deps) { c.Token = ""; c.NotReadyReasons = []string{"break", "coaching"} })
	var cfg boardConfig
	if err := json.Unmarshal([]byte(nextEvent(t, openStream(t, e), "config").data), &cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.ActionsEnabled || strings.Join(cfg.NotReadyReasons, ",") != "break,coaching" {
		t.Errorf("config = %+v; want actions disabled, the configured reasons", cfg)
	}
}

func TestStreamEndsOnClose(t *testing.T) {
	e := newEnv(t)
	events := openStream(t, e)
	nextEvent(t, events, "config")
	nextEvent(t, events, "state")
	nextEvent(t, events, "intervals")
	e.srv.Close()
	select {
	case _, ok := <-events:
		if ok {
			t.Fatalf("event after Close")
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("stream still open 5 s after Close")
	}
}

func TestNotifierCoalesces(t *testing.T) {
	n := NewNotifier()
	ch, cancel := n.Subscribe()
	for range 1000 {
		n.Notify()
	}
	<-ch
	select {
	case <-ch:
		t.Fatalf("a burst of notifications queued more than one signal")
	default:
	}
	cancel()
	cancel() // idempotent
	n.Notify()
	select {
	case <-ch:
		t.Fatalf("signal after cancel")
	default:
	}
}
