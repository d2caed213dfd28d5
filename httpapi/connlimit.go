package httpapi

import (
	"log/slog"
	"net"
	"time"

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

// connLimits are Serve's caps: loopback sources count against the total
// only.
func connLimits(perSource, total int) connlimit.Limits {
	return connlimit.Limits{PerSource: perSource, Total: total, LoopbackExempt: true}
}

// newLimitedListener wraps ln in the caps. Its Accept also retries every
// failure of ln's: http.Server would retry only the temporary ones (EMFILE)
// and return on the others (ENOBUFS, ENOMEM, the network errors Linux's
// accept passes on from the new connection), ending Serve and, with it,
// the whole switchboard.
func newLimitedListener(ln net.Listener, perSource, total int, log *slog.Logger) *connlimit.Listener {
	return connlimit.NewListener(ln, connlimit.New(connLimits(perSource, total)), connlimit.Events{
		Refused: func(c net.Conn) {
			log.Debug("httpapi: connection refused: too many open", "remote", c.RemoteAddr().String())
		},
		AcceptFailed: func(err error, retryIn time.Duration) {
			log.Warn("httpapi: accept failed, retrying", "err", err, "retry_in", retryIn)
		},
	})
}
