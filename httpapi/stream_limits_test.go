package httpapi

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestStreamRefusesBeyondMaxStreams: a client opening stream after stream
// gets 503 once MaxStreams are open, and a slot freed is a slot again.
func TestStreamRefusesBeyondMaxStreams(t *testing.T) {
	e := newEnv(t, func(c *Config, _ *Deps) { c.MaxStreams = 2 })
	first := openStream(t, e)
	nextEvent(t, first, "config")
	second := openStream(t, e)
	nextEvent(t, second, "config")

	// Ask with a deadline: a server without the cap would stream forever.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", e.hs.URL+"/api/events/stream", nil)
	raw, err := e.hs.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Body.Close()
	if raw.StatusCode != 503 {
		t.Fatalf("third stream answered %d; want 503 beyond MaxStreams 2", raw.StatusCode)
	}
	body, _ := io.ReadAll(raw.Body)
	res := response{status: raw.StatusCode, header: raw.Header, body: body}
	checkAgainstOpenAPI(t, "GET", "/api/events/stream", res)
	if res.status != 503 || res.header.Get("Retry-After") == "" || !strings.Contains(res.errorText(t), "too many event streams") {
		t.Fatalf("third stream = %d %s (Retry-After %q); want 503 too many event streams, with Retry-After", res.status, res.body, res.header.Get("Retry-After"))
	}

	e.srv.Close() // ends both streams; the slots are free again
	for range first {
	}
	for range second {
	}
	e.srv.done = make(chan struct{})
	nextEvent(t, openStream(t, e), "config")
}

// TestStreamDropsClientThatStopsReading: a client that connects and never
// reads is dropped once one event cannot be written within
// StreamWriteTimeout; the server neither blocks on it forever nor queues
// for it.
func TestStreamDropsClientThatStopsReading(t *testing.T) {
	e := newEnv(t, func(c *Config, _ *Deps) { c.StreamWriteTimeout = 200 * time.Millisecond })
	// A busy board: every snapshot is about a megabyte, so the socket
	// buffers fill after a few pushes.
	for i := range 4000 {
		e.center.calls[fmt.Sprintf("c-%d", i)] = &Call{ID: fmt.Sprintf("c-%d", i), From: "+8613800000001", To: "96069",
			Flow: "heating-hotline", Node: "billing", NodeType: "queue", State: "queued", Queue: "billing",
			Started: testStart, Since: testStart}
	}
	dialer := net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
		return c.Control(func(fd uintptr) { syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
	}}
	conn, err := dialer.Dial("tcp", e.hs.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	// Registered after newEnv, so it runs first: an old server blocked in a
	// write is released before the test server waits for it.
	t.Cleanup(func() { conn.Close() })
	if _, err := fmt.Fprintf(conn, "GET /api/events/stream HTTP/1.1\r\nHost: switchboard\r\n\r\n"); err != nil {
		t.Fatal(err)
	}

	deadline := time.Now().Add(30 * time.Second)
	opened := false
	for time.Now().Before(deadline) {
		open := openStreams(t, e)
		if open == 1 {
			opened = true
		}
		if opened && open == 0 {
			return // dropped
		}
		e.clock.Advance(DefaultHeartbeat) // one more snapshot for the client that does not read
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("a client that never reads is still streamed to after 30 s (opened %v): it should be dropped after %v", opened, 200*time.Millisecond)
}

var streamsGauge = regexp.MustCompile(`(?m)^switchboard_wallboard_streams (\d+)$`)

// openStreams reads the open-stream gauge from /metrics.
func openStreams(t *testing.T, e *env) int {
	t.Helper()
	m := streamsGauge.FindSubmatch(e.do("GET", "/metrics", "").body)
	if m == nil {
		t.Fatalf("/metrics has no switchboard_wallboard_streams")
	}
	n, _ := strconv.Atoi(string(m[1]))
	return n
}
