package httpapi

import (
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

func TestQueues(t *testing.T) {
	e := newEnv(t)
	e.center.enqueue("c-1", "+8613800000001", "billing")
	e.clock.Advance(30 * time.Second)
	e.center.enqueue("c-2", "+8613800000002", "billing")
	e.clock.Advance(12 * time.Second)

	res := e.do("GET", "/api/queues", "")
	if res.status != 200 {
		t.Fatalf("GET /api/queues = %d %s", res.status, res.body)
	}
	var got []queueView
	res.json(t, &got)
	if len(got) != 2 || got[0].Name != "billing" || got[1].Name != "outage" {
		t.Fatalf("queues = %+v; want billing, outage", got)
	}
	b := got[0]
	if b.Waiting != 2 || b.LongestWait != 42 {
		t.Errorf("billing waiting %d longest %v; want 2, 42 s", b.Waiting, b.LongestWait)
	}
	if b.AgentsReady != 1 || !reflect.DeepEqual(b.Agents, map[string]int{"ready": 1}) {
		t.Errorf("billing agents ready %d by state %v; want 1, {ready:1}", b.AgentsReady, b.Agents)
	}
	if b.ServiceLevel == nil || *b.ServiceLevel != 0.85 || b.AHT == nil || *b.AHT != 245 || b.Offered != 42 {
		t.Errorf("billing today: SL %v AHT %v offered %d; want 0.85, 245, 42", b.ServiceLevel, b.AHT, b.Offered)
	}
	if b.SLTarget != (slTargetView{Percent: 80, ThresholdSeconds: 20}) {
		t.Errorf("billing target = %+v; want 80/20", b.SLTarget)
	}
	o := got[1]
	if o.ServiceLevel != nil || o.AHT != nil || o.Waiting != 0 || o.LongestWait != 0 {
		t.Errorf("outage with no calls today = %+v; want null SL and AHT, nothing waiting", o)
	}
	if !reflect.DeepEqual(o.Agents, map[string]int{"ready": 1, "on_call": 1}) {
		t.Errorf("outage agents = %v; want ready 1, on_call 1", o.Agents)
	}
}

func TestCalls(t *testing.T) {
	e := newEnv(t)
	e.center.enqueue("c-1", "+8613800000001", "billing")
	e.clock.Advance(10 * time.Second)
	res := e.do("GET", "/api/calls", "")
	if res.status != 200 {
		t.Fatalf("GET /api/calls = %d %s", res.status, res.body)
	}
	var got []callView
	res.json(t, &got)
	if len(got) != 2 {
		t.Fatalf("calls = %+v; want 2", got)
	}
	// Sorted by start: c-talk started 3 minutes ago, c-1 40 s before it was queued.
	if got[0].ID != "c-talk" || got[1].ID != "c-1" {
		t.Errorf("order = %s, %s; want c-talk, c-1", got[0].ID, got[1].ID)
	}
	c := got[1]
	if c.State != "queued" || c.Queue != "billing" || c.Node != "billing" || c.Flow != "heating-hotline" || c.Duration != 50 || c.TimeInState != 10 {
		t.Errorf("queued call = %+v; want queued in billing at node billing, 50 s long, 10 s in state", c)
	}
}

func TestReportsQueries(t *testing.T) {
	midnight := time.Date(2026, 11, 23, 0, 0, 0, 0, testZone)
	tests := []struct {
		name       string
		path       string
		wantStatus int
		wantErr    string
		check      func(t *testing.T, r *fakeReports)
	}{
		{name: "summary defaults to today by queue", path: "/api/reports/summary", wantStatus: 200, check: func(t *testing.T, r *fakeReports) {
			want := ReportQuery{From: midnight, To: midnight.AddDate(0, 0, 1), By: "queue"}
			if got := r.reports[0]; !got.From.Equal(want.From) || !got.To.Equal(want.To) || got.By != want.By {
				t.Errorf("query = %+v; want %+v", got, want)
			}
		}},
		{name: "summary with RFC 3339 span by interval", path: "/api/reports/summary?from=2026-11-20T08:00:00%2B08:00&to=2026-11-21&by=interval", wantStatus: 200, check: func(t *testing.T, r *fakeReports) {
			got := r.reports[0]
			if !got.From.Equal(time.Date(2026, 11, 20, 8, 0, 0, 0, testZone)) || !got.To.Equal(time.Date(2026, 11, 21, 0, 0, 0, 0, testZone)) || got.By != "interval" {
				t.Errorf("query = %+v", got)
			}
		}},
		{name: "summary by agent", path: "/api/reports/summary?by=agent", wantStatus: 200},
		{name: "summary by node", path: "/api/reports/summary?by=node", wantStatus: 200},
		{name: "summary by month", path: "/api/reports/summary?by=month", wantStatus: 200},
		{name: "summary bad by", path: "/api/reports/summary?by=color", wantStatus: 400, wantErr: `by="color": want one of queue, agent, interval, day, month, node`},
		{name: "summary bad from", path: "/api/reports/summary?from=yesterday", wantStatus: 400, wantErr: `from="yesterday": want an RFC 3339 time`},
		{name: "summary to before from", path: "/api/reports/summary?from=2026-11-23&to=2026-11-22", wantStatus: 400, wantErr: "must be after from"},
		{name: "summary unknown parameter", path: "/api/reports/summary?form=2026-11-23", wantStatus: 400, wantErr: `unknown query parameter "form"`},
		{name: "summary repeated parameter", path: "/api/reports/summary?by=queue&by=agent", wantStatus: 400, wantErr: `"by" given 2 times`},

		{name: "staffing what-if", path: "/api/reports/staffing?calls=360&aht=240s&sl=80/15&shrinkage=0.3", wantStatus: 200, check: func(t *testing.T, r *fakeReports) {
			want := StaffingQuery{Calls: 360, AHT: 240 * time.Second, Interval: 30 * time.Minute, Target: SLTarget{Percent: 80, Threshold: 15 * time.Second}, Shrinkage: 0.3}
			if got := r.staffing[0]; !reflect.DeepEqual(got, want) || !got.WhatIf() {
				t.Errorf("query = %+v; want %+v", got, want)
			}
		}},
		{name: "staffing what-if seconds and interval", path: "/api/reports/staffing?calls=100&aht=180&interval=15m", wantStatus: 200, check: func(t *testing.T, r *fakeReports) {
			got := r.staffing[0]
			if got.AHT != 180*time.Second || got.Interval != 15*time.Minute || got.Target != (SLTarget{Percent: 80, Threshold: 20 * time.Second}) {
				t.Errorf("query = %+v; want aht 180 s, interval 15m, default 80/20", got)
			}
		}},
		{name: "staffing from the log", path: "/api/reports/staffing?sl=90/10&from=2026-11-16&to=2026-11-23", wantStatus: 200, check: func(t *testing.T, r *fakeReports) {
			got := r.staffing[0]
			if got.WhatIf() || !got.From.Equal(midnight.AddDate(0, 0, -7)) || !got.To.Equal(midnight) || got.Target.Percent != 90 {
				t.Errorf("query = %+v; want the logged week at 90/10", got)
			}
		}},
		{name: "staffing calls without aht", path: "/api/reports/staffing?calls=360", wantStatus: 400, wantErr: "calls given without aht"},
		{name: "staffing aht without calls", path: "/api/reports/staffing?aht=240s", wantStatus: 400, wantErr: "aht given without calls"},
		{name: "staffing mixes plan and log", path: "/api/reports/staffing?calls=360&aht=240s&from=2026-11-20", wantStatus: 400, wantErr: "leave them out of a what-if plan"},
		{name: "staffing interval needs a plan", path: "/api/reports/staffing?interval=15m", wantStatus: 400, wantErr: "interval applies to a what-if plan"},
		{name: "staffing bad sl", path: "/api/reports/staffing?sl=80", wantStatus: 400, wantErr: `sl="80": want PERCENT/SECONDS`},
		{name: "staffing sl over 100", path: "/api/reports/staffing?sl=120/20", wantStatus: 400, wantErr: "want PERCENT/SECONDS"},
		{name: "staffing shrinkage 1", path: "/api/reports/staffing?shrinkage=1", wantStatus: 400, wantErr: `shrinkage="1": want a number from 0 up to (not including) 1`},
		{name: "staffing negative calls", path: "/api/reports/staffing?calls=-3&aht=4m", wantStatus: 400, wantErr: `calls="-3": want a positive whole number`},
		{name: "staffing bad aht", path: "/api/reports/staffing?calls=3&aht=soon", wantStatus: 400, wantErr: `aht="soon": want a positive duration`},

		{name: "intervals default today", path: "/api/reports/intervals", wantStatus: 200, check: func(t *testing.T, r *fakeReports) {
			if got := r.intervals[0]; !got[0].Equal(midnight) || !got[1].Equal(midnight.AddDate(0, 0, 1)) {
				t.Errorf("span = %v; want today", got)
			}
		}},
		{name: "intervals for a date", path: "/api/reports/intervals?date=2026-11-01", wantStatus: 200, check: func(t *testing.T, r *fakeReports) {
			if got := r.intervals[0]; !got[0].Equal(time.Date(2026, 11, 1, 0, 0, 0, 0, testZone)) {
				t.Errorf("span = %v; want 2026-11-01", got)
			}
		}},
		{name: "intervals with a time is refused", path: "/api/reports/intervals?date=2026-11-01T10:00:00Z", wantStatus: 400, wantErr: "want a date such as 2026-11-23"},
		{name: "intervals bad date", path: "/api/reports/intervals?date=23.11.2026", wantStatus: 400, wantErr: `date="23.11.2026"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			res := e.do("GET", tt.path, "")
			if res.status != tt.wantStatus {
				t.Fatalf("GET %s = %d %s; want %d", tt.path, res.status, res.body, tt.wantStatus)
			}
			if tt.wantErr != "" {
				if msg := res.errorText(t); !strings.Contains(msg, tt.wantErr) {
					t.Errorf("error = %q; want %q", msg, tt.wantErr)
				}
				if n := len(e.reports.reports) + len(e.reports.staffing) + len(e.reports.intervals); n != 0 {
					t.Errorf("a refused query reached the reports source %d times", n)
				}
			}
			if tt.check != nil {
				tt.check(t, e.reports)
			}
		})
	}
}

func TestReportsPassThroughCLIShape(t *testing.T) {
	e := newEnv(t)
	var staffing map[string]any
	e.do("GET", "/api/reports/staffing?calls=360&aht=240s&sl=80/15", "").json(t, &staffing)
	for _, k := range []string{"agents", "scheduled", "service_level", "asa_seconds", "occupancy"} {
		if _, ok := staffing[k]; !ok {
			t.Errorf("staffing answer lacks %q: %v", k, staffing)
		}
	}
	var ivs []intervalView
	e.do("GET", "/api/reports/intervals", "").json(t, &ivs)
	if len(ivs) != 7 || ivs[4].Offered != 24 || !ivs[0].Start.Equal(time.Date(2026, 11, 23, 8, 0, 0, 0, testZone)) {
		t.Errorf("intervals = %+v; want 7 from 08:00 with the 10:00 peak of 24", ivs)
	}
}

func TestFlowReload(t *testing.T) {
	e := newEnv(t)
	res := e.post("/api/flows/reload", "")
	var ok reloadResponse
	res.json(t, &ok)
	if res.status != 200 || strings.Join(ok.Flows, ",") != "after-hours,heating-hotline" {
		t.Fatalf("reload = %d %s; want 200 with the sorted flow names", res.status, res.body)
	}

	e.flows.issues = []string{"configs/flows/heating-hotline.yaml:12:7: unknown node type \"menuu\"", "configs/flows/heating-hotline.yaml:30:12: target \"bliling\" does not exist"}
	res = e.post("/api/flows/reload", "{}")
	if res.status != http.StatusUnprocessableEntity {
		t.Fatalf("reload with issues = %d %s; want 422", res.status, res.body)
	}
	var eb errorBody
	res.json(t, &eb)
	if !reflect.DeepEqual(eb.Issues, e.flows.issues) || !strings.Contains(eb.Error, "running flows are unchanged") {
		t.Errorf("422 body = %+v; want both issues and a note that the old flows run on", eb)
	}

	res = e.post("/api/flows/reload", `{"force":true}`)
	if res.status != 400 || !strings.Contains(res.errorText(t), `unknown field "force"`) {
		t.Errorf("reload with unknown field = %d %s; want 400", res.status, res.body)
	}
}

func TestMissingDependenciesAnswer503(t *testing.T) {
	e := newEnv(t, func(_ *Config, d *Deps) { *d = Deps{} })
	for _, rq := range []struct{ method, path string }{
		{"GET", "/api/agents"}, {"POST", "/api/agents/1001/login"}, {"GET", "/api/queues"}, {"GET", "/api/calls"},
		{"GET", "/api/reports/summary"}, {"GET", "/api/reports/staffing"}, {"GET", "/api/reports/intervals"}, {"POST", "/api/flows/reload"},
	} {
		res := e.do(rq.method, rq.path, "", withToken(testToken))
		if res.status != http.StatusServiceUnavailable || !strings.Contains(res.errorText(t), "not available") {
			t.Errorf("%s %s without a source = %d %s; want 503", rq.method, rq.path, res.status, res.body)
		}
	}
	// The page and the stream still work without sources.
	if res := e.do("GET", "/", ""); res.status != 200 {
		t.Errorf("GET / = %d", res.status)
	}
}

func TestSourceFailureIs500WithoutDetails(t *testing.T) {
	e := newEnv(t)
	e.center.fail = errors.New("sqlite: database is locked at /var/lib/switchboard")
	e.reports.fail = e.center.fail
	for _, rq := range []struct{ method, path string }{
		{"GET", "/api/agents"}, {"POST", "/api/agents/1001/login"}, {"GET", "/api/queues"}, {"GET", "/api/calls"},
		{"GET", "/api/reports/summary"}, {"GET", "/api/reports/staffing"}, {"GET", "/api/reports/intervals"},
	} {
		res := e.do(rq.method, rq.path, "", withToken(testToken))
		if res.status != 500 {
			t.Errorf("%s %s = %d; want 500", rq.method, rq.path, res.status)
			continue
		}
		if msg := res.errorText(t); strings.Contains(msg, "/var/lib") {
			t.Errorf("%s %s leaks the internal error: %q", rq.method, rq.path, msg)
		}
	}
}

func TestUnknownRoutesAnswerJSON(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		method, path string
		wantStatus   int
		wantAllow    string
		wantErr      string
	}{
		{"GET", "/api/nope", 404, "", "no such endpoint: GET /api/nope"},
		{"GET", "/api/agents/1001/vacation", 404, "", "no such endpoint"},
		{"GET", "/api/agents/1001/login", 405, "POST", "method GET not allowed on /api/agents/1001/login; allowed: POST"},
		{"DELETE", "/api/agents", 405, "GET, HEAD", "method DELETE not allowed"},
		{"PUT", "/api/flows/reload", 405, "POST", "allowed: POST"},
	}
	for _, tt := range tests {
		res := e.do(tt.method, tt.path, "")
		if res.status != tt.wantStatus || res.header.Get("Allow") != tt.wantAllow {
			t.Errorf("%s %s = %d Allow %q; want %d Allow %q", tt.method, tt.path, res.status, res.header.Get("Allow"), tt.wantStatus, tt.wantAllow)
			continue
		}
		if msg := res.errorText(t); !strings.Contains(msg, tt.wantErr) {
			t.Errorf("%s %s error = %q; want %q", tt.method, tt.path, msg, tt.wantErr)
		}
	}
}

func TestMetrics(t *testing.T) {
	extra := prometheus.NewCounter(prometheus.CounterOpts{Name: "switchboard_events_written_total", Help: "test collector from the host"})
	extra.Add(17)
	e := newEnv(t, func(c *Config, _ *Deps) { c.Collectors = []prometheus.Collector{extra, extra} })
	e.center.enqueue("c-1", "+8613800000001", "billing")
	e.clock.Advance(9 * time.Second)
	e.do("GET", "/api/agents", "")
	res := e.do("GET", "/metrics", "")
	if res.status != 200 {
		t.Fatalf("GET /metrics = %d", res.status)
	}
	text := string(res.body)
	for _, want := range []string{
		`switchboard_queue_waiting_calls{queue="billing"} 1`,
		`switchboard_queue_waiting_calls{queue="outage"} 0`,
		`switchboard_queue_longest_wait_seconds{queue="billing"} 9`,
		`switchboard_queue_agents{queue="outage",state="on_call"} 1`,
		`switchboard_queue_agents{queue="billing",state="on_call"} 0`,
		`switchboard_queue_service_level_ratio{queue="billing"} 0.85`,
		`switchboard_queue_aht_seconds{queue="billing"} 245`,
		`switchboard_queue_calls_today{outcome="offered",queue="billing"} 41`,
		`switchboard_agents{state="logged_out"} 1`,
		`switchboard_agents{state="ready"} 1`,
		`switchboard_agents{state="wrap_up"} 0`,
		`switchboard_calls_in_progress{state="queued"} 1`,
		`switchboard_calls_in_progress{state="talking"} 1`,
		`switchboard_httpapi_source_up{source="queues"} 1`,
		`switchboard_http_requests_total{code="200",route="GET /api/agents"} 1`,
		`switchboard_wallboard_streams 0`,
		`switchboard_events_written_total 17`,
		`go_goroutines `,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if strings.Contains(text, `switchboard_queue_service_level_ratio{queue="outage"}`) {
		t.Errorf("/metrics reports a service level for outage, which had no calls")
	}

	e.center.fail = errors.New("down")
	text = string(e.do("GET", "/metrics", "").body)
	if !strings.Contains(text, `switchboard_httpapi_source_up{source="agents"} 0`) {
		t.Errorf("a failing source is not reported as down")
	}
}

func TestWallboardIsEmbeddedAndSelfContained(t *testing.T) {
	e := newEnv(t)
	res := e.do("GET", "/", "")
	if res.status != 200 || !strings.HasPrefix(res.header.Get("Content-Type"), "text/html") {
		t.Fatalf("GET / = %d %s", res.status, res.header.Get("Content-Type"))
	}
	if csp := res.header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
		t.Errorf("CSP = %q; want default-src 'self' so nothing loads from elsewhere", csp)
	}
	for _, asset := range []struct{ path, ctype string }{
		{"/assets/wallboard.js", "text/javascript"}, {"/assets/wallboard.css", "text/css"},
	} {
		if !strings.Contains(string(res.body), asset.path) {
			t.Errorf("page does not reference %s", asset.path)
		}
		r := e.do("GET", asset.path, "")
		if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), asset.ctype) {
			t.Errorf("GET %s = %d %q", asset.path, r.status, r.header.Get("Content-Type"))
		}
		// No address outside this server, except the SVG namespace name.
		body := strings.ReplaceAll(string(r.body), "http://www.w3.org/2000/svg", "")
		if strings.Contains(body, "http://") || strings.Contains(body, "https://") || strings.Contains(body, "//cdn") {
			t.Errorf("%s refers to an outside address", asset.path)
		}
	}
	for _, p := range []string{"/assets/missing.js", "/assets/index.html", "/assets/..%2fopenapi.json"} {
		if r := e.do("GET", p, ""); r.status != 404 {
			t.Errorf("GET %s = %d; want 404", p, r.status)
		}
	}
}
