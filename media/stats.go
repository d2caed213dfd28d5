package media

import (
	"sync"
	"sync/atomic"
	"time"
)

// recvStats follows RFC 3550 §6.4.1 interarrival jitter and the largest gap
// between packets, for loadgen and the bench.
type recvStats struct {
	junk    atomic.Uint64
	foreign atomic.Uint64

	mu      sync.Mutex
	packets uint64
	lastAt  time.Time
	lastTS  uint32
	jitter  float64 // in timestamp units
	maxGap  time.Duration
	firstAt time.Time
}

func (st *recvStats) packet(now time.Time, ts uint32) {
	st.mu.Lock()
	if st.packets > 0 {
		gap := now.Sub(st.lastAt)
		if gap > st.maxGap {
			st.maxGap = gap
		}
		arrival := float64(gap) / float64(time.Second) * SampleRate
		d := arrival - float64(int32(ts-st.lastTS))
		if d < 0 {
			d = -d
		}
		st.jitter += (d - st.jitter) / 16
	} else {
		st.firstAt = now
	}
	st.packets++
	st.lastAt, st.lastTS = now, ts
	st.mu.Unlock()
}

// RecvStats summarises the packets a session received.
type RecvStats struct {
	Packets uint64        // audio and telephone-event packets accepted
	Junk    uint64        // datagrams dropped: not RTP or an unknown payload type
	Foreign uint64        // RTP dropped: from another source than the peer's (see Latch)
	Jitter  time.Duration // RFC 3550 interarrival jitter estimate
	MaxGap  time.Duration // longest time between two packets
	First   time.Time
	Last    time.Time
}

// Stats returns the receive statistics so far.
func (s *Session) Stats() RecvStats {
	st := &s.stats
	st.mu.Lock()
	defer st.mu.Unlock()
	return RecvStats{
		Packets: st.packets,
		Junk:    st.junk.Load(),
		Foreign: st.foreign.Load(),
		Jitter:  time.Duration(st.jitter / SampleRate * float64(time.Second)),
		MaxGap:  st.maxGap,
		First:   st.firstAt,
		Last:    st.lastAt,
	}
}
