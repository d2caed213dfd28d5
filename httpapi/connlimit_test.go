package httpapi

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/netip"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/internal/connlimit"
)

// TestServeCapsOpenConnections: idle connections used to be accepted
// without limit (each a descriptor for 10 s, until ReadHeaderTimeout);
// now beyond MaxConns a new connection is closed at once, and a slot that
// frees up is usable again.
func TestServeCapsOpenConnections(t *testing.T) {
	e := newEnv(t, func(c *Config, _ *Deps) { c.MaxConns = 3 })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- e.srv.Serve(ctx, ln) }()
	defer func() { cancel(); <-served }()

	idle := make([]net.Conn, 3)
	for i := range idle {
		if idle[i], err = net.Dial("tcp", ln.Addr().String()); err != nil {
			t.Fatal(err)
		}
		defer idle[i].Close()
	}
	extra, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer extra.Close()
	extra.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := extra.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("a 4th connection with MaxConns 3: read = %v; want EOF (closed at once)", err)
	}

	idle[0].Close()
	client := &http.Client{Timeout: 5 * time.Second}
	deadline := time.Now().Add(10 * time.Second)
	for {
		res, err := client.Get("http://" + ln.Addr().String() + "/api/agents")
		if err == nil {
			res.Body.Close()
			if res.StatusCode != 200 {
				t.Fatalf("GET after a slot freed = %d", res.StatusCode)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no request served 10 s after a slot freed: %v", err)
		}
		time.Sleep(20 * time.Millisecond) // the server notices the close asynchronously
	}
}

// TestConnLimitPerSource: one non-loopback address holds at most
// perSource connections; another address is unaffected; loopback (a
// reverse proxy on the machine) only counts against the total.
func TestConnLimitPerSource(t *testing.T) {
	l := connlimit.New(connLimits(2, 5))
	a, b, lo := netip.MustParseAddr("203.0.113.7"), netip.MustParseAddr("198.51.100.9"), netip.MustParseAddr("127.0.0.1")
	var fromA []net.Conn
	for i, tc := range []struct {
		src  netip.Addr
		want bool
	}{{a, true}, {a, true}, {a, false}, {b, true}, {lo, true}, {lo, true}, {lo, false}} {
		c, ok := l.Admit(connFrom(t, tc.src))
		if ok != tc.want {
			t.Errorf("step %d: admit(%s) = %v; want %v", i, tc.src, ok, tc.want)
		}
		if ok && tc.src == a {
			fromA = append(fromA, c)
		}
	}
	fromA[0].Close()
	if _, ok := l.Admit(connFrom(t, a)); !ok {
		t.Errorf("admit(%s) after a close = false; want true", a)
	}
}

// connFrom is one end of a pipe that says it comes from src.
func connFrom(t *testing.T, src netip.Addr) net.Conn {
	server, client := net.Pipe()
	t.Cleanup(func() { server.Close(); client.Close() })
	return remoteConn{Conn: server, remote: net.TCPAddrFromAddrPort(netip.AddrPortFrom(src, 40000))}
}

type remoteConn struct {
	net.Conn
	remote net.Addr
}

func (c remoteConn) RemoteAddr() net.Addr { return c.remote }
