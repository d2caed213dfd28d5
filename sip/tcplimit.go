package sip

import (
	"errors"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// TCP connections are the one resource an attacker can hold without
// sending anything: each costs a file descriptor and a read buffer. The
// listener sipgo serves on is wrapped so that
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

// acceptBackoff bounds the wait between failed Accepts.
const (
	acceptBackoffMin = 5 * time.Millisecond
	acceptBackoffMax = time.Second
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

// limitedListener is the net.Listener sipgo's TCP transport serves on.
type limitedListener struct {
	net.Listener
	lim tcpLimits

	refused atomic.Uint64 // connections closed at a cap
	idled   atomic.Uint64 // connections closed for idleness

	mu       sync.Mutex
	open     int
	bySource map[netip.Addr]int

	closeOnce sync.Once
	closed    chan struct{}
}

func newLimitedListener(l net.Listener, lim tcpLimits) *limitedListener {
	if lim.log == nil {
		lim.log = slog.New(slog.DiscardHandler)
	}
	return &limitedListener{Listener: l, lim: lim, bySource: map[netip.Addr]int{}, closed: make(chan struct{})}
}

// Accept returns the next connection within the caps. It returns an error
// only once the listener is closed.
func (l *limitedListener) Accept() (net.Conn, error) {
	var delay time.Duration
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return nil, err
			}
			delay = min(max(2*delay, acceptBackoffMin), acceptBackoffMax)
			l.lim.log.Warn("sip tcp accept failed, retrying", "error", err, "retry_in", delay)
			t := time.NewTimer(delay)
			select {
			case <-t.C:
			case <-l.closed:
				t.Stop()
				return nil, net.ErrClosed
			}
			continue
		}
		delay = 0
		ip := remoteIP(c)
		if !l.admit(ip) {
			l.refused.Add(1)
			c.Close()
			continue
		}
		return &idleConn{Conn: c, l: l, ip: ip}, nil
	}
}

func (l *limitedListener) Close() error {
	l.closeOnce.Do(func() { close(l.closed) })
	return l.Listener.Close()
}

func (l *limitedListener) admit(ip netip.Addr) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.lim.total > 0 && l.open >= l.lim.total {
		return false
	}
	if l.lim.perSource > 0 && l.bySource[ip] >= l.lim.perSource {
		return false
	}
	l.open++
	l.bySource[ip]++
	return true
}

func (l *limitedListener) release(ip netip.Addr) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.open--
	if l.bySource[ip]--; l.bySource[ip] <= 0 {
		delete(l.bySource, ip)
	}
}

func remoteIP(c net.Conn) netip.Addr {
	if a, ok := c.RemoteAddr().(*net.TCPAddr); ok {
		return a.AddrPort().Addr().Unmap()
	}
	return netip.Addr{}
}

// idleConn closes itself when a Read waits longer than the idle timeout.
type idleConn struct {
	net.Conn
	l         *limitedListener
	ip        netip.Addr
	closeOnce sync.Once
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

func (c *idleConn) Close() error {
	err := c.Conn.Close()
	c.closeOnce.Do(func() { c.l.release(c.ip) })
	return err
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
