// Package peers drives real SIP user agents from Debian — baresip (RFC 4733
// DTMF, controlled over ctrl_tcp) and linphonec (SIP INFO or RFC 4733 DTMF,
// driven on stdin) — for end-to-end tests over loopback. The recipes are
// those of shared/REAL-PEERS.md. Each driver lives in its own temporary
// directory, runs under a hard timeout, and reports what the agent heard as
// a WAV file.
package peers
