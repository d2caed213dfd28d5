package b2bua

import (
	"net"
	"testing"
	"time"

	"github.com/pion/rtp"

	"github.com/switchboard-cc/switchboard/media"
)

// A stranger who finds the agent leg's RTP port cannot join the call: its
// packets are not relayed to the caller, and the caller's voice keeps going
// to the agent's phone, not to the stranger.
func TestAgentLegHoldsThePhonesSource(t *testing.T) {
	udp := func() *net.UDPConn {
		c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	callerPhone, agentPhone, stranger := udp(), udp(), udp()
	callerSide := NewUDPMedia(udp(), callerPhone.LocalAddr().(*net.UDPAddr).AddrPort())
	agentSide := NewUDPMedia(udp(), agentPhone.LocalAddr().(*net.UDPAddr).AddrPort())
	t.Cleanup(func() { callerSide.Close(); agentSide.Close() })
	r := newRelay(callerSide, media.PCMU, 101, agentSide, media.PCMU, 101)
	r.start()
	t.Cleanup(r.stop)

	send := func(from *net.UDPConn, to *UDPMedia, seq uint16, marker byte) {
		t.Helper()
		h := rtp.Header{Version: 2, PayloadType: 0, SequenceNumber: seq, Timestamp: uint32(seq) * 160, SSRC: 9}
		b, _ := h.Marshal()
		payload := make([]byte, 160)
		payload[0] = marker
		if _, err := from.WriteToUDPAddrPort(append(b, payload...), to.LocalAddr()); err != nil {
			t.Fatal(err)
		}
	}
	// received reads what arrives at c for a while: the first payload
	// byte of each packet.
	received := func(c *net.UDPConn, wait time.Duration) map[byte]int {
		got := map[byte]int{}
		buf := make([]byte, 1500)
		c.SetReadDeadline(time.Now().Add(wait))
		for {
			n, err := c.Read(buf)
			if err != nil {
				return got
			}
			if n > 12 {
				got[buf[12]]++
			}
		}
	}
	for seq := range uint16(5) {
		send(agentPhone, agentSide, seq, 'A')
	}
	if got := received(callerPhone, 300*time.Millisecond); got['A'] != 5 {
		t.Fatalf("caller heard %v; want the agent's 5 packets", got)
	}
	for seq := uint16(500); seq < 520; seq++ {
		send(stranger, agentSide, seq, 'S')
	}
	if got := received(callerPhone, 300*time.Millisecond); got['S'] != 0 {
		t.Errorf("caller heard the stranger: %v", got)
	}
	if n := agentSide.Foreign(); n != 20 {
		t.Errorf("foreign packets counted %d; want 20", n)
	}
	for seq := uint16(100); seq < 105; seq++ {
		send(callerPhone, callerSide, seq, 'C')
	}
	if got := received(agentPhone, 300*time.Millisecond); got['C'] != 5 {
		t.Errorf("agent's phone heard %v; want the caller's 5 packets", got)
	}
	if got := received(stranger, 100*time.Millisecond); len(got) != 0 {
		t.Errorf("the stranger heard the caller: %v", got)
	}
}
