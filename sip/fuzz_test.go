package sip

import (
	"testing"

	"github.com/emiago/sipgo/sip"
)

const seedOffer = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n" +
	"m=audio 4000 RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n" +
	"a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=ptime:20\r\na=sendrecv\r\n"

// FuzzParseOffer: any SDP body yields an offer or an error, never a panic,
// and an accepted offer always names a codec we can send and a real port.
func FuzzParseOffer(f *testing.F) {
	f.Add([]byte(seedOffer))
	f.Add([]byte("v=0\r\nc=IN IP4 0.0.0.0\r\nm=audio 1 RTP/AVP 8\r\na=inactive\r\n"))
	f.Add([]byte("v=0\r\nm=audio 70000 RTP/AVP 0\r\n"))
	f.Fuzz(func(t *testing.T, body []byte) {
		o, err := parseOffer(body)
		if err != nil {
			return
		}
		if o.Codec.Name != "PCMU" && o.Codec.Name != "PCMA" {
			t.Fatalf("accepted codec %q", o.Codec.Name)
		}
		if !o.Remote.IsValid() || o.Remote.Port() == 0 {
			t.Fatalf("accepted address %v", o.Remote)
		}
		_ = answer(o.Remote, o, o.Direction.Reverse(), 1, 1)
	})
}

// FuzzScreenInvite: a parsed INVITE of any shape is screened to a call or a
// 4xx, never a panic.
func FuzzScreenInvite(f *testing.F) {
	f.Add([]byte("INVITE sip:96069@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK1\r\n" +
		"From: <sip:1000@127.0.0.1>;tag=1\r\nTo: <sip:96069@127.0.0.1>\r\nCall-ID: a\r\nCSeq: 1 INVITE\r\n" +
		"Contact: <sip:1000@127.0.0.1:5070>\r\nContent-Type: application/sdp\r\n" +
		"Content-Length: " + itoa(len(seedOffer)) + "\r\n\r\n" + seedOffer))
	f.Add([]byte("INVITE sip:404@h SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK2\r\nFrom: <sip:a@h>;tag=1\r\nTo: <sip:404@h>\r\nCall-ID: b\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n"))
	srv, err := New(Config{}, Deps{Handler: nil, Prompts: testPrompts, Claims: func(n string) bool { return n != "404" }})
	if err == nil {
		f.Fatal("New without a handler succeeded")
	}
	srv, err = New(Config{}, Deps{Handler: runs(noopHandler), Prompts: testPrompts, Claims: func(n string) bool { return n != "404" }})
	if err != nil {
		f.Fatal(err)
	}
	parser := sip.NewParser()
	f.Fuzz(func(t *testing.T, raw []byte) {
		msg, err := parser.ParseSIP(raw)
		if err != nil {
			return
		}
		req, ok := msg.(*sip.Request)
		if !ok {
			return
		}
		_, code, _ := srv.screenInvite(req)
		if code != 0 && (code < 400 || code > 599) {
			t.Fatalf("screen status %d", code)
		}
	})
}

func itoa(n int) string {
	b := []byte{}
	for {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
		if n == 0 {
			return string(b)
		}
	}
}
