package sip

import (
	"net/netip"

	"github.com/switchboard-cc/switchboard/media"
	"github.com/switchboard-cc/switchboard/sip/sdpaudio"
)

// Offer/answer (RFC 3264) for one audio stream, as package sdpaudio reads
// and writes it: a caller's offer is parsed strictly (400 when it does not
// parse, 488 when nothing in it is usable) and answered with one codec.

var (
	// errBadSDP is an offer that does not parse: 400 Bad Request.
	errBadSDP = sdpaudio.ErrMalformed
	// errNoMatch is a well-formed offer with nothing we can use: 488.
	errNoMatch = sdpaudio.ErrNoMedia
)

// Direction is an SDP stream direction attribute (RFC 3264 §5.1).
type Direction = sdpaudio.Direction

const (
	SendRecv = sdpaudio.SendRecv
	SendOnly = sdpaudio.SendOnly
	RecvOnly = sdpaudio.RecvOnly
	Inactive = sdpaudio.Inactive
)

// offer is what we take from a caller's SDP; OnHold is c=0.0.0.0.
type offer = sdpaudio.Stream

// parseOffer picks the first codec in the caller's preference order that we
// speak, and the caller's telephone-event payload type.
func parseOffer(body []byte) (offer, error) { return sdpaudio.Parse(body) }

// answer writes our SDP answer: the offer's codec and telephone-event.
// sessionID is fixed per call and version grows with each re-INVITE answer
// (RFC 3264 §8).
func answer(local netip.AddrPort, o offer, dir Direction, sessionID, version uint64) []byte {
	return sdpaudio.Write(local, []media.Codec{o.Codec}, o.DTMFPT, dir, sessionID, version)
}
