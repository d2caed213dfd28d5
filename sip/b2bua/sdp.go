package b2bua

import (
	"github.com/switchboard-cc/switchboard/sip/sdpaudio"
)

// Offer/answer (RFC 3264) toward agents' phones, as package sdpaudio reads
// and writes it: one audio stream, G.711 at 8 kHz (the caller's codec
// first, so the phone can choose passthrough) and RFC 4733
// telephone-event. A phone's description is read leniently.

// Direction is an SDP stream direction attribute (RFC 3264 §5.1).
type Direction = sdpaudio.Direction

const (
	SendRecv = sdpaudio.SendRecv
	SendOnly = sdpaudio.SendOnly
	RecvOnly = sdpaudio.RecvOnly
	Inactive = sdpaudio.Inactive
)

// agentDTMFPT is the telephone-event payload type we offer agents' phones.
const agentDTMFPT = 101

// mediaDesc is what we take from a phone's SDP (answer or re-INVITE offer).
type mediaDesc = sdpaudio.Stream

// parseSDP reads the first RTP/AVP audio stream of body. An RFC 2543 hold
// (c=0.0.0.0) on a sendrecv stream reads as inactive, so one Direction
// says whether the phone holds.
func parseSDP(body []byte) (mediaDesc, error) {
	d, err := sdpaudio.ParseLenient(body)
	if err == nil && d.OnHold && d.Direction == SendRecv {
		d.Direction = Inactive
	}
	return d, err
}
