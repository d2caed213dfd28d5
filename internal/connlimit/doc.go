// Package connlimit keeps a TCP listener's connections within a cap per
// source address and a cap in total, and keeps its Accept going when the
// system fails it. It is the one owner of both for the HTTP API and the SIP
// TCP transport; each keeps its own policy around them (what to log or
// count on a refusal or a failed Accept, when to close an idle connection).
//
// A Limiter admits and releases connections; it is safe for concurrent use.
// Its invariants:
//   - Admit counts a connection only when both caps leave room; a cap <= 0
//     is no cap.
//   - The source is the remote IP address without its port; an
//     IPv4-mapped IPv6 address (a dual-stack listener's IPv4 client) counts
//     as that IPv4 address. A remote address that is no IP address (a Unix
//     socket) counts under one source, the zero netip.Addr.
//   - With LoopbackExempt, a loopback source counts against the total only:
//     a reverse proxy on the same machine speaks for all its clients.
//   - An admitted connection gives its slot back on its first Close, once,
//     however often Close is called.
//
// A Listener wraps a net.Listener with a Limiter: a connection over a cap
// is closed as soon as accepted, and Accept returns the next one. A failed
// Accept of the wrapped listener is retried after a wait of 5 ms doubling
// to 1 s, whatever the error (net/http retries only those it calls
// temporary and returns the others, ending Serve); Accept returns an error
// only once the listener is closed.
package connlimit
