package media

import (
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/pion/rtp"
)

func TestLatch(t *testing.T) {
	phone := netip.MustParseAddrPort("192.0.2.10:4000")   // what the SDP names
	nat := netip.MustParseAddrPort("198.51.100.7:31000")  // where the phone's packets come from behind a NAT
	other := netip.MustParseAddrPort("203.0.113.66:5004") // a stranger who found the port
	type pkt struct {
		src       netip.AddrPort
		seq       uint16
		ok, moved bool
	}
	tests := []struct {
		name      string
		signalled netip.AddrPort
		pkts      []pkt
		peer      netip.AddrPort
	}{
		{"the named address is heard at once, then held", phone, []pkt{
			{phone, 1, true, false}, {phone, 2, true, false}, {phone, 3, true, false}, {phone, 4, true, false},
			{other, 100, false, false}, {other, 101, false, false}, {other, 102, false, false},
			{other, 103, false, false}, {other, 104, false, false},
			{phone, 5, true, false},
		}, phone},
		{"a NAT's source is learned after probation in sequence", phone, []pkt{
			{nat, 7, false, false}, {nat, 8, false, false}, {nat, 9, false, false}, {nat, 10, true, true},
			{nat, 11, true, false},
			{phone, 12, false, false}, // held: not even the named address now
			{other, 1, false, false},
		}, nat},
		{"a source out of sequence starts its probation again", phone, []pkt{
			{nat, 7, false, false}, {nat, 8, false, false}, {nat, 20, false, false},
			{nat, 21, false, false}, {nat, 22, false, false}, {nat, 23, true, true},
		}, nat},
		{"interleaved sources: neither passes while the other breaks in", phone, []pkt{
			{nat, 1, false, false}, {other, 1, false, false}, {nat, 2, false, false}, {other, 2, false, false},
			{nat, 3, false, false}, {nat, 4, false, false}, {nat, 5, false, false}, {nat, 6, true, true},
		}, nat},
		{"sequence numbers wrap", netip.AddrPort{}, []pkt{
			{nat, 65534, false, false}, {nat, 65535, false, false}, {nat, 0, false, false}, {nat, 1, true, true},
		}, nat},
		{"while the named address is still learning, a stranger in sequence wins", phone, []pkt{
			{phone, 1, true, false},
			{other, 50, false, false}, {other, 51, false, false}, {other, 52, false, false}, {other, 53, true, true},
		}, other},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := NewLatch(tt.signalled)
			for i, p := range tt.pkts {
				ok, moved := l.Accept(p.src, p.seq)
				if ok != p.ok || moved != p.moved {
					t.Errorf("packet %d (%v seq %d): ok %v moved %v; want %v %v", i, p.src, p.seq, ok, moved, p.ok, p.moved)
				}
			}
			if l.Peer() != tt.peer {
				t.Errorf("peer %v; want %v", l.Peer(), tt.peer)
			}
		})
	}
}

// A stranger who finds a call's RTP port cannot take its media: what the
// caller hears keeps going to the caller, the stranger's key presses are
// not the caller's, and the re-INVITE that moves the caller's media is
// still followed.
func TestSessionHoldsThePeersSource(t *testing.T) {
	pacer := runPacer(t)
	digits := make(chan byte, 10)
	caller := listenUDP(t)
	defer caller.Close()
	s := NewSession(SessionConfig{Conn: listenUDP(t), Remote: addrOf(caller), Codec: PCMU, DTMFPayloadType: 101,
		OnDigit: func(d byte) { digits <- d }})
	s.Start(pacer)
	defer s.Close()

	send := func(from *net.UDPConn, seq uint16, ts uint32, pt uint8, payload []byte) {
		t.Helper()
		h := rtp.Header{Version: 2, PayloadType: pt, SequenceNumber: seq, Timestamp: ts, SSRC: 7}
		b, _ := h.Marshal()
		if _, err := from.WriteToUDPAddrPort(append(b, payload...), s.LocalAddr()); err != nil {
			t.Fatal(err)
		}
	}
	silence := make([]byte, FrameSamples)
	for i := range silence {
		silence[i] = 0xff
	}
	// keyPress sends a whole RFC 4733 event: start, update, three ends,
	// all with the event's timestamp.
	keyPress := func(from *net.UDPConn, seq uint16, event byte) uint16 {
		ts := uint32(seq) * FrameSamples
		for i, end := range []bool{false, false, true, true, true} {
			flags := byte(10)
			if end {
				flags |= 0x80
			}
			dur := uint16(160 * (i + 1))
			send(from, seq, ts, 101, []byte{event, flags, byte(dur >> 8), byte(dur)})
			seq++
		}
		return seq
	}
	waitPackets := func(n uint64) {
		t.Helper()
		for deadline := time.Now().Add(2 * time.Second); s.Stats().Packets+s.Stats().Foreign < n; {
			if time.Now().After(deadline) {
				t.Fatalf("stats %+v; want %d datagrams handled", s.Stats(), n)
			}
			time.Sleep(time.Millisecond)
		}
	}
	for seq := range uint16(5) {
		send(caller, seq, uint32(seq)*FrameSamples, 0, silence)
	}
	waitPackets(5)

	stranger := listenUDP(t)
	defer stranger.Close()
	keyPress(stranger, 1000, 9)
	for seq := uint16(1005); seq < 1025; seq++ {
		send(stranger, seq, uint32(seq)*FrameSamples, 0, silence)
	}
	waitPackets(30)
	select {
	case d := <-digits:
		t.Fatalf("the stranger's key %d reached the IVR", d)
	default:
	}
	if st := s.Stats(); st.Foreign != 25 || st.Packets != 5 {
		t.Errorf("stats %+v; want the caller's 5 packets and the stranger's 25 dropped", st)
	}
	if s.Remote() != addrOf(caller) {
		t.Errorf("sends to %v; want the caller %v, not the stranger", s.Remote(), addrOf(caller))
	}
	keyPress(caller, 5, 5)
	select {
	case d := <-digits:
		if d != '5' {
			t.Errorf("digit %q; want the caller's 5", d)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("the caller's key was not heard")
	}

	// A re-INVITE moves the caller's media: its new address is followed.
	moved := listenUDP(t)
	defer moved.Close()
	s.SetRemote(addrOf(moved))
	if s.Remote() != addrOf(moved) {
		t.Fatalf("sends to %v after the re-INVITE; want %v", s.Remote(), addrOf(moved))
	}
	keyPress(moved, 200, 3)
	select {
	case d := <-digits:
		if d != '3' {
			t.Errorf("digit %q; want 3 from the moved media", d)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("the moved media's key was not heard")
	}
}
