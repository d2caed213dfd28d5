package sip

import (
	"errors"
	"io"
	"log/slog"
	"net"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/switchboard-cc/switchboard/internal/connlimit"
)

// TCP connections are the one resource an attacker can hold without
// sending anything: each costs a file descriptor and a read buffer. The
// listener sipgo serves on is wrapped (internal/connlimit for the first two)
// so that
//   - an Accept error (EMFILE when descriptors run out, ECONNABORTED, ...)
//     is retried with backoff instead of ending Serve;
//   - each source IP holds at most TCPMaxPerSource connections and the
//     server at most TCPMaxConns; more are closed as soon as accepted;
//   - a connection that sends nothing for TCPIdleTimeout is closed, unless
//     a call in progress uses it (its SIP may be quiet for an hour).

// Defaults, each with its reason.
const (
	// DefaultTCPIdleTimeout: phones keep their TCP connection alive with
	// REGISTER refreshes, CRLF keep-alives (RFC 5626) or answers to our
	// 30 s OPTIONS pings; two minutes of silence is a connection nobody
	// uses (Kamailio's tcp_connection_lifetime default is the same).
	DefaultTCPIdleTimeout = 2 * time.Minute
	// DefaultTCPMaxPerSource: a phone uses one connection; 64 leaves room
	// for an office of phones behind one NAT address.
	DefaultTCPMaxPerSource = 64
	// DefaultTCPMaxConns bounds memory (a read buffer per connection); it
	// is lowered to half the process's open-file limit when that is
	// smaller, so RTP sockets and recordings always find a descriptor.
	DefaultTCPMaxConns = 4096
)

// tcpLimits configures a limitedListener.
type tcpLimits struct {
	idle      time.Duration // <= 0: never close idle connections
	perSource int           // <= 0: no cap
	total     int           // <= 0: no cap
	// busy reports whether a call in progress uses the connection from
	// remote (host:port); such a connection is never idle.
	busy func(remote string) bool
	log  *slog.Logger
}

// limitedListener is the net.Listener sipgo's TCP transport serves on:
// connlimit.Listener for the caps and the retried Accepts, idleConn for
// the idle timeout.
type limitedListener struct {
	*connlimit.Listener
	lim tcpLimits

	refused atomic.Uint64 // connections closed at a cap
	idled   atomic.Uint64 // connections closed for idleness
}

func newLimitedListener(l net.Listener, lim tcpLimits) *limitedListener {
	if lim.log == nil {
		lim.log = slog.New(slog.DiscardHandler)
	}
	ll := &limitedListener{lim: lim}
	caps := connlimit.New(connlimit.Limits{PerSource: lim.perSource, Total: lim.total})
	ll.Listener = connlimit.NewListener(l, caps, connlimit.Events{
		Refused: func(net.Conn) { ll.refused.Add(1) },
		AcceptFailed: func(err error, retryIn time.Duration) {
			lim.log.Warn("sip tcp accept failed, retrying", "error", err, "retry_in", retryIn)
		},
	})
	return ll
}

// Accept returns the next connection within the caps. It returns an error
// only once the listener is closed.
func (l *limitedListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &idleConn{Conn: c, l: l}, nil
}

// idleConn closes itself when a Read waits longer than the idle timeout.
// Its Close gives the connection's slot back (connlimit).
type idleConn struct {
	net.Conn
	l *limitedListener
}

func (c *idleConn) Read(b []byte) (int, error) {
	idle := c.l.lim.idle
	for {
		if idle > 0 {
			if err := c.Conn.SetReadDeadline(time.Now().Add(idle)); err != nil {
				return 0, err
			}
		}
		n, err := c.Conn.Read(b)
		var ne net.Error
		if n == 0 && idle > 0 && errors.As(err, &ne) && ne.Timeout() {
			if c.l.lim.busy != nil && c.l.lim.busy(c.RemoteAddr().String()) {
				continue
			}
			c.l.idled.Add(1)
			c.Close()
			// EOF: sipgo treats it as the peer going away (no error log
			// per connection under a flood).
			return 0, io.EOF
		}
		return n, err
	}
}

// maxTCPConns is the TCPMaxConns default for this process: DefaultTCPMaxConns,
// or half the open-file limit when that is lower.
func maxTCPConns() int {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err == nil && lim.Cur/2 < DefaultTCPMaxConns {
		return max(16, int(lim.Cur/2))
	}
	return DefaultTCPMaxConns
}
