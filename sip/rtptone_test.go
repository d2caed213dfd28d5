package sip

import (
	"encoding/binary"
	"math"
	"net"
	"net/netip"
	"sync/atomic"
	"time"

	"github.com/switchboard-cc/switchboard/media"
)

// The test phones' media: a tone they talk and the voiced packets they
// count, over plain RTP in one G.711 codec.

// countVoiced reads RTP from conn until it is closed and counts in voiced
// the packets of codec whose level (RMS) is over 500: speech or a tone,
// not silence.
func countVoiced(conn *net.UDPConn, codec media.Codec, voiced *atomic.Int64) {
	buf := make([]byte, 1500)
	pcm := make([]int16, 1500)
	for {
		n, err := conn.Read(buf)
		if err != nil {
			return
		}
		if n <= 12 || buf[1]&0x7f != codec.PayloadType {
			continue
		}
		codec.Decode(pcm[:n-12], buf[12:n])
		var sum float64
		for _, s := range pcm[:n-12] {
			sum += float64(s) * float64(s)
		}
		if math.Sqrt(sum/float64(n-12)) > 500 {
			voiced.Add(1)
		}
	}
}

// sendTone sends a hz tone in codec from conn to to for d, one packet each
// ptime, as stream ssrc.
func sendTone(conn *net.UDPConn, to netip.AddrPort, codec media.Codec, hz float64, ssrc uint32, d time.Duration) {
	pkt := make([]byte, 12+media.FrameSamples)
	pcm := make([]int16, media.FrameSamples)
	pkt[0], pkt[1] = 0x80, codec.PayloadType
	for seq := 0; seq < int(d/media.Ptime); seq++ {
		for i := range pcm {
			pcm[i] = int16(6000 * math.Sin(2*math.Pi*hz*float64(seq*media.FrameSamples+i)/media.SampleRate))
		}
		codec.Encode(pkt[12:], pcm)
		binary.BigEndian.PutUint16(pkt[2:], uint16(seq))
		binary.BigEndian.PutUint32(pkt[4:], uint32(seq*media.FrameSamples))
		binary.BigEndian.PutUint32(pkt[8:], ssrc)
		conn.WriteToUDPAddrPort(pkt, to)
		time.Sleep(media.Ptime)
	}
}
