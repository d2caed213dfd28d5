package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestReportRangeIsBounded: a report over two centuries used to be computed
// (gigabytes of half-hour buckets for every agent logged in); now a range
// beyond MaxReportSpan is a 400 that says the limit, and the source is
// never asked.
func TestReportRangeIsBounded(t *testing.T) {
	e := newEnv(t)
	for _, path := range []string{
		"/api/reports/summary?from=1900-01-01&to=2100-01-01",
		"/api/reports/summary?from=2026-01-01&to=2026-04-04", // 93 days: one day over
		"/api/reports/staffing?from=2000-01-01&to=2026-01-01",
	} {
		res := e.do("GET", path, "")
		if res.status != 400 || !strings.Contains(res.errorText(t), "at most 92d (92 days)") {
			t.Errorf("GET %s = %d %s; want 400 naming the 92-day limit", path, res.status, res.body)
		}
	}
	if n := len(e.reports.reports) + len(e.reports.staffing); n != 0 {
		t.Errorf("the source was asked %d times for ranges beyond the limit", n)
	}
	if res := e.do("GET", "/api/reports/summary?from=2026-01-01&to=2026-04-03", ""); res.status != 200 {
		t.Errorf("a 92-day report = %d %s; want 200", res.status, res.body)
	}
}

// TestReportStopsWhenClientGoes: the request's context reaches the report
// source and ends when the client hangs up.
func TestReportStopsWhenClientGoes(t *testing.T) {
	started, stopped := make(chan struct{}), make(chan error, 1)
	e := newEnv(t, func(_ *Config, d *Deps) {
		d.Reports = &blockingReports{started: started, stopped: stopped}
	})
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", e.hs.URL+"/api/reports/summary", nil)
	go func() {
		if res, err := e.hs.Client().Do(req); err == nil {
			res.Body.Close()
		}
	}()
	<-started
	cancel()
	select {
	case err := <-stopped:
		if err == nil {
			t.Errorf("report ended without its context being cancelled")
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("the report goes on 10 s after the client left")
	}
}

type blockingReports struct {
	fakeReports
	started chan struct{}
	stopped chan error
}

func (b *blockingReports) Report(ctx context.Context, q ReportQuery) (any, error) {
	close(b.started)
	<-ctx.Done()
	b.stopped <- ctx.Err()
	return nil, ctx.Err()
}

// TestPrivateReadsNeedTokenOffLoopback: with PrivateReads (serve on a
// non-loopback address) reports, live calls and the event stream need the
// token — the stream also as ?access_token= — while the rest stays open; on
// loopback (PrivateReads false) they stay open as before.
func TestPrivateReadsNeedTokenOffLoopback(t *testing.T) {
	private := []string{"/api/calls", "/api/reports/summary", "/api/reports/staffing", "/api/reports/intervals", "/api/events/stream"}
	e := newEnv(t, func(c *Config, _ *Deps) { c.PrivateReads = true })
	for _, path := range private {
		if res := e.do("GET", path, ""); res.status != 401 {
			t.Errorf("GET %s without token = %d; want 401", path, res.status)
		}
	}
	for _, path := range private[:4] {
		if res := e.do("GET", path, "", withToken(testToken)); res.status != 200 {
			t.Errorf("GET %s with token = %d %s; want 200", path, res.status, res.body)
		}
	}
	for _, path := range []string{"/api/queues", "/api/agents", "/metrics", "/"} {
		if res := e.do("GET", path, ""); res.status != 200 {
			t.Errorf("GET %s without token = %d; want 200 (not private)", path, res.status)
		}
	}
	if res := e.do("GET", "/api/calls?access_token="+testToken, ""); res.status != 401 {
		t.Errorf("GET /api/calls?access_token= = %d; want 401 (the query token is for the event stream only)", res.status)
	}
	// The stream with the token in the query: it opens.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", e.hs.URL+"/api/events/stream?access_token="+testToken, nil)
	res, err := e.hs.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Errorf("stream with ?access_token= = %d; want 200", res.StatusCode)
	}

	open := newEnv(t)
	if res := open.do("GET", "/api/calls", ""); res.status != 200 {
		t.Errorf("on loopback GET /api/calls = %d; want 200", res.status)
	}
}

// TestReportRangeEndsToday: a report covers the past and today. A range in
// the future (from and to in 2100, well within 92 days of each other) used
// to be accepted and computed; now a to after the end of today is a 400,
// as is an intervals date after today. To the end of today (the default,
// or tomorrow's date as to) stays allowed.
func TestReportRangeEndsToday(t *testing.T) {
	e := newEnv(t) // today is 2026-11-23 in testZone
	for _, path := range []string{
		"/api/reports/summary?from=2100-01-01&to=2100-03-01",
		"/api/reports/summary?from=2026-11-01&to=2026-11-25",
		"/api/reports/summary?from=2026-11-23&to=2026-11-24T00:00:01%2B08:00",
		"/api/reports/staffing?from=2099-12-01&to=2100-01-01",
		"/api/reports/intervals?date=2026-11-24",
	} {
		res := e.do("GET", path, "")
		if res.status != 400 || !strings.Contains(res.errorText(t), "after the end of today") {
			t.Errorf("GET %s = %d %s; want 400 after the end of today", path, res.status, res.body)
		}
	}
	if n := len(e.reports.reports) + len(e.reports.staffing); n != 0 {
		t.Errorf("the source was asked %d times for future ranges", n)
	}
	for _, path := range []string{
		"/api/reports/summary",
		"/api/reports/summary?from=2026-11-01&to=2026-11-24",
		"/api/reports/summary?to=2026-11-24T00:00:00%2B08:00",
		"/api/reports/intervals?date=2026-11-23",
	} {
		if res := e.do("GET", path, ""); res.status != 200 {
			t.Errorf("GET %s = %d %s; want 200 (ends today)", path, res.status, res.body)
		}
	}
}

// TestSlowBodyIsCutOff: a client that sends the headers of a POST and then
// trickles (or stops sending) its body used to hold the connection and a
// handler goroutine forever (ReadHeaderTimeout covers only the headers);
// now the body must arrive within BodyReadTimeout, or the connection ends.
func TestSlowBodyIsCutOff(t *testing.T) {
	e := newEnv(t, func(c *Config, _ *Deps) { c.BodyReadTimeout = 300 * time.Millisecond })
	conn, err := net.Dial("tcp", e.hs.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /api/agents/1001/login HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"+
		"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{", testToken)
	start := time.Now()
	conn.SetReadDeadline(start.Add(10 * time.Second))
	buf := make([]byte, 512)
	n, err := conn.Read(buf)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("no answer and no close 10 s after a stalled body (the body timeout is 300 ms)")
	}
	if n > 0 && !strings.HasPrefix(string(buf[:n]), "HTTP/1.1 408") {
		t.Errorf("answer to a stalled body = %q; want 408", firstLine(string(buf[:n])))
	}
	if got := e.center.actions(); len(got) != 0 {
		t.Errorf("the ACD acted on a body that never arrived: %q", got)
	}
}

// TestServeCapsHeaderSize: Serve's http.Server takes request headers up to
// maxHeaderBytes (64 kB) instead of net/http's default 1 MB; a request with
// a 200 kB header gets 431 and costs no more than that.
func TestServeCapsHeaderSize(t *testing.T) {
	e := newEnv(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- e.srv.Serve(ctx, ln) }()
	defer func() { cancel(); <-served }()

	for _, tc := range []struct {
		size int
		want int
	}{{1 << 10, 200}, {200 << 10, http.StatusRequestHeaderFieldsTooLarge}} {
		req, _ := http.NewRequest("GET", "http://"+ln.Addr().String()+"/api/agents", nil)
		req.Header.Set("X-Filler", strings.Repeat("a", tc.size))
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("GET with a %d-byte header: %v", tc.size, err)
		}
		res.Body.Close()
		if res.StatusCode != tc.want {
			t.Errorf("GET with a %d-byte header = %d; want %d", tc.size, res.StatusCode, tc.want)
		}
	}
}
