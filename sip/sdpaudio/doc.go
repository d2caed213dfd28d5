// Package sdpaudio reads and writes the session descriptions of one G.711
// audio stream (RFC 4566 SDP, RFC 3264 offer/answer): PCMU or PCMA at
// 8 kHz, RFC 4733 telephone-event, ptime 20. It is shared by the caller
// side (package sip: a caller's offer, our answer) and the agent side
// (package b2bua: our offer to a phone, its answer or re-INVITE).
//
// Invariants: a parsed Stream always names PCMU or PCMA with the payload
// type the peer numbers it, and a usable address and port; descriptions
// over MaxBytes are refused unread; Write's output parses back to what it
// was given.
package sdpaudio
