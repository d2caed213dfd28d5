package b2bua

import (
	"encoding/binary"
	"net/netip"
	"testing"

	"github.com/emiago/sipgo/sip"
	"gopkg.in/yaml.v3"

	"github.com/switchboard-cc/switchboard/media"
	"github.com/switchboard-cc/switchboard/sip/sdpaudio"
)

func TestTransferRulesValidate(t *testing.T) {
	tests := []struct {
		numbers []string
		ok      bool
	}{
		{[]string{"+493055512345", "+4930*", "0800*"}, true},
		{[]string{"*"}, false},
		{[]string{"+*"}, false},
		{[]string{"+49*30"}, false},
		{[]string{"sip:evil@example.com"}, false},
	}
	for _, tt := range tests {
		err := TransferRules{Numbers: tt.numbers}.Validate()
		if (err == nil) != tt.ok {
			t.Errorf("Validate(%v) = %v; want ok=%v", tt.numbers, err, tt.ok)
		}
	}
}

func TestTransferRulesResolve(t *testing.T) {
	var rules TransferRules
	src := "groups: {billing: billing, \"7001\": repairs}\nnumbers: [\"+493055512345\", \"+4940*\"]\n"
	if err := yaml.Unmarshal([]byte(src), &rules); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		uri        string
		kind, want string
	}{
		{"sip:billing@10.0.0.1", TransferQueue, "billing"},
		{"sip:7001@switchboard", TransferQueue, "repairs"},
		{"sip:+493055512345@anything", TransferNumber, "+493055512345"},
		{"sip:+49401234@x", TransferNumber, "+49401234"},
		{"tel:+49401234", TransferNumber, "+49401234"},
		{"sip:+4940@x", "", ""},          // the prefix alone is not a number
		{"sip:+4930555123456@x", "", ""}, // exact entries are exact
		{"sip:00493055512345@x", "", ""},
		{"sip:billing2@x", "", ""},
		{"sips:+900555@x", "", ""},
		{"http://evil.example/", "", ""},
	}
	for _, tt := range tests {
		var u sip.Uri
		if err := sip.ParseUri(tt.uri, &u); err != nil {
			if tt.kind != "" {
				t.Fatalf("parse %s: %v", tt.uri, err)
			}
			continue
		}
		kind, target, err := rules.resolve(u)
		if kind != tt.kind || target != tt.want || (err == nil) != (tt.kind != "") {
			t.Errorf("resolve(%s) = %q %q %v; want %q %q", tt.uri, kind, target, err, tt.kind, tt.want)
		}
	}
}

func TestParseSDP(t *testing.T) {
	body := func(c, m, extra string) []byte {
		return []byte("v=0\r\no=- 1 1 IN IP4 " + c + "\r\ns=-\r\nc=IN IP4 " + c + "\r\nt=0 0\r\n" + m + extra)
	}
	tests := []struct {
		name     string
		sdp      []byte
		codec    string
		pt, dtmf uint8
		dir      Direction
		remote   string
		bad      bool
	}{
		{"pcmu with events", body("10.0.0.5", "m=audio 4000 RTP/AVP 0 101\r\n", "a=rtpmap:101 telephone-event/8000\r\n"), "PCMU", 0, 101, SendRecv, "10.0.0.5:4000", false},
		{"pcma preferred", body("10.0.0.5", "m=audio 4000 RTP/AVP 8 0\r\n", "a=sendonly\r\n"), "PCMA", 8, 0, SendOnly, "10.0.0.5:4000", false},
		{"old-style hold", body("0.0.0.0", "m=audio 4000 RTP/AVP 0\r\n", ""), "PCMU", 0, 0, Inactive, "0.0.0.0:4000", false},
		{"dynamic pt", body("10.0.0.5", "m=audio 4000 RTP/AVP 96 97\r\n", "a=rtpmap:96 PCMA/8000\r\na=rtpmap:97 telephone-event/8000\r\na=inactive\r\n"), "PCMA", 96, 97, Inactive, "10.0.0.5:4000", false},
		{"opus only", body("10.0.0.5", "m=audio 4000 RTP/AVP 111\r\n", "a=rtpmap:111 opus/48000/2\r\n"), "", 0, 0, "", "", true},
		{"srtp only", body("10.0.0.5", "m=audio 4000 RTP/SAVP 0\r\n", ""), "", 0, 0, "", "", true},
		{"garbage", []byte("hello"), "", 0, 0, "", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := parseSDP(tt.sdp)
			if tt.bad {
				if err == nil {
					t.Fatalf("parseSDP = %+v; want an error", d)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d.Codec.Name != tt.codec || d.Codec.PayloadType != tt.pt || d.DTMFPT != tt.dtmf || d.Direction != tt.dir || d.Remote.String() != tt.remote {
				t.Fatalf("parseSDP = %+v", d)
			}
		})
	}
	// Our own offer parses back to what we meant.
	own := sdpaudio.Write(netip.MustParseAddrPort("127.0.0.1:5004"), []media.Codec{media.PCMA, media.PCMU}, 101, RecvOnly, 1, 2)
	d, err := parseSDP(own)
	if err != nil || d.Codec.Name != "PCMA" || d.DTMFPT != 101 || d.Direction != RecvOnly {
		t.Fatalf("own offer parsed as %+v, %v", d, err)
	}
}

func TestTranslatorKeepsOneStream(t *testing.T) {
	tr := newTranslator(media.PCMU, 101, media.PCMU, 101)
	pkt := func(ssrc uint32, seq uint16, ts uint32) []byte {
		p := make([]byte, 12+160)
		p[0], p[1] = 0x80, 0
		binary.BigEndian.PutUint16(p[2:], seq)
		binary.BigEndian.PutUint32(p[4:], ts)
		binary.BigEndian.PutUint32(p[8:], ssrc)
		return p
	}
	type hdr struct {
		marker bool
		seq    uint16
		ts     uint32
		ssrc   uint32
	}
	read := func(b []byte) hdr {
		return hdr{b[1]&0x80 != 0, binary.BigEndian.Uint16(b[2:]), binary.BigEndian.Uint32(b[4:]), binary.BigEndian.Uint32(b[8:])}
	}
	a := read(tr.translate(pkt(1, 100, 1000)))
	b := read(tr.translate(pkt(1, 101, 1160)))
	if !a.marker || b.marker || b.seq != a.seq+1 || b.ts != a.ts+160 || a.ssrc != b.ssrc {
		t.Fatalf("first two packets %+v %+v", a, b)
	}
	// A new source (the phone restarted its stream) continues our numbering.
	c := read(tr.translate(pkt(2, 5000, 99999)))
	if !c.marker || c.seq != b.seq+1 || c.ts != b.ts+160 || c.ssrc != a.ssrc {
		t.Fatalf("after source change %+v; want continuation of %+v", c, b)
	}
	// After hold, a new talkspurt.
	tr.resync.Store(true)
	d := read(tr.translate(pkt(2, 5100, 99999+16000)))
	if !d.marker || d.seq != c.seq+1 {
		t.Fatalf("after resync %+v", d)
	}
	// Comfort noise and unknown payload types are dropped.
	cn := pkt(2, 5101, 0)
	cn[1] = 13
	if tr.translate(cn) != nil {
		t.Fatal("comfort noise relayed")
	}
}

func TestDisplayNumber(t *testing.T) {
	tests := map[string]string{
		"+4930111222":            "+4930111222",
		"":                       "anonymous",
		`"><sip:x@evil>;tag=1`:   "sipxeviltag1",
		"Anna Schmidt":           "Anna Schmidt",
		"\r\nVia: SIP/2.0/UDP x": "Via SIP2.0UDP x",
	}
	for in, want := range tests {
		if got := displayNumber(in); got != want {
			t.Errorf("displayNumber(%q) = %q; want %q", in, got, want)
		}
	}
}

// FuzzParseSDP: whatever a phone sends as SDP, parsing returns a result or
// an error, never a panic, and a result always names a G.711 codec.
func FuzzParseSDP(f *testing.F) {
	f.Add([]byte("v=0\r\no=- 1 1 IN IP4 10.0.0.5\r\ns=-\r\nc=IN IP4 10.0.0.5\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\n"))
	f.Add([]byte("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\nm=audio 4000 RTP/AVP 96\r\na=rtpmap:96 PCMA/8000\r\na=inactive\r\n"))
	f.Add(sdpaudio.Write(netip.MustParseAddrPort("[::1]:5004"), []media.Codec{media.PCMU}, 101, SendOnly, 1, 1))
	f.Fuzz(func(t *testing.T, body []byte) {
		d, err := parseSDP(body)
		if err == nil && d.Codec.Name != "PCMU" && d.Codec.Name != "PCMA" {
			t.Fatalf("parsed codec %q", d.Codec.Name)
		}
	})
}
