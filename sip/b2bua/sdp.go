package b2bua

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/pion/sdp/v3"

	"github.com/switchboard-cc/switchboard/media"
)

// Offer/answer (RFC 3264) toward agents' phones: one audio stream, G.711 at
// 8 kHz (the caller's codec first, so the phone can choose passthrough) and
// RFC 4733 telephone-event.

// Direction is an SDP stream direction attribute (RFC 3264 §5.1).
type Direction string

const (
	SendRecv Direction = "sendrecv"
	SendOnly Direction = "sendonly"
	RecvOnly Direction = "recvonly"
	Inactive Direction = "inactive"
)

// reverse is the answer's direction for an offer's (RFC 3264 §6.1).
func (d Direction) reverse() Direction {
	switch d {
	case SendOnly:
		return RecvOnly
	case RecvOnly:
		return SendOnly
	}
	return d
}

// heldBy reports whether the side that sent d put the other on hold: it no
// longer wants to receive (sendonly, inactive; RFC 3264 §8.4).
func (d Direction) heldBy() bool { return d == SendOnly || d == Inactive }

// agentDTMFPT is the telephone-event payload type we offer agents' phones.
const agentDTMFPT = 101

// maxSDPBytes bounds what we parse; a real description is a few hundred bytes.
const maxSDPBytes = 8 << 10

var errNoMedia = errors.New("no acceptable media")

// mediaDesc is what we take from a phone's SDP (answer or re-INVITE offer).
type mediaDesc struct {
	Remote    netip.AddrPort
	Codec     media.Codec // PayloadType as the phone numbers it
	DTMFPT    uint8       // 0: no telephone-event
	Direction Direction
}

// parseSDP reads the first RTP/AVP audio stream of body.
func parseSDP(body []byte) (mediaDesc, error) {
	var d mediaDesc
	if len(body) == 0 || len(body) > maxSDPBytes {
		return d, fmt.Errorf("%w: sdp of %d bytes", errNoMedia, len(body))
	}
	var sd sdp.SessionDescription
	if err := sd.Unmarshal(body); err != nil {
		return d, fmt.Errorf("parse sdp: %w", err)
	}
	sessionDir := directionOf(sd.Attributes, SendRecv)
	for _, md := range sd.MediaDescriptions {
		if md == nil || md.MediaName.Media != "audio" || md.MediaName.Port.Value == 0 {
			continue
		}
		if !strings.EqualFold(strings.Join(md.MediaName.Protos, "/"), "RTP/AVP") {
			continue
		}
		ci := sd.ConnectionInformation
		if md.ConnectionInformation != nil {
			ci = md.ConnectionInformation
		}
		if ci == nil || ci.Address == nil {
			return d, fmt.Errorf("%w: no connection address", errNoMedia)
		}
		host, _, _ := strings.Cut(ci.Address.Address, "/")
		ip, err := netip.ParseAddr(host)
		if err != nil {
			return d, fmt.Errorf("%w: connection address %q", errNoMedia, host)
		}
		port := md.MediaName.Port.Value
		if port < 1 || port > 65535 {
			return d, fmt.Errorf("%w: port %d", errNoMedia, port)
		}
		d.Remote = netip.AddrPortFrom(ip.Unmap(), uint16(port))
		d.Direction = directionOf(md.Attributes, sessionDir)
		if ip.IsUnspecified() && d.Direction == SendRecv {
			d.Direction = Inactive // RFC 2543 hold: c=0.0.0.0
		}
		rtpmap := map[uint8]string{}
		for _, a := range md.Attributes {
			if a.Key != "rtpmap" {
				continue
			}
			ptStr, enc, _ := strings.Cut(a.Value, " ")
			if pt, err := strconv.ParseUint(ptStr, 10, 7); err == nil {
				rtpmap[uint8(pt)] = strings.ToLower(enc)
			}
		}
		found := false
		for _, f := range md.MediaName.Formats {
			pt64, err := strconv.ParseUint(f, 10, 7)
			if err != nil {
				continue
			}
			pt := uint8(pt64)
			enc, mapped := rtpmap[pt]
			switch {
			case strings.HasPrefix(enc, "telephone-event/8000"):
				if d.DTMFPT == 0 {
					d.DTMFPT = pt
				}
			case found:
			case enc == "pcmu/8000" || (!mapped && pt == 0):
				d.Codec, found = media.PCMU, true
				d.Codec.PayloadType = pt
			case enc == "pcma/8000" || (!mapped && pt == 8):
				d.Codec, found = media.PCMA, true
				d.Codec.PayloadType = pt
			}
		}
		if !found {
			return d, fmt.Errorf("%w: no PCMU or PCMA", errNoMedia)
		}
		return d, nil
	}
	return d, fmt.Errorf("%w: no RTP/AVP audio stream", errNoMedia)
}

func directionOf(attrs []sdp.Attribute, def Direction) Direction {
	for _, a := range attrs {
		switch Direction(a.Key) {
		case SendRecv, SendOnly, RecvOnly, Inactive:
			return Direction(a.Key)
		}
	}
	return def
}

// writeSDP renders our description: codecs in preference order, then
// telephone-event when dtmfPT is not 0. sessionID is fixed per leg and
// version grows with each new description (RFC 3264 §8).
func writeSDP(local netip.AddrPort, codecs []media.Codec, dtmfPT uint8, dir Direction, sessionID, version uint64) []byte {
	ipv := "IP4"
	if local.Addr().Is6() {
		ipv = "IP6"
	}
	ip := local.Addr().String()
	var b strings.Builder
	fmt.Fprintf(&b, "v=0\r\no=switchboard %d %d IN %s %s\r\ns=switchboard\r\nc=IN %s %s\r\nt=0 0\r\nm=audio %d RTP/AVP",
		sessionID, version, ipv, ip, ipv, ip, local.Port())
	for _, c := range codecs {
		fmt.Fprintf(&b, " %d", c.PayloadType)
	}
	if dtmfPT != 0 {
		fmt.Fprintf(&b, " %d", dtmfPT)
	}
	b.WriteString("\r\n")
	for _, c := range codecs {
		fmt.Fprintf(&b, "a=rtpmap:%d %s/8000\r\n", c.PayloadType, c.Name)
	}
	if dtmfPT != 0 {
		fmt.Fprintf(&b, "a=rtpmap:%d telephone-event/8000\r\na=fmtp:%d 0-16\r\n", dtmfPT, dtmfPT)
	}
	fmt.Fprintf(&b, "a=ptime:20\r\na=%s\r\n", dir)
	return []byte(b.String())
}
