package sdpaudio

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/pion/sdp/v3"

	"github.com/switchboard-cc/switchboard/media"
)

var (
	// ErrMalformed is a description that does not parse (a caller's
	// offer gets 400 Bad Request).
	ErrMalformed = errors.New("malformed sdp")
	// ErrNoMedia is a well-formed description with nothing we can use
	// (488 Not Acceptable Here).
	ErrNoMedia = errors.New("no acceptable media")
)

// MaxBytes bounds what we parse; a real description is a few hundred bytes.
const MaxBytes = 8 << 10

// Direction is an SDP stream direction attribute (RFC 3264 §5.1).
type Direction string

const (
	SendRecv Direction = "sendrecv"
	SendOnly Direction = "sendonly"
	RecvOnly Direction = "recvonly"
	Inactive Direction = "inactive"
)

// Reverse is the answer's direction for an offer's (RFC 3264 §6.1).
func (d Direction) Reverse() Direction {
	switch d {
	case SendOnly:
		return RecvOnly
	case RecvOnly:
		return SendOnly
	}
	return d
}

// HeldBy reports whether the side that sent d put the other on hold: it no
// longer wants to receive (sendonly, inactive; RFC 3264 §8.4).
func (d Direction) HeldBy() bool { return d == SendOnly || d == Inactive }

// Stream is what we take from a peer's description: its first RTP/AVP
// audio stream.
type Stream struct {
	Remote    netip.AddrPort // where the description says to send RTP
	Codec     media.Codec    // the first G.711 in the peer's order; PayloadType as the peer numbers it
	DTMFPT    uint8          // the peer's telephone-event payload type; 0: none
	Direction Direction
	// OnHold is the old RFC 2543 style hold: c=0.0.0.0. Direction is
	// left as written.
	OnHold bool
}

// Parse reads a description strictly: a malformed rtpmap or payload type
// is ErrMalformed. It is for a caller's offer, which we answer 400 when it
// does not parse.
func Parse(body []byte) (Stream, error) { return parse(body, false) }

// ParseLenient reads a description as Parse does, but skips a malformed
// rtpmap or payload type and takes telephone-event with extra parameters
// (telephone-event/8000/1): a phone's answer we make do with.
func ParseLenient(body []byte) (Stream, error) { return parse(body, true) }

func parse(body []byte, lenient bool) (Stream, error) {
	var s Stream
	if len(body) == 0 {
		return s, fmt.Errorf("%w: no sdp body", ErrNoMedia)
	}
	if len(body) > MaxBytes {
		return s, fmt.Errorf("%w: %d bytes", ErrMalformed, len(body))
	}
	var sd sdp.SessionDescription
	if err := sd.Unmarshal(body); err != nil {
		return s, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	sessionDir := directionOf(sd.Attributes, SendRecv)
	for _, md := range sd.MediaDescriptions {
		if md == nil || md.MediaName.Media != "audio" || md.MediaName.Port.Value == 0 {
			continue
		}
		if !strings.EqualFold(strings.Join(md.MediaName.Protos, "/"), "RTP/AVP") {
			continue // SAVP, UDP/TLS/...: no SRTP yet
		}
		c := sd.ConnectionInformation
		if md.ConnectionInformation != nil {
			c = md.ConnectionInformation
		}
		if c == nil || c.Address == nil {
			return s, fmt.Errorf("%w: no connection address", ErrMalformed)
		}
		host, _, _ := strings.Cut(c.Address.Address, "/")
		ip, err := netip.ParseAddr(host)
		if err != nil {
			return s, fmt.Errorf("%w: connection address %q", ErrMalformed, host)
		}
		port := md.MediaName.Port.Value
		if port < 1 || port > 65535 {
			return s, fmt.Errorf("%w: port %d", ErrMalformed, port)
		}
		s.Remote = netip.AddrPortFrom(ip.Unmap(), uint16(port))
		s.OnHold = ip.IsUnspecified()
		s.Direction = directionOf(md.Attributes, sessionDir)

		rtpmap := map[uint8]string{}
		for _, a := range md.Attributes {
			if a.Key != "rtpmap" {
				continue
			}
			ptStr, enc, ok := strings.Cut(a.Value, " ")
			pt, err := strconv.ParseUint(ptStr, 10, 7)
			switch {
			case err == nil && (ok || lenient): // lenient: a bare "96" maps 96 to no encoding
				rtpmap[uint8(pt)] = strings.ToLower(enc)
			case !lenient:
				return s, fmt.Errorf("%w: rtpmap %q", ErrMalformed, a.Value)
			}
		}
		found := false
		for _, f := range md.MediaName.Formats {
			pt64, err := strconv.ParseUint(f, 10, 7)
			if err != nil {
				if lenient {
					continue
				}
				return s, fmt.Errorf("%w: format %q", ErrMalformed, f)
			}
			pt := uint8(pt64)
			enc, mapped := rtpmap[pt]
			switch {
			case enc == "telephone-event/8000" || lenient && strings.HasPrefix(enc, "telephone-event/8000"):
				if s.DTMFPT == 0 {
					s.DTMFPT = pt
				}
			case found:
			case enc == "pcmu/8000" || (!mapped && pt == 0):
				s.Codec, found = media.PCMU, true
				s.Codec.PayloadType = pt
			case enc == "pcma/8000" || (!mapped && pt == 8):
				s.Codec, found = media.PCMA, true
				s.Codec.PayloadType = pt
			}
		}
		if !found {
			return s, fmt.Errorf("%w: no PCMU or PCMA at 8 kHz", ErrNoMedia)
		}
		return s, nil
	}
	return s, fmt.Errorf("%w: no RTP/AVP audio stream", ErrNoMedia)
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

// Write renders our description of one audio stream at local: codecs in
// preference order, then telephone-event when dtmfPT is not 0. sessionID
// is fixed per call leg and version grows with each new description (RFC
// 3264 §8).
func Write(local netip.AddrPort, codecs []media.Codec, dtmfPT uint8, dir Direction, sessionID, version uint64) []byte {
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
	b.WriteString(" RTP/AVP")
	for _, c := range codecs {
		b.WriteByte(' ')
		b.WriteString(strconv.Itoa(int(c.PayloadType)))
	}
	if dtmfPT != 0 {
		b.WriteByte(' ')
		b.WriteString(strconv.Itoa(int(dtmfPT)))
	}
	b.WriteString("\r\n")
	for _, c := range codecs {
		b.WriteString("a=rtpmap:" + strconv.Itoa(int(c.PayloadType)) + " " + c.Name + "/8000\r\n")
	}
	if dtmfPT != 0 {
		pt := strconv.Itoa(int(dtmfPT))
		b.WriteString("a=rtpmap:" + pt + " telephone-event/8000\r\na=fmtp:" + pt + " 0-16\r\n")
	}
	b.WriteString("a=ptime:20\r\na=" + string(dir) + "\r\n")
	return []byte(b.String())
}
