package clock

import (
	"container/heap"
	"context"
	"sync"
	"time"
)

// Virtual is a clock that moves only when told to. Tests call Advance;
// `switchboard simulate` runs AutoAdvance, which jumps to the next timer
// whenever the program has gone quiet, so waits take no real time.
type Virtual struct {
	mu      sync.Mutex
	now     time.Time
	timers  timerHeap
	seq     uint64
	changed chan struct{} // closed and replaced on every timer change
	holds   int           // Hold calls not yet released: AutoAdvance waits
}

var _ Clock = (*Virtual)(nil)

// NewVirtual returns a virtual clock that reads start until advanced.
func NewVirtual(start time.Time) *Virtual {
	return &Virtual{now: start, changed: make(chan struct{})}
}

func (v *Virtual) Now() time.Time {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.now
}

func (v *Virtual) NewTimer(d time.Duration) Timer {
	ch := make(chan time.Time, 1)
	return v.add(d, func(t time.Time) {
		select {
		case ch <- t:
		default:
		}
	}, ch)
}

func (v *Virtual) AfterFunc(d time.Duration, f func()) Timer {
	return v.add(d, func(time.Time) { go f() }, nil)
}

func (v *Virtual) add(d time.Duration, fire func(time.Time), ch chan time.Time) *virtualTimer {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.seq++
	t := &virtualTimer{v: v, when: v.now.Add(d), seq: v.seq, fire: fire, ch: ch, index: -1}
	if d <= 0 {
		fire(v.now)
		return t
	}
	heap.Push(&v.timers, t)
	v.notifyLocked()
	return t
}

func (v *Virtual) notifyLocked() {
	close(v.changed)
	v.changed = make(chan struct{})
}

// Advance moves the clock forward by d, firing every timer that falls due on
// the way, in order, with the clock set to each timer's deadline as it fires.
func (v *Virtual) Advance(d time.Duration) {
	v.mu.Lock()
	target := v.now.Add(d)
	v.mu.Unlock()
	v.AdvanceTo(target)
}

// AdvanceTo moves the clock to t (never backwards), firing due timers.
func (v *Virtual) AdvanceTo(t time.Time) {
	v.mu.Lock()
	defer v.mu.Unlock()
	for len(v.timers) > 0 && !v.timers[0].when.After(t) {
		next := heap.Pop(&v.timers).(*virtualTimer)
		if next.when.After(v.now) {
			v.now = next.when
		}
		next.fire(v.now)
	}
	if t.After(v.now) {
		v.now = t
	}
	v.notifyLocked()
}

// Pending reports how many timers are waiting to fire.
func (v *Virtual) Pending() int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return len(v.timers)
}

// BlockUntil waits until at least n timers are pending, so a test can advance
// the clock only once the code under test is waiting on it. It returns ctx's
// error if ctx ends first.
func (v *Virtual) BlockUntil(ctx context.Context, n int) error {
	for {
		v.mu.Lock()
		if len(v.timers) >= n {
			v.mu.Unlock()
			return nil
		}
		ch := v.changed
		v.mu.Unlock()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-ch:
		}
	}
}

// Hold keeps AutoAdvance from moving the clock until release is called
// (release may be called more than once). It covers work that is about to
// start and has not reached the clock yet: a goroutine being started may
// take longer than AutoAdvance's quiet period to run on a busy machine, and
// the clock must not jump past it to another goroutine's timer meanwhile.
func (v *Virtual) Hold() (release func()) {
	v.mu.Lock()
	v.holds++
	v.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			v.mu.Lock()
			v.holds--
			v.notifyLocked()
			v.mu.Unlock()
		})
	}
}

// HoldAfter is a timer that takes a Hold as it fires: it delivers the
// release, and the clock stays put until the woken goroutine has done its
// work and released it (or reached the clock again and then released).
func (v *Virtual) HoldAfter(d time.Duration) <-chan func() {
	ch := make(chan func(), 1)
	v.add(d, func(time.Time) {
		v.holds++ // fire runs with v.mu held
		var once sync.Once
		ch <- func() {
			once.Do(func() {
				v.mu.Lock()
				v.holds--
				v.notifyLocked()
				v.mu.Unlock()
			})
		}
	}, nil)
	return ch
}

// AutoAdvance jumps the clock to the next pending timer each time no timer
// has been created, stopped or fired for quiet of real time. It runs until ctx
// is done. This is how simulations make minutes of waiting take milliseconds:
// when every goroutine is blocked on the clock, nothing changes, and time
// moves on to the next thing that would happen.
func (v *Virtual) AutoAdvance(ctx context.Context, quiet time.Duration) {
	for {
		v.mu.Lock()
		ch := v.changed
		v.mu.Unlock()
		idle := time.NewTimer(quiet)
		select {
		case <-ctx.Done():
			idle.Stop()
			return
		case <-ch:
			idle.Stop()
			continue
		case <-idle.C:
		}
		v.mu.Lock()
		if len(v.timers) == 0 || v.changed != ch || v.holds > 0 {
			v.mu.Unlock()
			continue
		}
		next := v.timers[0].when
		v.mu.Unlock()
		v.AdvanceTo(next)
	}
}

type virtualTimer struct {
	v     *Virtual
	when  time.Time
	seq   uint64
	fire  func(time.Time)
	ch    chan time.Time
	index int
}

func (t *virtualTimer) C() <-chan time.Time { return t.ch }

func (t *virtualTimer) Stop() bool {
	t.v.mu.Lock()
	defer t.v.mu.Unlock()
	if t.index < 0 {
		return false
	}
	heap.Remove(&t.v.timers, t.index)
	t.v.notifyLocked()
	return true
}

type timerHeap []*virtualTimer

func (h timerHeap) Len() int { return len(h) }
func (h timerHeap) Less(i, j int) bool {
	if h[i].when.Equal(h[j].when) {
		return h[i].seq < h[j].seq
	}
	return h[i].when.Before(h[j].when)
}
func (h timerHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index = i
	h[j].index = j
}
func (h *timerHeap) Push(x any) {
	t := x.(*virtualTimer)
	t.index = len(*h)
	*h = append(*h, t)
}
func (h *timerHeap) Pop() any {
	old := *h
	t := old[len(old)-1]
	old[len(old)-1] = nil
	t.index = -1
	*h = old[:len(old)-1]
	return t
}
