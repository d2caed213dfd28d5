// Package connlimit admits and releases TCP connections within a cap per
// source address and a cap in total. It is the one owner of that count for
// both listeners that need it: the HTTP API's and the SIP TCP transport's.
// Each wraps its own net.Listener and keeps its own policy around the
// count — what to do when Accept fails, what to log or count when a
// connection is refused, when an idle connection is closed.
//
// A Limiter is safe for concurrent use. Its invariants:
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
package connlimit
