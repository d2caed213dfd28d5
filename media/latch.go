package media

import "net/netip"

// Strict RTP. A media socket's port is easy to find (a range, scanned in
// seconds) and UDP's source is whatever a sender writes, so a stream that
// follows any source (plain symmetric RTP, RFC 4961) lets a stranger take
// over a call's media: the caller's or agent's voice then goes to the
// stranger, who can speak into the call and press keys in the IVR — the
// "RTP bleed" of Asterisk's AST-2017-005. A Latch learns the peer's source
// once, as Asterisk's strictrtp does, and then holds it:
//
//   - packets from the address the signalling named are the peer's;
//   - while learning, another source is taken only after LatchProbation
//     packets from it in sequence (a NAT rewrites the peer's address, and a
//     phone may send from another port than it announced); its earlier
//     packets are dropped;
//   - once the peer has sent LatchProbation packets (or a source was
//     learned), every other source is dropped, until the signalling moves
//     the media (a re-INVITE naming another address starts learning anew).
//
// A peer whose NAT mapping changes mid-call is then not heard; that is
// Asterisk's trade too, and rarer than a scan of a server's RTP ports.

// LatchProbation is how many packets in sequence make a source the peer's
// (Asterisk's probation default).
const LatchProbation = 4

// Latch decides which packets are the peer's. Its zero value names no
// address and learns the first source that passes probation. It is used
// by one receive goroutine and is not safe for concurrent use.
type Latch struct {
	peer   netip.AddrPort // packets are accepted from here
	heard  int            // packets from peer while learning
	locked bool

	cand    netip.AddrPort // a source on probation
	candSeq uint16
	candN   int
}

// NewLatch starts learning with the address the signalling named.
func NewLatch(signalled netip.AddrPort) Latch { return Latch{peer: signalled} }

// Peer is the source packets are accepted from.
func (l *Latch) Peer() netip.AddrPort { return l.peer }

// Accept reports whether a packet with RTP sequence number seq from src is
// the peer's, and whether the peer's source just changed to src (replies
// go there from now on).
func (l *Latch) Accept(src netip.AddrPort, seq uint16) (ok, moved bool) {
	if src == l.peer {
		if !l.locked {
			l.heard++
			l.locked = l.heard >= LatchProbation
		}
		return true, false
	}
	if l.locked {
		return false, false
	}
	if src == l.cand && seq == l.candSeq+1 {
		l.candN++
	} else {
		l.cand, l.candN = src, 1
	}
	l.candSeq = seq
	if l.candN < LatchProbation {
		return false, false
	}
	*l = Latch{peer: src, locked: true}
	return true, true
}
