package b2bua

import (
	"context"
	"encoding/binary"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/switchboard-cc/switchboard/events"
	"github.com/switchboard-cc/switchboard/internal/clock"
	"github.com/switchboard-cc/switchboard/media"
	"github.com/switchboard-cc/switchboard/sip/registrar"
	"github.com/switchboard-cc/switchboard/sip/siptest"
)

var epoch = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

var passwords = map[string]registrar.Password{"1001": "pw-1001", "1002": "pw-1002", "1003": "pw-1003"}

// serveUDP serves srv on pc and returns once the transport has the socket
// in its pool (requests sent before that would bind a second socket).
func serveUDP(t testing.TB, ua *sipgo.UserAgent, srv *sipgo.Server, pc net.PacketConn) {
	t.Helper()
	if err := siptest.ServeUDP(ua, srv, pc, 2*time.Second); err != nil {
		t.Fatal(err)
	}
}

// eventLog is a Sink tests wait on.
type eventLog struct {
	mu sync.Mutex
	ev []events.Event
	ch chan events.Event
}

func (l *eventLog) Emit(_ context.Context, e events.Event) {
	l.mu.Lock()
	l.ev = append(l.ev, e)
	l.mu.Unlock()
	select {
	case l.ch <- e:
	default:
	}
}

func (l *eventLog) waitType(t *testing.T, typ events.Type) events.Event {
	t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case e := <-l.ch:
			if e.Type == typ {
				return e
			}
		case <-timeout:
			t.Fatalf("no %s event within 5s", typ)
		}
	}
}

// switchboard is the system under test: registrar and B2BUA on one SIP socket.
type switchboard struct {
	reg       *registrar.Registrar
	b2b       *B2BUA
	addr      string
	clk       *clock.Virtual
	log       *eventLog
	transfers chan TransferRequest
	ringing   chan string
}

func startSwitchboard(t *testing.T, rules TransferRules) *switchboard {
	t.Helper()
	return startSwitchboardClock(t, rules, nil)
}

// startSwitchboardClock runs the B2BUA on clk (nil: a virtual clock the
// test advances).
func startSwitchboardClock(t *testing.T, rules TransferRules, clk clock.Clock) *switchboard {
	t.Helper()
	sb := &switchboard{
		clk:       clock.NewVirtual(epoch),
		log:       &eventLog{ch: make(chan events.Event, 256)},
		transfers: make(chan TransferRequest, 4),
		ringing:   make(chan string, 16),
	}
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("switchboard"))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := sipgo.NewServer(ua)
	if err != nil {
		t.Fatal(err)
	}
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sb.addr = pc.LocalAddr().String()
	client, err := sipgo.NewClient(ua, sipgo.WithClientConnectionAddr(sb.addr))
	if err != nil {
		t.Fatal(err)
	}
	// Registration runs on the real clock: these tests are about calls.
	sb.reg, err = registrar.New(registrar.Config{
		Passwords: passwords, Events: sb.log, // default algorithms: what real phones get
	})
	if err != nil {
		t.Fatal(err)
	}
	host, port, _ := sip.ParseAddr(sb.addr)
	sb.b2b, err = New(Config{
		Client:            client,
		Contact:           sip.Uri{Scheme: "sip", User: "switchboard", Host: host, Port: port},
		Phones:            sb.reg,
		MediaIP:           netip.MustParseAddr("127.0.0.1"),
		NoResponseTimeout: 2 * time.Second,
		Transfers:         rules,
		OnTransfer: func(ctx context.Context, tr TransferRequest) error {
			sb.transfers <- tr
			return nil
		},
		OnRinging: func(callID, agentID string) { sb.ringing <- agentID },
		Events:    sb.log,
		Clock:     b2bClock(sb.clk, clk),
		Log:       testLogger(),
	})
	if err != nil {
		t.Fatal(err)
	}
	srv.OnRegister(sb.reg.OnRegister)
	sb.b2b.Mount(srv)
	serveUDP(t, ua, srv, pc)
	t.Cleanup(func() { sb.reg.Close(); ua.Close(); pc.Close() })
	return sb
}

// rtpSocket is a bare RTP endpoint (a phone's or a caller's media).
type rtpSocket struct {
	conn *net.UDPConn
	got  chan rtpPacket
}

type rtpPacket struct {
	pt      uint8
	marker  bool
	seq     uint16
	ts      uint32
	payload []byte
	at      time.Time
}

func newRTPSocket(t testing.TB) *rtpSocket {
	t.Helper()
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	s := &rtpSocket{conn: c, got: make(chan rtpPacket, 1024)}
	go func() {
		buf := make([]byte, 1500)
		for {
			n, err := c.Read(buf)
			if err != nil {
				return
			}
			if n < 12 {
				continue
			}
			p := rtpPacket{pt: buf[1] & 0x7f, marker: buf[1]&0x80 != 0, seq: binary.BigEndian.Uint16(buf[2:]), ts: binary.BigEndian.Uint32(buf[4:]), payload: append([]byte(nil), buf[12:n]...), at: time.Now()}
			select {
			case s.got <- p:
			default:
			}
		}
	}()
	t.Cleanup(func() { c.Close() })
	return s
}

func (s *rtpSocket) addr() netip.AddrPort { return s.conn.LocalAddr().(*net.UDPAddr).AddrPort() }

func (s *rtpSocket) send(t testing.TB, to netip.AddrPort, pt uint8, seq uint16, ts uint32, payload []byte) {
	t.Helper()
	pkt := make([]byte, 12+len(payload))
	pkt[0] = 0x80
	pkt[1] = pt
	binary.BigEndian.PutUint16(pkt[2:], seq)
	binary.BigEndian.PutUint32(pkt[4:], ts)
	binary.BigEndian.PutUint32(pkt[8:], 0x11223344)
	copy(pkt[12:], payload)
	if _, err := s.conn.WriteToUDPAddrPort(pkt, to); err != nil {
		t.Fatal(err)
	}
}

// next waits for a packet with payload type pt, skipping others.
func (s *rtpSocket) next(t testing.TB, pt uint8) rtpPacket {
	t.Helper()
	timeout := time.After(3 * time.Second)
	for {
		select {
		case p := <-s.got:
			if p.pt == pt {
				return p
			}
		case <-timeout:
			t.Fatalf("no RTP with payload type %d within 3s", pt)
		}
	}
}

func (s *rtpSocket) drain() {
	for {
		select {
		case <-s.got:
		default:
			return
		}
	}
}

// fakeCaller is the caller's side: a phone socket and the Switchboard-side
// UDPMedia the bridge relays through.
type fakeCaller struct {
	phone  *rtpSocket
	media  *UDPMedia
	done   chan struct{}
	once   sync.Once
	caller Caller
}

// mohPayload marks music-on-hold packets so tests can tell them apart.
var mohPayload = []byte{0x42, 0x42, 0x42, 0x42}

func newFakeCaller(t *testing.T, codec media.Codec) *fakeCaller {
	t.Helper()
	fc := &fakeCaller{phone: newRTPSocket(t), done: make(chan struct{})}
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	fc.media = NewUDPMedia(conn, fc.phone.addr())
	t.Cleanup(func() { fc.media.Close() })
	fc.caller = Caller{
		CallID: "caller-" + t.Name(), Number: "+4930111222", Codec: codec, DTMFPayloadType: 101,
		Media: fc.media, Done: fc.done,
		MusicOnHold: func(ctx context.Context) error {
			tick := time.NewTicker(20 * time.Millisecond)
			defer tick.Stop()
			pkt := append([]byte{0x80, codec.PayloadType, 0, 0, 0, 0, 0, 0, 0xAA, 0xAA, 0xAA, 0xAA}, mohPayload...)
			for seq := uint16(0); ; seq++ {
				binary.BigEndian.PutUint16(pkt[2:], seq)
				fc.media.WriteRTP(pkt)
				select {
				case <-ctx.Done():
					return nil
				case <-tick.C:
				}
			}
		},
	}
	return fc
}

func (fc *fakeCaller) hangUp() { fc.once.Do(func() { close(fc.done) }) }

// sendToBridge sends RTP from the caller's phone to Switchboard's caller side.
func (fc *fakeCaller) sendToBridge(t testing.TB, pt uint8, seq uint16, payload []byte) {
	fc.phone.send(t, fc.media.LocalAddr(), pt, seq, uint32(seq)*160, payload)
}

func b2bClock(v *clock.Virtual, c clock.Clock) clock.Clock {
	if c != nil {
		return c
	}
	return v
}
