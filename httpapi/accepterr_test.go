package httpapi

import (
	"context"
	"net"
	"net/http"
	"os"
	"syscall"
	"testing"
	"time"
)

// failingListener fails its first Accepts with errs, then accepts.
type failingListener struct {
	net.Listener
	errs []error
}

func (l *failingListener) Accept() (net.Conn, error) {
	if len(l.errs) > 0 {
		err := l.errs[0]
		l.errs = l.errs[1:]
		return nil, err
	}
	return l.Listener.Accept()
}

// TestServeOutlivesAcceptErrors: Accept failing with an error net/http
// does not call temporary (ENOBUFS under memory pressure, or one of the
// network errors Linux's accept passes on from the new connection) ended
// Serve, and with it the whole switchboard; it is retried now, like the
// temporary EMFILE.
func TestServeOutlivesAcceptErrors(t *testing.T) {
	for _, errno := range []syscall.Errno{syscall.ENOBUFS, syscall.ENOMEM, syscall.EPROTO, syscall.ENETUNREACH, syscall.EMFILE} {
		t.Run(errno.Error(), func(t *testing.T) {
			e := newEnv(t)
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			fail := &net.OpError{Op: "accept", Net: "tcp", Addr: ln.Addr(), Err: os.NewSyscallError("accept4", errno)}
			ctx, cancel := context.WithCancel(context.Background())
			served := make(chan error, 1)
			go func() { served <- e.srv.Serve(ctx, &failingListener{Listener: ln, errs: []error{fail, fail}}) }()
			defer func() {
				cancel()
				if err := <-served; err != nil {
					t.Errorf("Serve = %v; want nil once ctx ends", err)
				}
			}()
			client := &http.Client{Timeout: 10 * time.Second}
			res, err := client.Get("http://" + ln.Addr().String() + "/api/agents")
			if err != nil {
				t.Fatalf("GET after Accept failed twice with %v: %v (Serve ended)", errno, err)
			}
			res.Body.Close()
			if res.StatusCode != http.StatusOK {
				t.Errorf("GET = %d; want 200", res.StatusCode)
			}
		})
	}
}
