package b2bua

import (
	"encoding/binary"
	"net"
	"net/netip"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/media"
)

// latencySink records when each RTP packet arrives, by sequence number.
// The relay renumbers a stream by a constant offset and may transcode the
// payload, so the send time is matched by position in the stream, not read
// from the payload.
type latencySink struct {
	conn *net.UDPConn
	mu   sync.Mutex
	seq  []uint16
	at   []time.Time
}

func newLatencySink(tb testing.TB) *latencySink {
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		tb.Fatal(err)
	}
	s := &latencySink{conn: c, seq: make([]uint16, 0, 1024), at: make([]time.Time, 0, 1024)}
	go func() {
		buf := make([]byte, 1500)
		for {
			n, err := c.Read(buf)
			now := time.Now()
			if err != nil {
				return
			}
			if n < 12 {
				continue
			}
			s.mu.Lock()
			s.seq = append(s.seq, binary.BigEndian.Uint16(buf[2:]))
			s.at = append(s.at, now)
			s.mu.Unlock()
		}
	}()
	tb.Cleanup(func() { c.Close() })
	return s
}

// delays matches arrivals with sent[tick]: the first packet to arrive is
// taken as tick 0 (loopback neither loses nor reorders at this rate).
func (s *latencySink) delays(sent []time.Time) []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []time.Duration
	for i := range s.seq {
		tick := int(int16(s.seq[i] - s.seq[0]))
		if tick >= 0 && tick < len(sent) {
			out = append(out, s.at[i].Sub(sent[tick]))
		}
	}
	return out
}

func (s *latencySink) addr() netip.AddrPort { return s.conn.LocalAddr().(*net.UDPAddr).AddrPort() }

// bridgePath is one bridged call's two directions: the caller's and the
// agent's phone sockets, with the relay in between.
type bridgePath struct {
	callerPhone, agentPhone *net.UDPConn
	callerIn, agentIn       netip.AddrPort // where each phone sends (Switchboard's sockets)
	callerSink, agentSink   *latencySink
	callerSent, agentSent   []time.Time // by tick
}

// measureForwarding runs calls bridged (or, with direct, phone to phone with
// no relay) for ticks 20 ms ticks, each call sending one 160-byte packet
// each way per tick spread over the tick, and returns the one-way delays.
func measureForwarding(tb testing.TB, calls, ticks int, direct bool, transcode bool) []time.Duration {
	paths := make([]*bridgePath, calls)
	agentCodec := media.PCMU
	if transcode {
		agentCodec = media.PCMA
	}
	for i := range paths {
		p := &bridgePath{callerSink: newLatencySink(tb), agentSink: newLatencySink(tb),
			callerSent: make([]time.Time, ticks), agentSent: make([]time.Time, ticks)}
		p.callerPhone, p.agentPhone = p.callerSink.conn, p.agentSink.conn
		if direct {
			p.callerIn, p.agentIn = p.agentSink.addr(), p.callerSink.addr()
		} else {
			open := func() *net.UDPConn {
				c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
				if err != nil {
					tb.Fatal(err)
				}
				return c
			}
			callerSide := NewUDPMedia(open(), p.callerSink.addr())
			agentSide := NewUDPMedia(open(), p.agentSink.addr())
			tb.Cleanup(func() { callerSide.Close(); agentSide.Close() })
			r := newRelay(callerSide, media.PCMU, 101, agentSide, agentCodec, 101)
			r.start()
			p.callerIn, p.agentIn = callerSide.LocalAddr(), agentSide.LocalAddr()
		}
		paths[i] = p
	}
	const groups = 10 // spread each tick's packets like independent phones
	pkt := make([]byte, 12+160)
	pkt[0] = 0x80
	start := time.Now()
	for tick := range ticks {
		for g := range groups {
			at := start.Add(time.Duration(tick)*media.Ptime + time.Duration(g)*media.Ptime/groups)
			time.Sleep(time.Until(at))
			for i := g; i < calls; i += groups {
				p := paths[i]
				binary.BigEndian.PutUint16(pkt[2:], uint16(tick))
				binary.BigEndian.PutUint32(pkt[4:], uint32(tick*160))
				binary.BigEndian.PutUint32(pkt[8:], uint32(i))
				pkt[1] = media.PCMU.PayloadType
				p.callerSent[tick] = time.Now()
				p.callerPhone.WriteToUDPAddrPort(pkt, p.callerIn)
				pkt[1] = agentCodec.PayloadType
				p.agentSent[tick] = time.Now()
				p.agentPhone.WriteToUDPAddrPort(pkt, p.agentIn)
			}
		}
	}
	time.Sleep(50 * time.Millisecond) // the last packets land
	var all []time.Duration
	for _, p := range paths {
		// The caller's packets land at the agent's phone and vice versa.
		all = append(all, p.agentSink.delays(p.callerSent)...)
		all = append(all, p.callerSink.delays(p.agentSent)...)
	}
	slices.Sort(all)
	return all
}

func percentile(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	return d[min(len(d)-1, int(float64(len(d))*p))]
}

// BenchmarkRelay200Calls measures the one-way delay of RTP through the
// relay with 200 calls bridged (20,000 packets/s), against the same traffic
// sent phone to phone with no relay. b.N is the number of 20 ms ticks.
// Run: go test -run '^$' -bench Relay200 -benchtime 250x ./sip/b2bua/
func BenchmarkRelay200Calls(b *testing.B) {
	for _, tc := range []struct {
		name      string
		transcode bool
	}{{"passthrough", false}, {"transcode", true}} {
		b.Run(tc.name, func(b *testing.B) {
			base := measureForwarding(b, 200, b.N, true, false)
			b.ResetTimer()
			via := measureForwarding(b, 200, b.N, false, tc.transcode)
			b.StopTimer()
			want := 200 * 2 * b.N
			if len(via) < want*99/100 {
				b.Fatalf("%d of %d packets arrived through the relay", len(via), want)
			}
			b.ReportMetric(float64(percentile(base, 0.50).Microseconds()), "direct-p50-µs")
			b.ReportMetric(float64(percentile(base, 0.99).Microseconds()), "direct-p99-µs")
			b.ReportMetric(float64(percentile(via, 0.50).Microseconds()), "relay-p50-µs")
			b.ReportMetric(float64(percentile(via, 0.99).Microseconds()), "relay-p99-µs")
			b.ReportMetric(float64((percentile(via, 0.99) - percentile(base, 0.99)).Microseconds()), "added-p99-µs")
			b.ReportMetric(float64(len(via))/float64(want)*100, "delivered-%")
		})
	}
}

// TestTranslatorDoesNotAllocate holds the per-packet path to zero
// allocations.
func TestTranslatorDoesNotAllocate(t *testing.T) {
	tr := newTranslator(media.PCMU, 101, media.PCMA, 96)
	pkt := make([]byte, 12+160)
	pkt[0], pkt[1] = 0x80, 0
	allocs := testing.AllocsPerRun(1000, func() {
		pkt[3]++
		if tr.translate(pkt) == nil {
			t.Fatal("dropped")
		}
	})
	if allocs != 0 {
		t.Fatalf("translate allocates %.1f times per packet", allocs)
	}
}

// BenchmarkTranslate is the per-packet CPU of the relay's rewrite (no I/O).
func BenchmarkTranslate(b *testing.B) {
	for _, tc := range []struct {
		name string
		to   media.Codec
	}{{"passthrough", media.PCMU}, {"transcode", media.PCMA}} {
		b.Run(tc.name, func(b *testing.B) {
			tr := newTranslator(media.PCMU, 101, tc.to, 101)
			pkt := make([]byte, 12+160)
			pkt[0] = 0x80
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				binary.BigEndian.PutUint16(pkt[2:], uint16(i))
				tr.translate(pkt)
			}
		})
	}
}
