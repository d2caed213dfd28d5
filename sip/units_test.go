package sip

import (
	"strings"
	"testing"
	"time"
)

func TestParseOffer(t *testing.T) {
	const head = "v=0\r\no=- 1 1 IN IP4 10.0.0.5\r\ns=-\r\nc=IN IP4 10.0.0.5\r\nt=0 0\r\n"
	tests := []struct {
		name    string
		sdp     string
		codec   string
		pt      uint8
		dtmf    uint8
		dir     Direction
		hold    bool
		wantErr error
	}{
		{"baresip", head + "m=audio 4000 RTP/AVP 0 8 101\r\na=rtpmap:101 telephone-event/8000\r\n", "PCMU", 0, 101, SendRecv, false, nil},
		{"linphone pt 97, pcma first", head + "m=audio 4000 RTP/AVP 8 0 97\r\na=rtpmap:97 telephone-event/8000\r\na=sendrecv\r\n", "PCMA", 8, 97, SendRecv, false, nil},
		{"opus first then pcmu", head + "m=audio 4000 RTP/AVP 96 0\r\na=rtpmap:96 opus/48000/2\r\n", "PCMU", 0, 0, SendRecv, false, nil},
		{"dynamic pcmu", head + "m=audio 4000 RTP/AVP 110\r\na=rtpmap:110 PCMU/8000\r\n", "PCMU", 110, 0, SendRecv, false, nil},
		{"session-level sendonly", head + "a=sendonly\r\nm=audio 4000 RTP/AVP 0\r\n", "PCMU", 0, 0, SendOnly, false, nil},
		{"media-level inactive", head + "m=audio 4000 RTP/AVP 0\r\na=inactive\r\n", "PCMU", 0, 0, Inactive, false, nil},
		{"rfc2543 hold", strings.Replace(head, "c=IN IP4 10.0.0.5", "c=IN IP4 0.0.0.0", 1) + "m=audio 4000 RTP/AVP 0\r\n", "PCMU", 0, 0, SendRecv, true, nil},
		{"video first", head + "m=video 5000 RTP/AVP 96\r\nm=audio 4000 RTP/AVP 8\r\n", "PCMA", 8, 0, SendRecv, false, nil},
		{"g722 only", head + "m=audio 4000 RTP/AVP 9\r\n", "", 0, 0, "", false, errNoMatch},
		{"no audio", head + "m=video 5000 RTP/AVP 96\r\n", "", 0, 0, "", false, errNoMatch},
		{"rejected stream", head + "m=audio 0 RTP/AVP 0\r\n", "", 0, 0, "", false, errNoMatch},
		{"srtp", head + "m=audio 4000 RTP/SAVP 0\r\n", "", 0, 0, "", false, errNoMatch},
		{"garbage", "hello", "", 0, 0, "", false, errBadSDP},
		{"bad address", strings.Replace(head, "10.0.0.5\r\nt", "not-an-ip\r\nt", 1) + "m=audio 4000 RTP/AVP 0\r\n", "", 0, 0, "", false, errBadSDP},
		{"empty", "", "", 0, 0, "", false, errNoMatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := parseOffer([]byte(tt.sdp))
			if tt.wantErr != nil {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr.Error()) {
					t.Fatalf("parseOffer err = %v; want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseOffer: %v", err)
			}
			if o.Codec.Name != tt.codec || o.Codec.PayloadType != tt.pt || o.DTMFPT != tt.dtmf || o.Direction != tt.dir || o.OnHold != tt.hold {
				t.Errorf("parseOffer = %s/%d dtmf %d %s hold=%v; want %s/%d dtmf %d %s hold=%v",
					o.Codec.Name, o.Codec.PayloadType, o.DTMFPT, o.Direction, o.OnHold, tt.codec, tt.pt, tt.dtmf, tt.dir, tt.hold)
			}
		})
	}
}

func TestAnswerSDP(t *testing.T) {
	o, err := parseOffer([]byte(seedOffer))
	if err != nil {
		t.Fatal(err)
	}
	got := string(answer(o.Remote, o, RecvOnly, 42, 3))
	for _, want := range []string{"o=switchboard 42 3 IN IP4 127.0.0.1", "m=audio 4000 RTP/AVP 0 101", "a=rtpmap:0 PCMU/8000",
		"a=rtpmap:101 telephone-event/8000", "a=fmtp:101 0-16", "a=ptime:20", "a=recvonly"} {
		if !strings.Contains(got, want+"\r\n") {
			t.Errorf("answer lacks %q:\n%s", want, got)
		}
	}
}

func TestDTMFFromInfo(t *testing.T) {
	tests := []struct {
		ct, body string
		want     byte
		ok       bool
	}{
		{"application/dtmf-relay", "Signal=5\r\nDuration=160\r\n", '5', true},
		{"application/dtmf-relay", "Signal= #\r\nDuration=250", '#', true},
		{"application/dtmf-relay", "signal=10\r\n", '*', true},
		{"application/dtmf-relay", "Signal=11", '#', true},
		{"Application/DTMF-Relay; charset=x", "Signal=a", 'A', true},
		{"application/dtmf", "7", '7', true},
		{"application/dtmf", " * ", '*', true},
		{"application/dtmf", "77", 0, false},
		{"application/dtmf-relay", "Duration=160", 0, false},
		{"application/dtmf-relay", "Signal=X", 0, false},
		{"text/plain", "5", 0, false},
	}
	for _, tt := range tests {
		got, ok := dtmfFromInfo(tt.ct, []byte(tt.body))
		if got != tt.want || ok != tt.ok {
			t.Errorf("dtmfFromInfo(%q, %q) = %q, %v; want %q, %v", tt.ct, tt.body, got, ok, tt.want, tt.ok)
		}
	}
}

func TestFloodLimiter(t *testing.T) {
	now := time.Unix(0, 0)
	f := newFloodLimiter(2, 3, func() time.Time { return now })
	for i := range 3 {
		if !f.allow("10.0.0.1") {
			t.Fatalf("INVITE %d within the burst refused", i)
		}
	}
	if f.allow("10.0.0.1") {
		t.Error("INVITE over the burst allowed")
	}
	if !f.allow("10.0.0.2") {
		t.Error("another source refused")
	}
	now = now.Add(500 * time.Millisecond) // one token back at 2/s
	if !f.allow("10.0.0.1") || f.allow("10.0.0.1") {
		t.Error("refill after 500 ms at 2/s is not exactly one token")
	}
	off := newFloodLimiter(-1, 1, func() time.Time { return now })
	for range 100 {
		if !off.allow("10.0.0.1") {
			t.Fatal("disabled limiter refused")
		}
	}
}
