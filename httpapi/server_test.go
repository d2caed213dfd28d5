package httpapi

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"testing"
	"time"
)

// TestServeShutsDownOnContext runs Serve on a real listener: it answers, and
// when ctx ends it returns nil promptly even with a wallboard stream open.
func TestServeShutsDownOnContext(t *testing.T) {
	e := newEnv(t) // for the fakes; Serve gets its own listener below
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- e.srv.Serve(ctx, ln) }()

	base := "http://" + ln.Addr().String()
	res, err := http.Get(base + "/api/agents")
	if err != nil {
		t.Fatalf("GET /api/agents: %v", err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("GET /api/agents = %d", res.StatusCode)
	}

	stream, err := http.Get(base + "/api/events/stream")
	if err != nil {
		t.Fatalf("open stream: %v", err)
	}
	defer stream.Body.Close()
	buf := make([]byte, 64)
	if _, err := stream.Body.Read(buf); err != nil {
		t.Fatalf("read stream: %v", err)
	}

	cancel()
	select {
	case err := <-served:
		if err != nil {
			t.Errorf("Serve after cancel = %v; want nil", err)
		}
	case <-time.After(shutdownGrace + 2*time.Second):
		t.Fatalf("Serve still running after cancel")
	}
	if _, err := io.ReadAll(stream.Body); err != nil && err != io.ErrUnexpectedEOF {
		t.Logf("stream ended with %v", err)
	}
}

func TestServeReportsListenerErrors(t *testing.T) {
	srv, err := New(Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, Deps{})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln.Close()
	if err := srv.Serve(context.Background(), ln); err == nil {
		t.Errorf("Serve on a closed listener = nil; want an error")
	}
}
