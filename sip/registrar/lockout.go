package registrar

import (
	"net/netip"
	"sync"
	"time"
)

// Password guessing against the registrar is how toll fraud usually starts:
// a source that keeps failing digest checks is refused for a while without
// its credentials even being looked at.
const (
	// DefaultMaxFailures wrong answers from one source IP within
	// DefaultFailureWindow lock it out for DefaultLockout. A phone with a
	// mistyped password fails a handful of times per hour, far below this.
	DefaultMaxFailures   = 10
	DefaultFailureWindow = time.Minute
	DefaultLockout       = 10 * time.Minute
)

type lockout struct {
	max    int
	window time.Duration
	ban    time.Duration

	mu      sync.Mutex
	sources map[netip.Addr]*failures
}

type failures struct {
	first  time.Time // start of the current window
	count  int
	banned time.Time // zero: not banned
}

func newLockout(max int, window, ban time.Duration) *lockout {
	return &lockout{max: max, window: window, ban: ban, sources: make(map[netip.Addr]*failures)}
}

// banned reports whether ip is locked out at now.
func (l *lockout) banned(ip netip.Addr, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	f := l.sources[ip]
	return f != nil && !f.banned.IsZero() && now.Before(f.banned)
}

// fail records a failed check and reports whether it started a lockout.
func (l *lockout) fail(ip netip.Addr, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for k, f := range l.sources { // keep the map to live sources
		if now.Sub(f.first) > l.window && (f.banned.IsZero() || !now.Before(f.banned)) {
			delete(l.sources, k)
		}
	}
	f := l.sources[ip]
	if f == nil || now.Sub(f.first) > l.window {
		f = &failures{first: now}
		l.sources[ip] = f
	}
	f.count++
	if f.count >= l.max && f.banned.IsZero() {
		f.banned = now.Add(l.ban)
		return true
	}
	return false
}

// succeed forgets ip's failures (the right password ends a typo streak).
func (l *lockout) succeed(ip netip.Addr) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if f := l.sources[ip]; f != nil && f.banned.IsZero() {
		delete(l.sources, ip)
	}
}
