// Package sip is Switchboard's native telephony front end, built on sipgo:
// a user agent server for callers (UDP and TCP) that answers INVITEs with
// G.711 media (package media) and runs each call through the flow engine as
// an ivr.Call.
//
// Caller side (this package's Server and Call):
//   - INVITE -> 180 -> 200 OK with an SDP answer -> ACK; BYE and CANCEL from
//     the caller, BYE from us (Call.Hangup, or when the flow ends).
//   - 404 when no flow claims the dialed number, 488 when the offer has no
//     PCMU/PCMA, 400 for malformed requests or SDP, 486/503 at MaxCalls, 503
//     with Retry-After for a source over its INVITE rate; 400 for a Call-ID
//     or From user that is over-long or holds control characters; 505 for
//     any request not in SIP/2.0.
//   - SIP/TCP (tcplimit.go): Accept errors (EMFILE) are retried, never end
//     Serve; connections are capped per source IP and in all, and closed
//     after TCPIdleTimeout of silence unless a call in progress uses them.
//   - re-INVITE hold/unhold (sendonly, inactive, c=0.0.0.0) pauses our audio
//     and emits call.hold / call.unhold.
//   - DTMF from RFC 4733 (the caller's payload type) and SIP INFO
//     (application/dtmf-relay, application/dtmf) fill one buffer per call.
//   - A call with no RTP for RTPTimeout ends with EndError{system,
//     rtp_timeout}, so no call leaks.
//
// Invariants: every call that gets past screening ends exactly once (Call.Done
// closes, EndError says by whom and why), releases its RTP port, and leaves
// the call map; malformed input is answered, never panicked on
// (FuzzScreenInvite, FuzzParseOffer).
//
// Agent phones (registrar, B2BUA legs) live beside this server, not in it:
// Call.Connect is the seam where they plug in.
//
// Outbound (Dialer, dialer.go): callbacks are dialled on the configured
// trunk from the Dialer's own signalling socket, with RTP ports and prompts
// from the Server; an answered customer is bridged to agents through the
// same B2BUA legs as a caller. Only digits (and a leading +) are ever put
// in the trunk URI; every Outbound releases its port once hung up. A 200 OK
// the Dialer cannot use (bad or silent SDP, no To tag, one that crossed our
// CANCEL) is ACKed and hung up with BYE; customers' re-INVITEs are followed
// as callers' are, and a customer silent for RTPTimeout is ended (system,
// rtp_timeout). The trunk socket's stack log is limited as the Server's.
package sip
