package connlimit

import (
	"errors"
	"net"
	"sync"
	"time"
)

// acceptBackoff bounds the wait between failed Accepts: net/http's
// schedule for the errors it retries.
const (
	acceptBackoffMin = 5 * time.Millisecond
	acceptBackoffMax = time.Second
)

// Events tell a Listener's owner what it did; nil fields are skipped.
type Events struct {
	// Refused sees each connection over a cap before it is closed.
	Refused func(c net.Conn)
	// AcceptFailed sees each failed Accept of the wrapped listener and the
	// wait before the next try.
	AcceptFailed func(err error, retryIn time.Duration)
}

// Listener is a net.Listener whose connections stay within a Limiter's
// caps, and whose Accept outlives the wrapped listener's failures.
type Listener struct {
	net.Listener
	lim *Limiter
	ev  Events

	closeOnce sync.Once
	closed    chan struct{}
}

// NewListener wraps ln; lim counts its connections (a Limiter may be
// shared by several listeners).
func NewListener(ln net.Listener, lim *Limiter, ev Events) *Listener {
	return &Listener{Listener: ln, lim: lim, ev: ev, closed: make(chan struct{})}
}

// Accept returns the next connection within the caps; the others are
// closed as soon as accepted. A failed Accept of the wrapped listener
// (EMFILE when descriptors run out, ENOBUFS, a network error Linux passes
// on from the new connection) is retried after 5 ms, doubling up to 1 s,
// whether or not it calls itself temporary. Accept returns an error only
// once the listener is closed.
func (l *Listener) Accept() (net.Conn, error) {
	var delay time.Duration
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return nil, err
			}
			delay = min(max(2*delay, acceptBackoffMin), acceptBackoffMax)
			if l.ev.AcceptFailed != nil {
				l.ev.AcceptFailed(err, delay)
			}
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
		if lc, ok := l.lim.Admit(c); ok {
			return lc, nil
		}
		if l.ev.Refused != nil {
			l.ev.Refused(c)
		}
		c.Close()
	}
}

// Close closes the wrapped listener and ends a wait between failed Accepts.
func (l *Listener) Close() error {
	l.closeOnce.Do(func() { close(l.closed) })
	return l.Listener.Close()
}
