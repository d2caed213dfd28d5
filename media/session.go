package media

import (
	"errors"
	"math/rand/v2"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"
)

// SessionConfig describes one call's negotiated media.
type SessionConfig struct {
	// Conn is the call's RTP socket; the session owns it and closes it.
	Conn *net.UDPConn
	// Remote is where the SDP says to send. Packets are accepted from it;
	// another source replaces it only while the session learns the peer's
	// source (symmetric RTP, RFC 4961, held strictly: see Latch).
	Remote netip.AddrPort
	Codec  Codec
	// DTMFPayloadType is the peer's telephone-event payload type (RFC 4733);
	// 0 when none was negotiated.
	DTMFPayloadType uint8
	// OnDigit is called from the receive goroutine for each RFC 4733 event,
	// once per key press.
	OnDigit func(digit byte)
}

// Session is one call's RTP: packets out on the pacer's tick, packets in on
// its own receive goroutine (blocked in the kernel between packets).
type Session struct {
	cfg   SessionConfig
	pacer *Pacer

	// Guarded by mu: shared by the pacer tick and the call's control calls.
	mu        sync.Mutex
	remote    netip.AddrPort // where packets go: the peer's learned source
	signalled netip.AddrPort // what the signalling named last
	sending   bool
	talkspurt bool
	header    rtp.Header
	timestamp uint32
	play      *Playing
	dtmf      dtmfSender

	// Owned by the pacer goroutine.
	pkt        [12 + 4*FrameSamples]byte
	shard      *pacerShard
	shardIndex int

	// Receive side.
	moved    atomic.Uint64 // bumped when the signalling names another address: learn again
	lastRx   atomic.Int64  // unix nanos of the last RTP packet; 0: none yet
	recorder atomic.Pointer[Recorder]
	tap      atomic.Pointer[func(pt uint8, payload []byte)]
	relay    atomic.Pointer[func(pkt []byte)]
	stats    recvStats

	closeOnce sync.Once
	done      chan struct{}
}

// NewSession prepares a session; Start begins sending and receiving.
func NewSession(cfg SessionConfig) *Session {
	s := &Session{
		cfg:        cfg,
		remote:     cfg.Remote,
		signalled:  cfg.Remote,
		sending:    true,
		shardIndex: -1,
		done:       make(chan struct{}),
	}
	s.header = rtp.Header{
		Version:        2,
		PayloadType:    cfg.Codec.PayloadType,
		SequenceNumber: uint16(rand.Uint32()),
		SSRC:           rand.Uint32(),
	}
	s.timestamp = rand.Uint32()
	return s
}

// Start registers the session with p and starts the receive goroutine.
func (s *Session) Start(p *Pacer) {
	s.pacer = p
	p.add(s)
	go s.readLoop()
}

// Close stops sending and receiving and closes the socket. Safe to call more
// than once.
func (s *Session) Close() error {
	var err error
	s.closeOnce.Do(func() {
		if s.pacer != nil {
			s.pacer.remove(s)
		}
		s.mu.Lock()
		if s.play != nil {
			s.play.finish(false)
			s.play = nil
		}
		s.mu.Unlock()
		if r := s.recorder.Swap(nil); r != nil {
			r.stop(StopHangup)
		}
		close(s.done)
		err = s.cfg.Conn.Close()
	})
	return err
}

// Done is closed when the session is closed.
func (s *Session) Done() <-chan struct{} { return s.done }

// LocalAddr is the session's RTP address (what the SDP answer names).
func (s *Session) LocalAddr() netip.AddrPort {
	return s.cfg.Conn.LocalAddr().(*net.UDPAddr).AddrPort()
}

// Remote is where packets currently go.
func (s *Session) Remote() netip.AddrPort {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.remote
}

// SetRemote is the address the signalling names for the peer's media (a
// re-INVITE): packets go there, and the session learns the peer's source
// anew. Naming the address already named changes nothing, so a hold or a
// session refresh neither undoes a learned NAT source nor opens a window
// for another source.
func (s *Session) SetRemote(a netip.AddrPort) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a == s.signalled {
		return
	}
	s.signalled, s.remote = a, a
	s.moved.Add(1)
}

// setPeer sends to the peer's source, learned since the signalling last
// moved the media (moved); not if it moved the media again meanwhile.
func (s *Session) setPeer(a netip.AddrPort, moved uint64) {
	s.mu.Lock()
	if s.moved.Load() == moved {
		s.remote = a
	}
	s.mu.Unlock()
}

// SetSending pauses (hold: the peer asked for sendonly/inactive) or resumes
// sending. The RTP clock keeps running while paused.
func (s *Session) SetSending(on bool) {
	s.mu.Lock()
	s.sending = on
	s.mu.Unlock()
}

// LastReceived is when the last RTP packet arrived (zero: none yet).
func (s *Session) LastReceived() time.Time {
	n := s.lastRx.Load()
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n)
}

// Playing is one playback started by Play. Done is closed when it ends.
type Playing struct {
	done      chan struct{}
	clips     []Clip
	clip, pos int
	loop      bool
	completed bool
}

// Done is closed when the playback completes or is stopped.
func (p *Playing) Done() <-chan struct{} { return p.done }

// Completed reports, once Done is closed, whether every frame was sent.
func (p *Playing) Completed() bool {
	<-p.done
	return p.completed
}

func (p *Playing) finish(completed bool) {
	p.completed = completed
	close(p.done)
}

// Play starts sending clips in order, replacing any playback in progress.
// With loop the clips repeat until Stop (music on hold).
func (s *Session) Play(clips []Clip, loop bool) *Playing {
	p := &Playing{done: make(chan struct{}), clips: clips, loop: loop}
	s.mu.Lock()
	if s.play != nil {
		s.play.finish(false)
	}
	s.play = p
	if !p.hasFrames() {
		s.play = nil
		p.finish(true)
	}
	s.mu.Unlock()
	return p
}

func (p *Playing) hasFrames() bool {
	for _, c := range p.clips {
		if c.Frames() > 0 {
			return true
		}
	}
	return false
}

// Stop ends playback p at once (barge-in) if it is still the current one.
func (s *Session) Stop(p *Playing) {
	s.mu.Lock()
	if s.play == p && p != nil {
		s.play = nil
		p.finish(false)
	}
	s.mu.Unlock()
}

// SendDigits queues RFC 4733 events for the digits (0-9 * # A-D). Audio
// pauses while they are sent. It is a no-op without a negotiated payload
// type.
func (s *Session) SendDigits(digits string) {
	if s.cfg.DTMFPayloadType == 0 {
		return
	}
	s.mu.Lock()
	s.dtmf.enqueue(digits)
	s.mu.Unlock()
}

// SendingDigits reports whether queued digits are still being sent.
func (s *Session) SendingDigits() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dtmf.busy()
}

// tick is called by the pacer every Ptime: it sends at most one packet. It
// must not allocate.
func (s *Session) tick() {
	s.mu.Lock()
	now := s.timestamp
	s.timestamp += FrameSamples
	if !s.sending {
		s.talkspurt = false
		s.mu.Unlock()
		return
	}
	h := &s.header
	var payload []byte
	if ts, marker, ok := s.dtmf.next(now, s.pkt[12:16]); ok {
		h.PayloadType = s.cfg.DTMFPayloadType
		h.Timestamp = ts
		h.Marker = marker
		payload = s.pkt[12:16]
		s.talkspurt = false // audio after the digits starts a new talkspurt
	} else if s.play != nil {
		p := s.play
		frame := p.clips[p.clip][p.pos*FrameSamples : (p.pos+1)*FrameSamples]
		p.pos++
		for p.clip < len(p.clips) && p.pos >= p.clips[p.clip].Frames() {
			p.clip++
			p.pos = 0
			if p.clip == len(p.clips) && p.loop {
				p.clip = 0
			}
		}
		if p.clip == len(p.clips) {
			s.play = nil
			p.finish(true)
		}
		h.PayloadType = s.cfg.Codec.PayloadType
		h.Timestamp = now
		h.Marker = !s.talkspurt
		s.talkspurt = true
		payload = s.pkt[12 : 12+FrameSamples]
		copy(payload, frame)
	} else {
		s.talkspurt = false
		s.mu.Unlock()
		return
	}
	h.SequenceNumber++
	n, _ := h.MarshalTo(s.pkt[:12])
	dst := s.remote
	s.mu.Unlock()
	if n != 12 || !dst.IsValid() {
		return
	}
	_, _ = s.cfg.Conn.WriteToUDPAddrPort(s.pkt[:12+len(payload)], dst)
}

// SetTap installs f to see every received audio payload (nil removes it).
// siptest uses it to check prompt audio; f runs on the receive goroutine and
// must not keep payload.
func (s *Session) SetTap(f func(pt uint8, payload []byte)) {
	if f == nil {
		s.tap.Store(nil)
		return
	}
	s.tap.Store(&f)
}

func (s *Session) readLoop() {
	buf := make([]byte, 1500)
	var rx receiver
	rx.latch = NewLatch(s.cfg.Remote)
	for {
		n, src, err := s.cfg.Conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			select {
			case <-s.done:
				return
			default:
				continue
			}
		}
		s.receive(&rx, buf[:n], src, time.Now())
	}
}

// receiver is the receive goroutine's private state.
type receiver struct {
	header rtp.Header
	latch  Latch
	moved  uint64 // the session's moved count latch was learned under
	dtmf   dtmfDetector
	pcm    [FrameSamples]int16
}

// receive handles one datagram. It must not allocate.
func (s *Session) receive(rx *receiver, pkt []byte, src netip.AddrPort, now time.Time) {
	hn, err := rx.header.Unmarshal(pkt)
	if err != nil || rx.header.Version != 2 {
		s.stats.junk.Add(1)
		return
	}
	payload := pkt[hn:]
	if rx.header.Padding && len(payload) > 0 {
		pad := int(payload[len(payload)-1])
		if pad > len(payload) {
			s.stats.junk.Add(1)
			return
		}
		payload = payload[:len(payload)-pad]
	}
	pt := rx.header.PayloadType
	isAudio := pt == s.cfg.Codec.PayloadType
	isDTMF := s.cfg.DTMFPayloadType != 0 && pt == s.cfg.DTMFPayloadType
	if !isAudio && !isDTMF {
		s.stats.junk.Add(1) // comfort noise, RTCP on the RTP port, garbage
		return
	}
	if m := s.moved.Load(); m != rx.moved {
		rx.moved = m
		s.mu.Lock()
		rx.latch = NewLatch(s.signalled)
		s.mu.Unlock()
	}
	ok, moved := rx.latch.Accept(src, rx.header.SequenceNumber)
	if !ok {
		s.stats.foreign.Add(1) // another source than the peer's: dropped, unheard
		return
	}
	if moved {
		s.setPeer(src, rx.moved)
	}
	s.lastRx.Store(now.UnixNano())
	s.stats.packet(now, rx.header.Timestamp)
	if f := s.relay.Load(); f != nil {
		(*f)(pkt) // bridged to an agent: the relay owns the caller's packets
		return
	}
	if isDTMF {
		if d, ok := rx.dtmf.packet(rx.header.Timestamp, payload); ok && s.cfg.OnDigit != nil {
			s.cfg.OnDigit(d)
		}
		return
	}
	if t := s.tap.Load(); t != nil {
		(*t)(pt, payload)
	}
	if r := s.recorder.Load(); r != nil {
		for len(payload) > 0 {
			k := min(len(payload), FrameSamples)
			s.cfg.Codec.Decode(rx.pcm[:k], payload[:k])
			r.feed(rx.pcm[:k])
			payload = payload[k:]
		}
	}
}

// Record starts writing what the caller says to r until r stops or
// StopRecording is called.
func (s *Session) Record(r *Recorder) {
	if old := s.recorder.Swap(r); old != nil {
		old.stop(StopCancelled)
	}
}

// Recording reports whether a recorder is attached (from Record until
// StopRecording): what the peer sends from now on is recorded.
func (s *Session) Recording() bool { return s.recorder.Load() != nil }

// StopRecording detaches r (if still attached) and stops it with why.
func (s *Session) StopRecording(r *Recorder, why RecordStop) {
	s.recorder.CompareAndSwap(r, nil)
	r.stop(why)
}

// SetReceiver routes every accepted RTP datagram from the peer (audio and
// telephone-events) to f instead of the session's own handling: the agent
// bridge relays them. f runs on the receive goroutine and must not keep pkt;
// nil gives the packets back to the session. Latching and the RTP timeout
// keep working while a receiver is set.
func (s *Session) SetReceiver(f func(pkt []byte)) {
	if f == nil {
		s.relay.Store(nil)
		return
	}
	s.relay.Store(&f)
}

// WriteRTP sends one ready-made RTP datagram to the peer now (the agent
// bridge's relay), outside the pacer.
func (s *Session) WriteRTP(pkt []byte) error {
	dst := s.Remote()
	if !dst.IsValid() {
		return errors.New("media: no remote address yet")
	}
	_, err := s.cfg.Conn.WriteToUDPAddrPort(pkt, dst)
	return err
}
