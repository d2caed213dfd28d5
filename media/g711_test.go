package media

import (
	"math"
	"testing"
)

func TestG711RoundTrip(t *testing.T) {
	for _, c := range []Codec{PCMU, PCMA} {
		t.Run(c.Name, func(t *testing.T) {
			// Every code word decodes and re-encodes to itself (except µ-law's
			// negative zero 0x7F, which is the same level as 0xFF).
			for i := range 256 {
				b := byte(i)
				var pcm [1]int16
				var back [1]byte
				c.Decode(pcm[:], []byte{b})
				c.Encode(back[:], pcm[:])
				if back[0] != b && !(c.law == lawMu && b == 0x7F) {
					t.Errorf("%s: %#02x -> %d -> %#02x", c.Name, b, pcm[0], back[0])
				}
			}
			// Companding error stays within the segment's step (~3 % of the value).
			for s := -32000; s <= 32000; s += 97 {
				var g [1]byte
				var out [1]int16
				c.Encode(g[:], []int16{int16(s)})
				c.Decode(out[:], g[:])
				diff := math.Abs(float64(int(out[0]) - s))
				if limit := math.Max(40, math.Abs(float64(s))*0.07); diff > limit {
					t.Fatalf("%s: %d -> %d (diff %.0f > %.0f)", c.Name, s, out[0], diff, limit)
				}
			}
		})
	}
}

func TestG711Silence(t *testing.T) {
	for _, c := range []Codec{PCMU, PCMA} {
		var g [1]byte
		c.Encode(g[:], []int16{0})
		if g[0] != c.Silence {
			t.Errorf("%s: Encode(0) = %#02x; want %#02x", c.Name, g[0], c.Silence)
		}
	}
}

func BenchmarkEncodeFrame(b *testing.B) {
	pcm := make([]int16, FrameSamples)
	for i := range pcm {
		pcm[i] = int16(8000 * math.Sin(float64(i)/5))
	}
	out := make([]byte, FrameSamples)
	b.ReportAllocs()
	for b.Loop() {
		PCMU.Encode(out, pcm)
	}
}
