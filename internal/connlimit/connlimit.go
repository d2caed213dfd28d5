package connlimit

import (
	"net"
	"net/netip"
	"sync"
)

// Limits are a Limiter's caps.
type Limits struct {
	PerSource int // most open connections from one source address; <= 0: no cap
	Total     int // most open connections in all; <= 0: no cap
	// LoopbackExempt lifts the per-source cap for loopback sources; they
	// still count against Total.
	LoopbackExempt bool
}

// Limiter counts open connections by source address within Limits.
type Limiter struct {
	lim Limits

	mu       sync.Mutex
	open     int
	bySource map[netip.Addr]int
}

// New returns a Limiter with no connection open.
func New(lim Limits) *Limiter {
	return &Limiter{lim: lim, bySource: map[netip.Addr]int{}}
}

// Admit counts c against the caps. Within them it returns c wrapped so that
// its first Close gives the slot back, and true; over a cap it returns nil
// and false, counting nothing, and the caller closes c.
func (l *Limiter) Admit(c net.Conn) (net.Conn, bool) {
	src := source(c.RemoteAddr())
	if !l.admit(src) {
		return nil, false
	}
	return &conn{Conn: c, l: l, src: src}, true
}

func (l *Limiter) admit(src netip.Addr) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.lim.Total > 0 && l.open >= l.lim.Total {
		return false
	}
	exempt := l.lim.LoopbackExempt && src.IsLoopback()
	if l.lim.PerSource > 0 && !exempt && l.bySource[src] >= l.lim.PerSource {
		return false
	}
	l.open++
	l.bySource[src]++
	return true
}

func (l *Limiter) release(src netip.Addr) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.open--
	if l.bySource[src]--; l.bySource[src] <= 0 {
		delete(l.bySource, src)
	}
}

// source is the address a connection from a counts under: its IP without
// port or IPv4 mapping, or the zero netip.Addr when a names no IP address.
func source(a net.Addr) netip.Addr {
	if ta, ok := a.(*net.TCPAddr); ok {
		return ta.AddrPort().Addr().Unmap()
	}
	if a == nil {
		return netip.Addr{}
	}
	if ap, err := netip.ParseAddrPort(a.String()); err == nil {
		return ap.Addr().Unmap()
	}
	return netip.Addr{}
}

// conn gives its slot back once, on the first Close.
type conn struct {
	net.Conn
	l    *Limiter
	src  netip.Addr
	once sync.Once
}

func (c *conn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() { c.l.release(c.src) })
	return err
}
