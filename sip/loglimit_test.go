package sip

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuffer is a log destination the server's goroutines share.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestMalformedFloodDoesNotFloodTheLog: 300 requests the SIP stack cannot
// handle (no Via) used to write 300 ERROR lines, each quoting the request line:
// anyone who can reach the port could grow the log by almost half of what
// they sent. Now each message is logged a few times per window.
func TestMalformedFloodDoesNotFloodTheLog(t *testing.T) {
	logs := &lockedBuffer{}
	srv, err := New(Config{Listen: "127.0.0.1:0", RTPPortMin: -1}, Deps{
		Handler: runs(noopHandler), Claims: func(string) bool { return true }, Prompts: testPrompts,
		Events: &eventLog{}, Logger: slog.New(slog.NewTextHandler(logs, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	serveUntilCleanup(t, srv)

	c, err := net.Dial("udp", srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	bad := "INVITE sip:96069@" + srv.Addr() + " SIP/2.0\r\nFrom: <sip:x@y>;tag=1\r\nCall-ID: flood\r\nCSeq: 1 INVITE\r\nX-Pad: " +
		strings.Repeat("a", 500) + "\r\nContent-Length: 0\r\n\r\n"
	const sent = 300
	for range sent {
		if _, err := c.Write([]byte(bad)); err != nil {
			t.Fatal(err)
		}
	}
	// An ordinary INVITE after them: its answer means the flood was read.
	inviteStatus(t, srv.Addr(), "after-flood@host", "5551234")
	got := strings.Count(logs.String(), "Server tx failed to handle request")
	if got > 2*logLimitBurst {
		t.Errorf("%d malformed requests left %d log lines quoting them; want at most %d", sent, got, 2*logLimitBurst)
	}
	if got == 0 {
		t.Errorf("no log line at all about the malformed requests; want the first few")
	}
}

// TestLimitedHandlerWindow: within a window each message passes
// logLimitBurst times; the next window starts with a count of what was
// left out, and passes again.
func TestLimitedHandlerWindow(t *testing.T) {
	var out lockedBuffer
	now := time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
	log := slog.New(newLimitedHandler(slog.NewTextHandler(&out, nil), func() time.Time { return now }))
	for range 25 {
		log.Error("failed to parse")
	}
	log.Info("other message")
	if got := strings.Count(out.String(), "failed to parse"); got != logLimitBurst {
		t.Errorf("25 alike records in one window: %d logged; want %d", got, logLimitBurst)
	}
	now = now.Add(logLimitWindow)
	log.With("k", "v").ErrorContext(context.Background(), "failed to parse")
	text := out.String()
	if !strings.Contains(text, `left_out=15`) || strings.Count(text, "failed to parse") != logLimitBurst+2 {
		t.Errorf("next window: log =\n%s\nwant a left_out=15 summary and the record itself", text)
	}
	if !strings.Contains(text, "other message") {
		t.Errorf("another message was held back by the first one's limit")
	}
}
