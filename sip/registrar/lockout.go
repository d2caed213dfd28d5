package registrar

import (
	"net/netip"
	"sync"
	"time"
)

// Password guessing against the registrar is how toll fraud usually starts.
// Failed digest checks are counted twice, independently: per source IP (one
// host guessing many passwords) and per agent (many hosts guessing one
// password). A success clears neither count: an attacker holding one valid
// account must not wipe its guesses at another by registering in between.
// Counts simply age out with the window.
const (
	// DefaultMaxFailures wrong answers from one source IP, or for one agent,
	// within DefaultFailureWindow lock that source (or that agent's
	// credentials) out for DefaultLockout. A phone with a mistyped password
	// fails a handful of times per hour, far below this.
	DefaultMaxFailures   = 10
	DefaultFailureWindow = time.Minute
	DefaultLockout       = 10 * time.Minute
)

// maxTrackedSources bounds the per-source map. A failure needs a nonce we
// sent, so every entry is an address that can receive; the bound is for a
// botnet, where refusing to track more is better than growing without end.
const maxTrackedSources = 100_000

type lockout struct {
	max    int
	window time.Duration
	ban    time.Duration

	mu      sync.Mutex
	sources map[netip.Addr]*failures
	users   map[string]*failures // only agents on the roster: bounded
	swept   time.Time
}

type failures struct {
	first  time.Time // start of the current window
	count  int
	banned time.Time // zero: not banned
}

func newLockout(max int, window, ban time.Duration) *lockout {
	return &lockout{max: max, window: window, ban: ban,
		sources: make(map[netip.Addr]*failures), users: make(map[string]*failures)}
}

func (f *failures) bannedAt(now time.Time) bool {
	return f != nil && !f.banned.IsZero() && now.Before(f.banned)
}

// banned reports whether ip is locked out at now.
func (l *lockout) banned(ip netip.Addr, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.sources[ip].bannedAt(now)
}

// userBanned reports whether agent's credentials are locked out at now.
func (l *lockout) userBanned(agent string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.users[agent].bannedAt(now)
}

// fail records a failed check from ip; known says agent is on the roster
// (only those are counted per agent, so made-up names cannot grow the map).
// It reports which lockouts the failure started.
func (l *lockout) fail(ip netip.Addr, agent string, known bool, now time.Time) (sourceBan, userBan bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.swept) > l.window || len(l.sources) >= maxTrackedSources {
		sweep(l.sources, now, l.window)
		sweep(l.users, now, l.window)
		l.swept = now
	}
	if _, ok := l.sources[ip]; ok || len(l.sources) < maxTrackedSources {
		sourceBan = count(l, l.sources, ip, now)
	}
	if known {
		userBan = count(l, l.users, agent, now)
	}
	return sourceBan, userBan
}

// count adds a failure for key and reports whether it started a lockout.
func count[K comparable](l *lockout, m map[K]*failures, key K, now time.Time) bool {
	f := m[key]
	if f == nil || l.expired(f, now) {
		f = &failures{first: now}
		m[key] = f
	}
	f.count++
	if f.count >= l.max && !f.bannedAt(now) {
		f.banned = now.Add(l.ban)
		return true
	}
	return false
}

// expired: the window is over and no lockout is running.
func (l *lockout) expired(f *failures, now time.Time) bool {
	return now.Sub(f.first) > l.window && !f.bannedAt(now)
}

func sweep[K comparable](m map[K]*failures, now time.Time, window time.Duration) {
	for k, f := range m {
		if now.Sub(f.first) > window && !f.bannedAt(now) {
			delete(m, k)
		}
	}
}
