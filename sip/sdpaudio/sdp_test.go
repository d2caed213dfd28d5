package sdpaudio

import (
	"errors"
	"net/netip"
	"testing"

	"github.com/switchboard-cc/switchboard/media"
)

// The parsers differ only where a description is sloppy: Parse refuses it,
// ParseLenient makes do. (The full tables live with their users: sip's
// TestParseOffer, b2bua's TestParseSDP, and their fuzz targets.)
func TestParseStrictAndLenient(t *testing.T) {
	const head = "v=0\r\no=- 1 1 IN IP4 10.0.0.5\r\ns=-\r\nc=IN IP4 10.0.0.5\r\nt=0 0\r\n"
	tests := []struct {
		name       string
		sdp        string
		strictErr  error // nil: Parse accepts it
		lenientPT  uint8 // ParseLenient's codec payload type
		lenientDTM uint8 // ParseLenient's telephone-event payload type
	}{
		{"clean", head + "m=audio 4000 RTP/AVP 8 101\r\na=rtpmap:101 telephone-event/8000\r\n", nil, 8, 101},
		{"bad rtpmap", head + "m=audio 4000 RTP/AVP 0\r\na=rtpmap:x PCMU/8000\r\n", ErrMalformed, 0, 0},
		{"bad format", head + "m=audio 4000 RTP/AVP abc 0\r\n", ErrMalformed, 0, 0},
		{"events with channels", head + "m=audio 4000 RTP/AVP 0 101\r\na=rtpmap:101 telephone-event/8000/1\r\n", nil, 0, 101},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.sdp))
			if !errors.Is(err, tt.strictErr) {
				t.Errorf("Parse err = %v; want %v", err, tt.strictErr)
			}
			s, err := ParseLenient([]byte(tt.sdp))
			if err != nil || s.Codec.PayloadType != tt.lenientPT || s.DTMFPT != tt.lenientDTM {
				t.Errorf("ParseLenient = %+v, %v; want pt %d dtmf %d", s, err, tt.lenientPT, tt.lenientDTM)
			}
		})
	}
}

func TestWriteParsesBack(t *testing.T) {
	local := netip.MustParseAddrPort("[::1]:5004")
	pcma := media.PCMA
	body := Write(local, []media.Codec{pcma, media.PCMU}, 101, SendOnly, 7, 2)
	s, err := Parse(body)
	if err != nil {
		t.Fatal(err)
	}
	if s.Remote != local || s.Codec.Name != "PCMA" || s.Codec.PayloadType != 8 || s.DTMFPT != 101 || s.Direction != SendOnly || s.OnHold {
		t.Fatalf("Write then Parse = %+v\n%s", s, body)
	}
	if s.Direction.Reverse() != RecvOnly || !s.Direction.HeldBy() {
		t.Errorf("sendonly: reverse %s, held %v", s.Direction.Reverse(), s.Direction.HeldBy())
	}
}
