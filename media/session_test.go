package media

import (
	"context"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"
)

func listenUDP(t testing.TB) *net.UDPConn {
	t.Helper()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func addrOf(c *net.UDPConn) netip.AddrPort { return c.LocalAddr().(*net.UDPAddr).AddrPort() }

func runPacer(t testing.TB) *Pacer {
	p := NewPacer(1)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { p.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return p
}

// readPackets reads n RTP packets from c.
func readPackets(t *testing.T, c *net.UDPConn, n int) []rtp.Packet {
	t.Helper()
	var out []rtp.Packet
	buf := make([]byte, 1500)
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	for len(out) < n {
		k, err := c.Read(buf)
		if err != nil {
			t.Fatalf("after %d packets: %v", len(out), err)
		}
		var p rtp.Packet
		if err := p.Unmarshal(append([]byte(nil), buf[:k]...)); err != nil {
			t.Fatal(err)
		}
		out = append(out, p)
	}
	return out
}

func tone(frames int, level int16) Clip {
	pcm := make([]int16, frames*FrameSamples)
	for i := range pcm {
		if i%2 == 0 {
			pcm[i] = level
		} else {
			pcm[i] = -level
		}
	}
	return EncodeClip(pcm, PCMU)
}

func TestSessionPlaySequenceTimestampMarker(t *testing.T) {
	peer := listenUDP(t)
	defer peer.Close()
	s := NewSession(SessionConfig{Conn: listenUDP(t), Remote: addrOf(peer), Codec: PCMU})
	s.Start(runPacer(t))
	defer s.Close()

	first := s.Play([]Clip{tone(3, 1000), tone(2, 2000)}, false)
	pkts := readPackets(t, peer, 5)
	if !first.Completed() {
		t.Fatal("playback not completed")
	}
	// A second talkspurt after a pause: marker again, timestamp jumped by
	// the idle ticks, sequence number contiguous.
	time.Sleep(3 * Ptime) // let the stream idle for a few ticks
	s.Play([]Clip{tone(2, 1000)}, false)
	pkts = append(pkts, readPackets(t, peer, 2)...)

	for i, p := range pkts {
		if p.PayloadType != 0 || len(p.Payload) != FrameSamples {
			t.Fatalf("packet %d: pt %d len %d", i, p.PayloadType, len(p.Payload))
		}
		if wantMarker := i == 0 || i == 5; p.Marker != wantMarker {
			t.Errorf("packet %d marker = %v; want %v", i, p.Marker, wantMarker)
		}
		if i == 0 {
			continue
		}
		prev := pkts[i-1]
		if p.SequenceNumber != prev.SequenceNumber+1 {
			t.Errorf("packet %d seq %d after %d", i, p.SequenceNumber, prev.SequenceNumber)
		}
		if p.SSRC != prev.SSRC {
			t.Errorf("packet %d changed SSRC", i)
		}
		dts := p.Timestamp - prev.Timestamp
		if i == 5 {
			if dts <= FrameSamples || dts%FrameSamples != 0 {
				t.Errorf("timestamp gap over the pause = %d; want a multiple of 160 above 160", dts)
			}
		} else if dts != FrameSamples {
			t.Errorf("packet %d timestamp step = %d; want 160", i, dts)
		}
	}
}

func TestSessionStopAndLoop(t *testing.T) {
	peer := listenUDP(t)
	defer peer.Close()
	s := NewSession(SessionConfig{Conn: listenUDP(t), Remote: addrOf(peer), Codec: PCMU})
	s.Start(runPacer(t))
	defer s.Close()
	moh := s.Play([]Clip{tone(2, 500)}, true)
	readPackets(t, peer, 7) // more than the clip: it loops
	select {
	case <-moh.Done():
		t.Fatal("looping playback ended by itself")
	default:
	}
	s.Stop(moh)
	if moh.Completed() {
		t.Error("stopped playback reports completed")
	}
	// Replacing a playback ends the old one.
	a := s.Play([]Clip{tone(50, 500)}, false)
	s.Play([]Clip{tone(1, 500)}, false)
	select {
	case <-a.Done():
	case <-time.After(time.Second):
		t.Fatal("replaced playback still running")
	}
}

func TestSessionDTMFRoundTripAndSymmetricRTP(t *testing.T) {
	pacer := runPacer(t)
	var mu sync.Mutex
	var got []byte
	gotAll := make(chan struct{})
	// The callee's SDP address is a dead port: it must latch onto where the
	// caller's packets come from and answer there.
	dead := listenUDP(t)
	deadAddr := addrOf(dead)
	dead.Close()
	callee := NewSession(SessionConfig{Conn: listenUDP(t), Remote: deadAddr, Codec: PCMU, DTMFPayloadType: 101,
		OnDigit: func(d byte) {
			mu.Lock()
			got = append(got, d)
			if len(got) == 4 {
				close(gotAll)
			}
			mu.Unlock()
		}})
	callee.Start(pacer)
	defer callee.Close()
	caller := NewSession(SessionConfig{Conn: listenUDP(t), Remote: callee.LocalAddr(), Codec: PCMU, DTMFPayloadType: 101})
	caller.Start(pacer)
	defer caller.Close()

	caller.SendDigits("12#9")
	select {
	case <-gotAll:
	case <-time.After(3 * time.Second):
		t.Fatalf("digits = %q; want 12#9", got)
	}
	// End packets (three per digit) must not repeat digits.
	for caller.SendingDigits() {
		time.Sleep(Ptime)
	}
	time.Sleep(3 * Ptime)
	mu.Lock()
	if string(got) != "12#9" {
		t.Errorf("digits = %q; want 12#9", got)
	}
	mu.Unlock()
	if callee.Remote() != caller.LocalAddr() {
		t.Errorf("callee sends to %v; want the caller's source %v", callee.Remote(), caller.LocalAddr())
	}
	if callee.LastReceived().IsZero() {
		t.Error("LastReceived is zero after packets")
	}
	heard := make(chan int, 100)
	caller.SetTap(func(pt uint8, p []byte) { heard <- len(p) })
	callee.Play([]Clip{tone(2, 800)}, false)
	for range 2 {
		select {
		case n := <-heard:
			if n != FrameSamples {
				t.Errorf("payload %d bytes", n)
			}
		case <-time.After(2 * time.Second):
			t.Fatal("caller heard nothing back: symmetric RTP not used")
		}
	}
}

func TestRecorderSilenceAndLength(t *testing.T) {
	pacer := runPacer(t)
	callee := NewSession(SessionConfig{Conn: listenUDP(t), Codec: PCMU})
	callee.Start(pacer)
	defer callee.Close()
	caller := NewSession(SessionConfig{Conn: listenUDP(t), Remote: callee.LocalAddr(), Codec: PCMU})
	caller.Start(pacer)
	defer caller.Close()

	path := filepath.Join(t.TempDir(), "vm", "rec.wav")
	rec, err := NewRecorder(path, 200*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	callee.Record(rec)
	// 10 frames of speech, then silence until the detector stops it.
	caller.Play([]Clip{tone(10, 3000), EncodeClip(make([]int16, 50*FrameSamples), PCMU)}, false)
	select {
	case <-rec.Done():
	case <-time.After(3 * time.Second):
		t.Fatal("silence did not stop the recording")
	}
	why, d, err := rec.Finish(StopHangup)
	if err != nil || why != StopSilence {
		t.Fatalf("Finish = %v, %v; want silence", why, err)
	}
	if d < 280*time.Millisecond || d > 400*time.Millisecond {
		t.Errorf("recorded %v; want ~300ms (200ms speech + 200ms silence)", d)
	}
	f, _ := os.Open(path)
	defer f.Close()
	pcm, err := ReadWAV(f)
	if err != nil {
		t.Fatal(err)
	}
	if isSilent(pcm[:FrameSamples]) {
		t.Error("recording starts with silence; want the caller's tone")
	}
}

// BenchmarkSessionTick is the per-packet send path: one frame out.
func BenchmarkSessionTick(b *testing.B) {
	peer := listenUDP(b)
	defer peer.Close()
	go func() {
		buf := make([]byte, 1500)
		for {
			if _, err := peer.Read(buf); err != nil {
				return
			}
		}
	}()
	s := NewSession(SessionConfig{Conn: listenUDP(b), Remote: addrOf(peer), Codec: PCMU})
	defer s.Close()
	s.Play([]Clip{tone(50, 1000)}, true)
	b.ReportAllocs()
	for b.Loop() {
		s.tick()
	}
}

// BenchmarkReceivePacket is the per-packet receive path with a recording
// running (decode + silence detection + buffered write).
func BenchmarkReceivePacket(b *testing.B) {
	s := NewSession(SessionConfig{Conn: listenUDP(b), Codec: PCMU, DTMFPayloadType: 101})
	defer s.Close()
	rec, err := NewRecorder(filepath.Join(b.TempDir(), "r.wav"), time.Hour)
	if err != nil {
		b.Fatal(err)
	}
	s.Record(rec)
	h := rtp.Header{Version: 2, PayloadType: 0, SSRC: 1}
	pkt := make([]byte, 12+FrameSamples)
	src := netip.MustParseAddrPort("127.0.0.1:4000")
	var rx receiver
	rx.latch = NewLatch(src)
	now := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		h.SequenceNumber++
		h.Timestamp += FrameSamples
		h.MarshalTo(pkt)
		now = now.Add(Ptime)
		s.receive(&rx, pkt, src, now)
	}
	rec.Finish(StopHangup)
}

func TestSessionRelayHooks(t *testing.T) {
	pacer := runPacer(t)
	peer := listenUDP(t)
	defer peer.Close()
	s := NewSession(SessionConfig{Conn: listenUDP(t), Remote: addrOf(peer), Codec: PCMU, DTMFPayloadType: 101,
		OnDigit: func(byte) { t.Error("digit handled locally while relayed") }})
	s.Start(pacer)
	defer s.Close()
	got := make(chan int, 10)
	s.SetReceiver(func(pkt []byte) { got <- len(pkt) })
	caller := NewSession(SessionConfig{Conn: listenUDP(t), Remote: s.LocalAddr(), Codec: PCMU, DTMFPayloadType: 101})
	caller.Start(pacer)
	defer caller.Close()
	caller.SendDigits("5")
	select {
	case n := <-got:
		if n != 16 {
			t.Errorf("relayed %d bytes; want a 16-byte event packet", n)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("nothing relayed")
	}
	for caller.SendingDigits() {
		time.Sleep(Ptime)
	}
	if err := s.WriteRTP([]byte{0x80, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1}); err != nil {
		t.Fatal(err)
	}
	if s.Remote() != caller.LocalAddr() {
		t.Errorf("WriteRTP goes to %v; want the latched caller %v", s.Remote(), caller.LocalAddr())
	}
	s.SetReceiver(nil)
}

// A recording never replaces a file: NewRecorder on an existing path fails
// and leaves the file as it was.
func TestNewRecorderNeverTruncates(t *testing.T) {
	path := filepath.Join(t.TempDir(), "vm.wav")
	if err := os.WriteFile(path, []byte("an earlier message"), 0o644); err != nil {
		t.Fatal(err)
	}
	if rec, err := NewRecorder(path, 0); err == nil {
		rec.Finish(StopCancelled)
		t.Fatal("NewRecorder on an existing file succeeded; want an error")
	}
	if b, err := os.ReadFile(path); err != nil || string(b) != "an earlier message" {
		t.Fatalf("existing file now %q, %v; want it untouched", b, err)
	}
}
