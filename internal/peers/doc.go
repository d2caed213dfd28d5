// Package peers is the one place that drives real SIP user agents from
// Debian — baresip (RFC 4733 DTMF, hold/resume, transfer, microphone
// switch, controlled over ctrl_tcp) and linphonec (SIP INFO or RFC 4733
// DTMF, driven on stdin) — for end-to-end tests over loopback. The recipes
// are those of shared/REAL-PEERS.md. A baresip can be a caller or an
// agent's phone that registers with a password and answers by itself.
//
// StartBaresip and StartLinphone take a context and return errors;
// NewBaresip, Require and the Must methods are their testing.TB side (the
// test owns the process, skips without SWITCHBOARD_E2E=1, fails on error).
// Each driver lives in its own temporary directory, runs under a hard
// timeout, and reports what the agent heard as WAV files; WriteTone and
// SpeechWAV make microphones, RMS measures what was heard.
package peers
