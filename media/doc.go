// Package media moves call audio: RTP over UDP with pion/rtp, G.711 µ-law and
// A-law, prompts decoded once from WAV into 20 ms frames, a shared 20 ms
// pacer, RFC 4733 telephone-events in and out, recording to WAV with silence
// detection, and looping music on hold.
//
// media never imports SIP: the signalling layer negotiates codecs and
// addresses and hands media a Session per call.
//
// Invariants:
//   - One Pacer goroutine (per shard) sends every call's packets; there is no
//     goroutine or timer per packet. A stream's sequence number grows by one
//     per packet sent, its timestamp by 160 per 20 ms tick whether or not a
//     packet was sent, and the marker bit is set on the first packet of each
//     talkspurt (RFC 3550 §5.1, RFC 3551 §4.1).
//   - The per-packet paths (Session's tick and its receive handler) do not
//     allocate; BenchmarkSessionTick and BenchmarkReceivePacket hold that line.
//   - Prompt frames are decoded once per (file, codec) and shared read-only by
//     every call that plays them.
//   - Symmetric RTP: once the caller's RTP arrives, packets go back to the
//     address it came from, not the one the SDP named (callers behind NAT).
package media
