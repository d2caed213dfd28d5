package httpapi

import (
	"log/slog"
	"net"
	"net/netip"
	"sync"
)

// Idle TCP connections are the one resource a client holds without sending
// anything: each costs a file descriptor, shared with the SIP side, RTP
// sockets and the event store. ReadHeaderTimeout closes a silent one after
// 10 s, but a single source opening thousands a second could still fill the
// process's descriptor table. Serve's listener therefore caps connections
// per source address and in total; beyond, a connection is closed as soon
// as it is accepted.
const (
	// DefaultMaxConnsPerSource: a browser opens about six connections to a
	// server plus the event stream; 128 leaves room for a room of
	// supervisors behind one NAT address. Loopback sources (a reverse
	// proxy on the same machine, which all clients then share) have no
	// per-source cap, only the total.
	DefaultMaxConnsPerSource = 128
	// DefaultMaxConns bounds the whole HTTP side's descriptors and buffers.
	DefaultMaxConns = 2048
)

// limitedListener enforces the per-source and total caps.
type limitedListener struct {
	net.Listener
	perSource, total int
	log              *slog.Logger

	mu       sync.Mutex
	open     int
	bySource map[netip.Addr]int
}

func newLimitedListener(ln net.Listener, perSource, total int, log *slog.Logger) *limitedListener {
	return &limitedListener{Listener: ln, perSource: perSource, total: total, log: log, bySource: map[netip.Addr]int{}}
}

// Accept returns the next connection within the caps. Errors are the
// underlying listener's: http.Server retries the temporary ones.
func (l *limitedListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		src := sourceAddr(c.RemoteAddr())
		if l.admit(src) {
			return &limitedConn{Conn: c, l: l, src: src}, nil
		}
		l.log.Debug("httpapi: connection refused: too many open", "remote", c.RemoteAddr().String())
		c.Close()
	}
}

func (l *limitedListener) admit(src netip.Addr) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open >= l.total {
		return false
	}
	if !src.IsLoopback() && l.bySource[src] >= l.perSource {
		return false
	}
	l.open++
	l.bySource[src]++
	return true
}

func (l *limitedListener) release(src netip.Addr) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.open--
	if l.bySource[src]--; l.bySource[src] <= 0 {
		delete(l.bySource, src)
	}
}

func sourceAddr(a net.Addr) netip.Addr {
	if ap, err := netip.ParseAddrPort(a.String()); err == nil {
		return ap.Addr().Unmap()
	}
	return netip.Addr{}
}

// limitedConn gives its slot back once, on the first Close.
type limitedConn struct {
	net.Conn
	l    *limitedListener
	src  netip.Addr
	once sync.Once
}

func (c *limitedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() { c.l.release(c.src) })
	return err
}
