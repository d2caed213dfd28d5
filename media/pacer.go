package media

import (
	"context"
	"sync"
	"time"
)

// Ptime is the packet interval Switchboard sends at (SDP a=ptime:20).
const Ptime = 20 * time.Millisecond

// maxCatchUp bounds how many missed ticks a late shard sends back to back:
// beyond it (a stalled process), streams resynchronise instead of bursting.
const maxCatchUp = 5

// Pacer sends every session's next packet on one shared 20 ms tick. Sessions
// are spread over shards, one goroutine each, so a many-core machine uses its
// cores while a pinned single core runs one loop: no goroutine or timer per
// call or per packet.
type Pacer struct {
	shards []*pacerShard
	mu     sync.Mutex
	next   int
}

type pacerShard struct {
	mu       sync.Mutex
	sessions []*Session
}

// NewPacer returns a pacer with the given number of shards (at least one).
// Run must be called for it to send.
func NewPacer(shards int) *Pacer {
	if shards < 1 {
		shards = 1
	}
	p := &Pacer{}
	for range shards {
		p.shards = append(p.shards, &pacerShard{})
	}
	return p
}

// Run ticks every Ptime until ctx ends.
func (p *Pacer) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for _, sh := range p.shards {
		wg.Go(func() { sh.run(ctx) })
	}
	wg.Wait()
}

func (sh *pacerShard) run(ctx context.Context) {
	timer := time.NewTimer(Ptime)
	defer timer.Stop()
	next := time.Now()
	for {
		next = next.Add(Ptime)
		if wait := time.Until(next); wait > 0 {
			timer.Reset(wait)
			select {
			case <-ctx.Done():
				return
			case <-timer.C:
			}
		} else if -wait > maxCatchUp*Ptime {
			next = time.Now()
		} else if ctx.Err() != nil {
			return
		}
		sh.mu.Lock()
		for _, s := range sh.sessions {
			s.tick()
		}
		sh.mu.Unlock()
	}
}

// add places s on the least loaded shard.
func (p *Pacer) add(s *Session) {
	p.mu.Lock()
	best := p.shards[p.next%len(p.shards)]
	p.next++
	p.mu.Unlock()
	best.mu.Lock()
	s.shard = best
	s.shardIndex = len(best.sessions)
	best.sessions = append(best.sessions, s)
	best.mu.Unlock()
}

func (p *Pacer) remove(s *Session) {
	sh := s.shard
	if sh == nil {
		return
	}
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if s.shard != sh || s.shardIndex < 0 {
		return
	}
	last := len(sh.sessions) - 1
	moved := sh.sessions[last]
	sh.sessions[s.shardIndex] = moved
	moved.shardIndex = s.shardIndex
	sh.sessions[last] = nil
	sh.sessions = sh.sessions[:last]
	s.shardIndex = -1
	s.shard = nil
}

// Len is the number of sessions the pacer serves.
func (p *Pacer) Len() int {
	n := 0
	for _, sh := range p.shards {
		sh.mu.Lock()
		n += len(sh.sessions)
		sh.mu.Unlock()
	}
	return n
}
