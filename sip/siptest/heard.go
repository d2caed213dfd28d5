package siptest

import (
	"sync"
	"time"

	"github.com/switchboard-cc/switchboard/media"
)

// heard keeps what the caller received, decoded, so tests can compare it
// with the prompt that was played.
type heard struct {
	mu      sync.Mutex
	pcm     []int16
	frames  int
	voiced  int
	first   time.Time
	keepPCM bool
	buf     [media.FrameSamples]int16
}

// maxKeptSamples bounds memory: two minutes of audio per call.
const maxKeptSamples = 120 * media.SampleRate

func (h *heard) frame(pt uint8, payload []byte) {
	codec := media.PCMU
	if pt == media.PCMA.PayloadType {
		codec = media.PCMA
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.frames == 0 {
		h.first = time.Now()
	}
	for len(payload) > 0 {
		k := min(len(payload), media.FrameSamples)
		codec.Decode(h.buf[:k], payload[:k])
		h.frames++
		if level(h.buf[:k]) >= media.SilenceLevel {
			h.voiced++
		}
		if h.keepPCM && len(h.pcm) < maxKeptSamples {
			h.pcm = append(h.pcm, h.buf[:k]...)
		}
		payload = payload[k:]
	}
}

func level(pcm []int16) int {
	sum := 0
	for _, s := range pcm {
		if s < 0 {
			sum -= int(s)
		} else {
			sum += int(s)
		}
	}
	return sum / max(1, len(pcm))
}

// Heard summarises the audio the caller received.
type Heard struct {
	Frames int     // 20 ms frames received
	Voiced int     // frames above the silence level
	PCM    []int16 // decoded audio (up to two minutes) with DialOptions.KeepAudio
}

// Heard returns what the caller has received so far.
func (c *Call) Heard() Heard {
	h := &c.heard
	h.mu.Lock()
	defer h.mu.Unlock()
	return Heard{Frames: h.frames, Voiced: h.voiced, PCM: append([]int16(nil), h.pcm...)}
}

// WaitFrames blocks until n frames were heard or the call ends / timeout.
func (c *Call) WaitFrames(n int, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		c.heard.mu.Lock()
		got := c.heard.frames
		c.heard.mu.Unlock()
		if got >= n {
			return true
		}
		time.Sleep(media.Ptime)
	}
	return false
}
