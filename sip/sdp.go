package sip

import (
	"errors"
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

// holdsUs reports whether the peer's offer puts us on hold (RFC 3264 §8.4:
// c=0.0.0.0, sendonly or inactive): we send nothing then.
func holdsUs(o offer) bool {
	return o.OnHold || o.Direction == SendOnly || o.Direction == Inactive
}

// readReoffer reads the SDP of an in-dialog re-INVITE or UPDATE: the new
// offer, or the status and reason to refuse it with — 400 when it does not
// parse, 488 when it has no codec we speak or changes the call's codec
// (pt), which would need a new media session.
func readReoffer(body []byte, pt uint8) (offer, int, string) {
	no, err := parseOffer(body)
	switch {
	case errors.Is(err, errBadSDP):
		return no, 400, "Bad Request (SDP)"
	case err != nil, no.Codec.PayloadType != pt:
		return no, 488, "Not Acceptable Here"
	}
	return no, 0, ""
}

// answer writes our SDP answer: the offer's codec and telephone-event.
// sessionID is fixed per call and version grows with each re-INVITE answer
// (RFC 3264 §8).
func answer(local netip.AddrPort, o offer, dir Direction, sessionID, version uint64) []byte {
	return sdpaudio.Write(local, []media.Codec{o.Codec}, o.DTMFPT, dir, sessionID, version)
}
