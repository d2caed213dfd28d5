package ivr

import (
	"strings"
	"sync"
	"time"

	"github.com/switchboard-cc/switchboard/internal/clock"
)

// maxBuffered bounds a call's type-ahead: a stuck key must not grow memory.
const maxBuffered = 64

// Keypad is a call's DTMF stream: the transport presses every key the
// caller sends (RFC 4733, SIP INFO, ARI ChannelDtmfReceived) in arrival
// order, and the engine's side reads them. Keys nobody has read stay
// buffered (type-ahead), so a key that cuts a prompt short is the first key
// of the following collection. A Keypad is safe for concurrent use and
// does not allocate once made (but for the wake-up channel of a reader who
// finds it empty); the zero value is not usable, use NewKeypad.
type Keypad struct {
	mu     sync.Mutex
	ring   [maxBuffered]rune // buffered keys, oldest at head
	head   int
	n      int
	next   chan struct{} // closed by the next Press or by Close; made when a reader asks
	err    error         // why the stream ended (Close), nil while the call lasts
	drops  map[rune]int  // keys to drop on arrival (Drop)
	expect swallow       // a terminator expected after a full input (SwallowNext)
}

// swallow is a pending SwallowNext.
type swallow struct {
	keys  string
	clk   clock.Clock
	until time.Time
}

// NewKeypad returns an empty keypad.
func NewKeypad() *Keypad { return &Keypad{} }

func (k *Keypad) at(i int) rune { return k.ring[(k.head+i)%maxBuffered] }

// remove takes out the key at index i; k.mu must be held.
func (k *Keypad) remove(i int) {
	for ; i > 0; i-- {
		k.ring[(k.head+i)%maxBuffered] = k.at(i - 1)
	}
	k.head = (k.head + 1) % maxBuffered
	k.n--
}

// Press adds a key the caller pressed and wakes whoever waits for keys. It
// reports false when the key was dropped: the call is gone, the buffer is
// full, Drop asked for it, or it is the terminator of the input just
// completed (SwallowNext).
func (k *Keypad) Press(key rune) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.err != nil || k.n >= maxBuffered {
		return false
	}
	if k.drops[key] > 0 {
		k.drops[key]--
		return false
	}
	if s := k.expect; s.keys != "" {
		k.expect = swallow{}
		if k.n == 0 && strings.ContainsRune(s.keys, key) && !s.clk.Now().After(s.until) {
			return false
		}
	}
	k.ring[(k.head+k.n)%maxBuffered] = key
	k.n++
	if k.next != nil {
		close(k.next)
		k.next = nil
	}
	return true
}

// Close ends the stream when the call is gone: waiters wake, and Peek and
// Take return err (which should wrap ErrHangup) from then on.
func (k *Keypad) Close(err error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.err != nil {
		return
	}
	k.err = err
	if k.next == nil {
		k.next = make(chan struct{})
	}
	close(k.next)
}

// Peek returns the oldest buffered key without taking it (0 when none is
// buffered), a channel closed when the next key arrives, and the stream's
// end once the call is gone. A barging Play stops at the key Peek shows.
func (k *Keypad) Peek() (key rune, next <-chan struct{}, err error) { return k.first(false) }

// Take removes and returns the oldest buffered key, as Peek shows it, but
// with no channel when it returns a key (the reader comes back for the
// next one; a collection that finds its keys typed ahead makes no channel).
func (k *Keypad) Take() (key rune, next <-chan struct{}, err error) { return k.first(true) }

func (k *Keypad) first(take bool) (rune, <-chan struct{}, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if take && k.err == nil && k.n > 0 {
		key := k.at(0)
		k.remove(0)
		return key, nil, nil
	}
	if k.next == nil {
		k.next = make(chan struct{})
	}
	if k.err != nil || k.n == 0 {
		return 0, k.next, k.err
	}
	return k.at(0), k.next, nil
}

// Flush drops every buffered key and any pending SwallowNext, and returns
// how many keys it dropped: what the caller typed for one part of the call
// must not act on a later one.
func (k *Keypad) Flush() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	n := k.n
	k.head, k.n = 0, 0
	k.expect = swallow{}
	return n
}

// Len returns how many keys are buffered.
func (k *Keypad) Len() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.n
}

// Find returns the first buffered key at index from or later that is one
// of keys.
func (k *Keypad) Find(keys string, from int) (rune, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	for i := max(from, 0); i < k.n; i++ {
		if strings.ContainsRune(keys, k.at(i)) {
			return k.at(i), true
		}
	}
	return 0, false
}

// Drop removes key from the buffer (the first one at index from or later)
// or, when it has not arrived yet, drops it on arrival: a key that ended a
// recording belongs to the recording, not to the next menu.
func (k *Keypad) Drop(key rune, from int) {
	k.mu.Lock()
	defer k.mu.Unlock()
	for i := max(from, 0); i < k.n; i++ {
		if k.at(i) == key {
			k.remove(i)
			return
		}
	}
	if k.drops == nil {
		k.drops = map[rune]int{}
	}
	k.drops[key]++
}

// SwallowNext says an input just completed at its maximum length: the next
// key belongs to it if it is one of keys (its terminator) and is already
// buffered first, or arrives first, by until on clk. Any other key first
// cancels the swallow.
func (k *Keypad) SwallowNext(keys string, clk clock.Clock, until time.Time) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.err != nil || keys == "" {
		return
	}
	if k.n > 0 {
		if strings.ContainsRune(keys, k.at(0)) {
			k.remove(0)
		}
		return
	}
	k.expect = swallow{keys: keys, clk: clk, until: until}
}
