package sip

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/pion/sdp/v3"
	"github.com/switchboard-cc/switchboard/media"
)

// Offer/answer (RFC 3264) for one audio stream: G.711 at 8 kHz plus RFC 4733
// telephone-event, ptime 20.

var (
	// errBadSDP is an offer that does not parse: 400 Bad Request.
	errBadSDP = errors.New("malformed sdp")
	// errNoMatch is a well-formed offer with nothing we can use: 488.
	errNoMatch = errors.New("no acceptable media")
)

// Direction is an SDP stream direction attribute (RFC 3264 §5.1).
type Direction string

const (
	SendRecv Direction = "sendrecv"
	SendOnly Direction = "sendonly"
	RecvOnly Direction = "recvonly"
	Inactive Direction = "inactive"
)

// reverse is the answer's direction for an offer's.
func (d Direction) reverse() Direction {
	switch d {
	case SendOnly:
		return RecvOnly
	case RecvOnly:
		return SendOnly
	}
	return d
}

// offer is what we take from a caller's SDP.
type offer struct {
	Remote    netip.AddrPort // where the SDP says to send RTP
	Codec     media.Codec    // PayloadType is the offer's (static 0/8, or dynamic if mapped so)
	DTMFPT    uint8          // caller's telephone-event PT; 0: none offered
	Direction Direction
	// OnHold is the old RFC 2543 style hold: c=0.0.0.0.
	OnHold bool
}

// maxSDPBytes bounds what we parse; a real offer is a few hundred bytes.
const maxSDPBytes = 8 << 10

// parseOffer picks the first codec in the caller's preference order that we
// speak, and the caller's telephone-event payload type.
func parseOffer(body []byte) (offer, error) {
	var o offer
	if len(body) == 0 {
		return o, fmt.Errorf("%w: no sdp body", errNoMatch)
	}
	if len(body) > maxSDPBytes {
		return o, fmt.Errorf("%w: %d bytes", errBadSDP, len(body))
	}
	var sd sdp.SessionDescription
	if err := sd.Unmarshal(body); err != nil {
		return o, fmt.Errorf("%w: %v", errBadSDP, err)
	}
	sessionDir := directionOf(sd.Attributes, SendRecv)
	var conn *sdp.ConnectionInformation
	if sd.ConnectionInformation != nil {
		conn = sd.ConnectionInformation
	}
	for _, md := range sd.MediaDescriptions {
		if md == nil || md.MediaName.Media != "audio" || md.MediaName.Port.Value == 0 {
			continue
		}
		if !hasProto(md.MediaName.Protos, "RTP", "AVP") {
			continue // SAVP, UDP/TLS/...: no SRTP yet
		}
		c := conn
		if md.ConnectionInformation != nil {
			c = md.ConnectionInformation
		}
		if c == nil || c.Address == nil {
			return o, fmt.Errorf("%w: no connection address", errBadSDP)
		}
		host := c.Address.Address
		if i := strings.IndexByte(host, '/'); i >= 0 {
			host = host[:i]
		}
		ip, err := netip.ParseAddr(host)
		if err != nil {
			return o, fmt.Errorf("%w: connection address %q", errBadSDP, host)
		}
		port := md.MediaName.Port.Value
		if port < 1 || port > 65535 {
			return o, fmt.Errorf("%w: port %d", errBadSDP, port)
		}
		o.Remote = netip.AddrPortFrom(ip.Unmap(), uint16(port))
		o.OnHold = ip.IsUnspecified()
		o.Direction = directionOf(md.Attributes, sessionDir)

		rtpmap := map[uint8]string{}
		for _, a := range md.Attributes {
			if a.Key != "rtpmap" {
				continue
			}
			ptStr, enc, ok := strings.Cut(a.Value, " ")
			pt, err := strconv.ParseUint(ptStr, 10, 7)
			if !ok || err != nil {
				return o, fmt.Errorf("%w: rtpmap %q", errBadSDP, a.Value)
			}
			rtpmap[uint8(pt)] = strings.ToLower(enc)
		}
		found := false
		for _, f := range md.MediaName.Formats {
			pt64, err := strconv.ParseUint(f, 10, 7)
			if err != nil {
				return o, fmt.Errorf("%w: format %q", errBadSDP, f)
			}
			pt := uint8(pt64)
			enc, mapped := rtpmap[pt]
			switch {
			case enc == "telephone-event/8000":
				if o.DTMFPT == 0 {
					o.DTMFPT = pt
				}
			case found:
			case enc == "pcmu/8000" || (!mapped && pt == 0):
				o.Codec, found = media.PCMU, true
				o.Codec.PayloadType = pt
			case enc == "pcma/8000" || (!mapped && pt == 8):
				o.Codec, found = media.PCMA, true
				o.Codec.PayloadType = pt
			}
		}
		if !found {
			return o, fmt.Errorf("%w: no PCMU or PCMA at 8 kHz", errNoMatch)
		}
		return o, nil
	}
	return o, fmt.Errorf("%w: no RTP/AVP audio stream", errNoMatch)
}

func hasProto(protos []string, want ...string) bool {
	return strings.EqualFold(strings.Join(protos, "/"), strings.Join(want, "/"))
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

// answer writes our SDP answer. sessionID is fixed per call and version
// grows with each re-INVITE answer (RFC 3264 §8).
func answer(local netip.AddrPort, o offer, dir Direction, sessionID, version uint64) []byte {
	ipv := "IP4"
	if local.Addr().Is6() {
		ipv = "IP6"
	}
	ip := local.Addr().String()
	var b strings.Builder
	b.Grow(300)
	b.WriteString("v=0\r\no=switchboard ")
	b.WriteString(strconv.FormatUint(sessionID, 10))
	b.WriteByte(' ')
	b.WriteString(strconv.FormatUint(version, 10))
	b.WriteString(" IN " + ipv + " " + ip + "\r\ns=switchboard\r\nc=IN " + ipv + " " + ip + "\r\nt=0 0\r\nm=audio ")
	b.WriteString(strconv.Itoa(int(local.Port())))
	b.WriteString(" RTP/AVP ")
	b.WriteString(strconv.Itoa(int(o.Codec.PayloadType)))
	if o.DTMFPT != 0 {
		b.WriteByte(' ')
		b.WriteString(strconv.Itoa(int(o.DTMFPT)))
	}
	b.WriteString("\r\na=rtpmap:")
	b.WriteString(strconv.Itoa(int(o.Codec.PayloadType)))
	b.WriteByte(' ')
	b.WriteString(o.Codec.Name)
	b.WriteString("/8000\r\n")
	if o.DTMFPT != 0 {
		pt := strconv.Itoa(int(o.DTMFPT))
		b.WriteString("a=rtpmap:" + pt + " telephone-event/8000\r\na=fmtp:" + pt + " 0-16\r\n")
	}
	b.WriteString("a=ptime:20\r\na=")
	b.WriteString(string(dir))
	b.WriteString("\r\n")
	return []byte(b.String())
}
