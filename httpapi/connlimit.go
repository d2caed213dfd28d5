package httpapi

import (
	"log/slog"
	"net"

	"github.com/switchboard-cc/switchboard/internal/connlimit"
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
	caps *connlimit.Limiter
	log  *slog.Logger
}

func newLimitedListener(ln net.Listener, perSource, total int, log *slog.Logger) *limitedListener {
	caps := connlimit.New(connlimit.Limits{PerSource: perSource, Total: total, LoopbackExempt: true})
	return &limitedListener{Listener: ln, caps: caps, log: log}
}

// Accept returns the next connection within the caps. Errors are the
// underlying listener's, unwrapped: http.Server retries those a net.Error
// calls temporary (EMFILE and ENFILE when descriptors run out) after 5 ms,
// doubling up to 1 s, as the SIP listener does.
func (l *limitedListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if lc, ok := l.caps.Admit(c); ok {
			return lc, nil
		}
		l.log.Debug("httpapi: connection refused: too many open", "remote", c.RemoteAddr().String())
		c.Close()
	}
}
