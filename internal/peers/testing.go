package peers

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/media"
)

// The testing.TB side of the package: the gate every end-to-end test goes
// through, baresip owned by a test, and the audio fixtures and measures
// those tests share.

// Require skips t unless SWITCHBOARD_E2E=1 (make test sets it) and every
// named program is installed.
func Require(t testing.TB, programs ...string) {
	t.Helper()
	if os.Getenv("SWITCHBOARD_E2E") != "1" {
		t.Skip("end-to-end test with real SIP user agents: set SWITCHBOARD_E2E=1 (make test does)")
	}
	if m := Missing(programs...); len(m) > 0 {
		t.Skipf("end-to-end test needs %v: apt-get install them (scripts/debian-packages.txt, make deps)", m)
	}
}

// NewBaresip is StartBaresip owned by t: Dir, SIPPort, CtrlPort, an RTP
// range of its own and a silent 60 s Mic are filled in when unset, the SIP
// trace is on, baresip stops when the test ends, and its output is logged
// if the test failed. It fails t if baresip does not come up.
func NewBaresip(t testing.TB, cfg BaresipConfig) *Baresip {
	t.Helper()
	if cfg.Dir == "" {
		cfg.Dir = t.TempDir()
	}
	if cfg.SIPPort == 0 {
		cfg.SIPPort = mustFreePorts(t, 2) // SIP, and SIP/TLS on the next port
	}
	if cfg.CtrlPort == 0 {
		cfg.CtrlPort = mustFreePort(t)
	}
	if cfg.RTPPorts == "" {
		lo := 40000 + cfg.SIPPort%200*100 // a range of its own per UA
		cfg.RTPPorts = fmt.Sprintf("%d-%d", lo, lo+99)
	}
	if cfg.Mic == "" {
		if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
			t.Fatal(err)
		}
		cfg.Mic = filepath.Join(cfg.Dir, "silence.wav")
		WriteTone(t, cfg.Mic, 0, 60*time.Second)
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 5 * time.Minute // the test's end stops it long before
	}
	cfg.SIPTrace = true
	b, err := StartBaresip(context.Background(), cfg)
	if err != nil {
		t.Fatalf("baresip %s: %v", cfg.AOR, err)
	}
	t.Cleanup(func() {
		b.Stop()
		if t.Failed() {
			t.Logf("baresip %s output:\n%s", cfg.AOR, b.Output())
		}
	})
	return b
}

// MustCommand is Command failing t.
func (b *Baresip) MustCommand(t testing.TB, command, params string) {
	t.Helper()
	if err := b.Command(command, params); err != nil {
		t.Fatal(err)
	}
}

// MustWaitEvent is EventWithin failing t.
func (b *Baresip) MustWaitEvent(t testing.TB, typ string, timeout time.Duration) BaresipEvent {
	t.Helper()
	e, err := b.EventWithin(typ, timeout)
	if err != nil {
		t.Fatalf("baresip %s: no %s event within %s: %v", b.cfg.AOR, typ, timeout, err)
	}
	return e
}

// HeardPCM is what baresip heard in each call, in order (Recordings,
// decoded). Call after Stop.
func (b *Baresip) HeardPCM(t testing.TB) [][]int16 {
	t.Helper()
	var out [][]int16
	for _, f := range b.Recordings() {
		out = append(out, ReadWAV(t, f))
	}
	return out
}

// ReadWAV reads an 8 kHz mono 16-bit WAV file, failing t.
func ReadWAV(t testing.TB, path string) []int16 {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	pcm, err := media.ReadWAV(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return pcm
}

// ToneAmplitude is the amplitude (0..1) of hz in pcm, by a Goertzel filter
// over the whole slice: a sine of amplitude A present throughout gives A,
// present for a fraction f of the slice about A*f.
func ToneAmplitude(pcm []int16, hz float64) float64 {
	if len(pcm) == 0 {
		return 0
	}
	coeff := 2 * math.Cos(2*math.Pi*hz/media.SampleRate)
	var s1, s2 float64
	for _, x := range pcm {
		s0 := float64(x)/32768 + coeff*s1 - s2
		s2, s1 = s1, s0
	}
	power := s1*s1 + s2*s2 - coeff*s1*s2
	return 2 * math.Sqrt(math.Max(power, 0)) / float64(len(pcm))
}

// RMS is the root mean square of pcm on a 0..1 scale.
func RMS(pcm []int16) float64 {
	if len(pcm) == 0 {
		return 0
	}
	var sum float64
	for _, s := range pcm {
		v := float64(s) / 32768
		sum += v * v
	}
	return math.Sqrt(sum / float64(len(pcm)))
}

// WriteTone writes an 8 kHz mono WAV of a sine at hz (0: silence) lasting
// d, a microphone for a user agent.
func WriteTone(t testing.TB, path string, hz float64, d time.Duration) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w, err := media.NewWAVWriter(f)
	if err != nil {
		t.Fatal(err)
	}
	pcm := make([]int16, int(d.Seconds()*media.SampleRate))
	for i := range pcm {
		pcm[i] = int16(8000 * math.Sin(2*math.Pi*hz*float64(i)/media.SampleRate))
	}
	if err := w.Write(pcm); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

func mustFreePort(t testing.TB) int { t.Helper(); return mustFreePorts(t, 1) }

func mustFreePorts(t testing.TB, n int) int {
	t.Helper()
	p, err := FreePorts(n)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
