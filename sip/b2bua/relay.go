package b2bua

import (
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"

	"github.com/switchboard-cc/switchboard/media"
)

// CallerMedia is the caller's RTP as the caller's transport exposes it while
// the call is bridged. The sip transport implements it over its
// media.Session; UDPMedia implements it over a bare socket.
type CallerMedia interface {
	// SetReceiver routes every RTP datagram the caller sends (audio and
	// telephone-events) to f, called on the receive goroutine; f must not
	// keep pkt. nil gives the datagrams back to the transport.
	SetReceiver(f func(pkt []byte))
	// WriteRTP sends one RTP datagram to the caller now.
	WriteRTP(pkt []byte) error
}

// UDPMedia is RTP over one UDP socket with symmetric latching (RFC 4961),
// held strictly (media.Latch): replies go where the peer's packets come
// from, once that source is learned, and no stranger's packets are relayed.
// The agent side of every bridge uses it.
type UDPMedia struct {
	conn    *net.UDPConn
	remote  atomic.Pointer[netip.AddrPort]
	recv    atomic.Pointer[func([]byte)]
	foreign atomic.Uint64 // packets from another source than the peer's, dropped

	mu        sync.Mutex
	signalled netip.AddrPort // what the signalling named last
	moved     atomic.Uint64  // bumped when it names another address

	once sync.Once
	done chan struct{}
}

var _ CallerMedia = (*UDPMedia)(nil)

// NewUDPMedia takes ownership of conn and starts reading it.
func NewUDPMedia(conn *net.UDPConn, remote netip.AddrPort) *UDPMedia {
	m := &UDPMedia{conn: conn, signalled: remote, done: make(chan struct{})}
	m.remote.Store(&remote)
	go m.readLoop(remote)
	return m
}

// LocalAddr is the socket's address (what our SDP names).
func (m *UDPMedia) LocalAddr() netip.AddrPort {
	return m.conn.LocalAddr().(*net.UDPAddr).AddrPort()
}

// SetRemote is the address the signalling names for the peer's media (the
// answer, a re-INVITE): packets go there, and the peer's source is learned
// anew. Naming the same address again changes nothing.
func (m *UDPMedia) SetRemote(a netip.AddrPort) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if a == m.signalled {
		return
	}
	m.signalled = a
	m.remote.Store(&a)
	m.moved.Add(1)
}

// Foreign counts the RTP packets dropped for coming from another source
// than the peer's.
func (m *UDPMedia) Foreign() uint64 { return m.foreign.Load() }

// Remote is where packets currently go.
func (m *UDPMedia) Remote() netip.AddrPort { return *m.remote.Load() }

func (m *UDPMedia) SetReceiver(f func(pkt []byte)) {
	if f == nil {
		m.recv.Store(nil)
		return
	}
	m.recv.Store(&f)
}

func (m *UDPMedia) WriteRTP(pkt []byte) error {
	dst := *m.remote.Load()
	if !dst.IsValid() || dst.Port() == 0 {
		return nil // no address yet (or c=0.0.0.0): nothing to send to
	}
	_, err := m.conn.WriteToUDPAddrPort(pkt, dst)
	return err
}

// Close stops reading and closes the socket; safe to call twice.
func (m *UDPMedia) Close() error {
	var err error
	m.once.Do(func() {
		close(m.done)
		err = m.conn.Close()
	})
	return err
}

func (m *UDPMedia) readLoop(signalled netip.AddrPort) {
	buf := make([]byte, 1500)
	latch := media.NewLatch(signalled)
	var moved uint64
	for {
		n, src, err := m.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			select {
			case <-m.done:
				return
			default:
				continue
			}
		}
		if n < 12 || buf[0]>>6 != 2 {
			continue // not RTP (RTCP would need the next port; junk)
		}
		if n := m.moved.Load(); n != moved {
			moved = n
			m.mu.Lock()
			latch = media.NewLatch(m.signalled)
			m.mu.Unlock()
		}
		ok, learned := latch.Accept(src, binary.BigEndian.Uint16(buf[2:4]))
		if !ok {
			m.foreign.Add(1)
			continue
		}
		if learned {
			m.mu.Lock()
			if m.moved.Load() == moved { // not if the signalling moved the media meanwhile
				m.remote.Store(&src)
			}
			m.mu.Unlock()
		}
		if f := m.recv.Load(); f != nil {
			(*f)(buf[:n])
		}
	}
}

// translator rewrites one direction's RTP: the payload type mapped (audio
// and telephone-event), G.711 transcoded through a 256-entry table when the
// two sides chose different laws, and a header of our own (SSRC, sequence
// and timestamp continuous across a change of source, e.g. after hold).
// It runs on the source's receive goroutine only and does not allocate.
type translator struct {
	fromPT, fromDTMF uint8
	toPT, toDTMF     uint8
	table            *[256]byte // nil: same law, payload passes through

	ssrc     uint32
	srcSSRC  uint32
	seqDelta uint16
	tsDelta  uint32
	lastSeq  uint16
	lastTS   uint32
	started  bool
	resync   atomic.Bool // next packet starts a new talkspurt (after hold)
	out      [1500]byte
}

func newTranslator(from media.Codec, fromDTMF uint8, to media.Codec, toDTMF uint8) *translator {
	t := &translator{
		fromPT: from.PayloadType, fromDTMF: fromDTMF,
		toPT: to.PayloadType, toDTMF: toDTMF,
		ssrc: rand.Uint32(),
	}
	switch {
	case from.Name == media.PCMU.Name && to.Name == media.PCMA.Name:
		t.table = &ulawToAlaw
	case from.Name == media.PCMA.Name && to.Name == media.PCMU.Name:
		t.table = &alawToUlaw
	}
	return t
}

// translate returns the datagram to send for in, or nil to drop it.
func (t *translator) translate(in []byte) []byte {
	if len(in) < 12 || in[0]>>6 != 2 {
		return nil
	}
	hlen := 12 + 4*int(in[0]&0x0f)
	if in[0]&0x10 != 0 { // header extension (RFC 3550 §5.3.1)
		if len(in) < hlen+4 {
			return nil
		}
		hlen += 4 + 4*int(binary.BigEndian.Uint16(in[hlen+2:]))
	}
	if len(in) < hlen {
		return nil
	}
	payload := in[hlen:]
	if in[0]&0x20 != 0 && len(payload) > 0 { // padding
		pad := int(payload[len(payload)-1])
		if pad > len(payload) {
			return nil
		}
		payload = payload[:len(payload)-pad]
	}
	marker := in[1]&0x80 != 0
	pt := in[1] & 0x7f
	var outPT uint8
	switch {
	case pt == t.fromPT:
		outPT = t.toPT
	case t.fromDTMF != 0 && pt == t.fromDTMF && t.toDTMF != 0:
		outPT = t.toDTMF
	default:
		return nil // comfort noise, DTMF the other side cannot take, junk
	}
	seq := binary.BigEndian.Uint16(in[2:])
	ts := binary.BigEndian.Uint32(in[4:])
	ssrc := binary.BigEndian.Uint32(in[8:])
	fresh := !t.started || ssrc != t.srcSSRC || t.resync.Swap(false)
	if fresh {
		// A new source (or the same one after a pause): continue our own
		// numbering where it stopped and mark a new talkspurt.
		nextSeq, nextTS := t.lastSeq+1, t.lastTS+media.FrameSamples
		if !t.started {
			nextSeq, nextTS = uint16(rand.Uint32()), rand.Uint32()
		}
		t.seqDelta = nextSeq - seq
		t.tsDelta = nextTS - ts
		t.srcSSRC = ssrc
		t.started = true
		marker = marker || outPT != t.toDTMF
	}
	oseq, ots := seq+t.seqDelta, ts+t.tsDelta
	if fresh || int16(oseq-t.lastSeq) > 0 { // late packets do not move us back
		t.lastSeq = oseq
	}
	if fresh || int32(ots-t.lastTS) > 0 {
		t.lastTS = ots
	}
	out := t.out[:12+len(payload)]
	out[0] = 0x80
	out[1] = outPT
	if marker {
		out[1] |= 0x80
	}
	binary.BigEndian.PutUint16(out[2:], oseq)
	binary.BigEndian.PutUint32(out[4:], ots)
	binary.BigEndian.PutUint32(out[8:], t.ssrc)
	if pt == t.fromPT && t.table != nil {
		for i, b := range payload {
			out[12+i] = t.table[b]
		}
	} else {
		copy(out[12:], payload)
	}
	return out
}

// ulawToAlaw and alawToUlaw translate one G.711 byte to the other law via
// the media package's linear decode and encode (exact for every byte).
var ulawToAlaw, alawToUlaw [256]byte

func init() {
	var pcm [256]int16
	var in [256]byte
	for i := range in {
		in[i] = byte(i)
	}
	media.PCMU.Decode(pcm[:], in[:])
	media.PCMA.Encode(ulawToAlaw[:], pcm[:])
	media.PCMA.Decode(pcm[:], in[:])
	media.PCMU.Encode(alawToUlaw[:], pcm[:])
}

// relay joins the caller's media and the agent's: each direction runs on
// its source's receive goroutine. While paused (hold) nothing is forwarded.
type relay struct {
	caller   CallerMedia
	agent    *UDPMedia
	toAgent  *translator
	toCaller *translator
	paused   atomic.Bool
	// forwarded counts datagrams sent each way (tests and logs).
	toAgentN, toCallerN atomic.Uint64
}

func newRelay(caller CallerMedia, callerCodec media.Codec, callerDTMF uint8, agent *UDPMedia, agentCodec media.Codec, agentDTMF uint8) *relay {
	return &relay{
		caller:   caller,
		agent:    agent,
		toAgent:  newTranslator(callerCodec, callerDTMF, agentCodec, agentDTMF),
		toCaller: newTranslator(agentCodec, agentDTMF, callerCodec, callerDTMF),
	}
}

func (r *relay) start() {
	r.caller.SetReceiver(func(pkt []byte) {
		if r.paused.Load() {
			return
		}
		if out := r.toAgent.translate(pkt); out != nil {
			if r.agent.WriteRTP(out) == nil {
				r.toAgentN.Add(1)
			}
		}
	})
	r.agent.SetReceiver(func(pkt []byte) {
		if r.paused.Load() {
			return
		}
		if out := r.toCaller.translate(pkt); out != nil {
			if r.caller.WriteRTP(out) == nil {
				r.toCallerN.Add(1)
			}
		}
	})
}

// pause stops forwarding both ways (hold); resume restarts it with a new
// talkspurt each way.
func (r *relay) pause() { r.paused.Store(true) }

func (r *relay) resume() {
	r.toAgent.resync.Store(true)
	r.toCaller.resync.Store(true)
	r.paused.Store(false)
}

func (r *relay) stop() {
	r.caller.SetReceiver(nil)
	r.agent.SetReceiver(nil)
}
