// Package siptest is a scripted SIP caller built on the same libraries as the
// server (sipgo, pion/rtp through media): it dials, streams audio, sends RFC
// 4733 or SIP INFO digits, holds, hangs up, and measures what it heard
// (prompt frames, silence, RTP jitter) and how long setup took. The sip
// package's integration tests and `switchboard loadgen` use it.
package siptest
