package sip

import (
	"sync"
	"time"
)

// floodLimiter is a token bucket per source IP for new INVITEs: rate tokens
// per second, up to burst. Idle buckets are dropped so a spoofed-source
// flood cannot grow the map without bound.
type floodLimiter struct {
	rate  float64
	burst float64
	now   func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket
	swept   time.Time
}

type bucket struct {
	tokens float64
	last   time.Time
}

// maxBuckets bounds memory under a flood from many spoofed addresses.
const maxBuckets = 100_000

func newFloodLimiter(rate float64, burst int, now func() time.Time) *floodLimiter {
	return &floodLimiter{rate: rate, burst: float64(burst), now: now, buckets: map[string]*bucket{}}
}

// allow takes a token for ip. A disabled limiter (rate < 0) always allows.
func (f *floodLimiter) allow(ip string) bool {
	if f == nil || f.rate < 0 {
		return true
	}
	now := f.now()
	f.mu.Lock()
	defer f.mu.Unlock()
	if now.Sub(f.swept) > time.Minute || len(f.buckets) > maxBuckets {
		for k, b := range f.buckets {
			if now.Sub(b.last) > time.Duration(f.burst/f.rate*float64(time.Second)) {
				delete(f.buckets, k)
			}
		}
		f.swept = now
	}
	b, ok := f.buckets[ip]
	if !ok {
		if len(f.buckets) >= maxBuckets {
			return false
		}
		b = &bucket{tokens: f.burst, last: now}
		f.buckets[ip] = b
	}
	b.tokens = min(f.burst, b.tokens+now.Sub(b.last).Seconds()*f.rate)
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
