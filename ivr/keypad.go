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
// of the following collection. A Keypad is safe for concurrent use; the
// zero value is not usable, use NewKeypad.
type Keypad struct {
	mu     sync.Mutex
	keys   []rune
	next   chan struct{} // closed and replaced by the next Press, closed by Close
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
func NewKeypad() *Keypad {
	return &Keypad{next: make(chan struct{})}
}

// Press adds a key the caller pressed and wakes whoever waits for keys. It
// reports false when the key was dropped: the call is gone, the buffer is
// full, Drop asked for it, or it is the terminator of the input just
// completed (SwallowNext).
func (k *Keypad) Press(key rune) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.err != nil || len(k.keys) >= maxBuffered {
		return false
	}
	if k.drops[key] > 0 {
		k.drops[key]--
		return false
	}
	if s := k.expect; s.keys != "" {
		k.expect = swallow{}
		if len(k.keys) == 0 && strings.ContainsRune(s.keys, key) && !s.clk.Now().After(s.until) {
			return false
		}
	}
	k.keys = append(k.keys, key)
	close(k.next)
	k.next = make(chan struct{})
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
	close(k.next)
}

// Peek returns the oldest buffered key without taking it (0 when none is
// buffered), a channel closed when the next key arrives, and the stream's
// end once the call is gone. A barging Play stops at the key Peek shows.
func (k *Keypad) Peek() (key rune, next <-chan struct{}, err error) { return k.head(false) }

// Take removes and returns the oldest buffered key, as Peek shows it.
func (k *Keypad) Take() (key rune, next <-chan struct{}, err error) { return k.head(true) }

func (k *Keypad) head(take bool) (rune, <-chan struct{}, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.err != nil || len(k.keys) == 0 {
		return 0, k.next, k.err
	}
	key := k.keys[0]
	if take {
		k.keys = k.keys[1:]
	}
	return key, k.next, nil
}

// Flush drops every buffered key and any pending SwallowNext, and returns
// how many keys it dropped: what the caller typed for one part of the call
// must not act on a later one.
func (k *Keypad) Flush() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	n := len(k.keys)
	k.keys = k.keys[:0]
	k.expect = swallow{}
	return n
}

// Len returns how many keys are buffered.
func (k *Keypad) Len() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return len(k.keys)
}

// Find returns the first buffered key at index from or later that is one
// of keys.
func (k *Keypad) Find(keys string, from int) (rune, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	for i := min(from, len(k.keys)); i < len(k.keys); i++ {
		if strings.ContainsRune(keys, k.keys[i]) {
			return k.keys[i], true
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
	for i := min(from, len(k.keys)); i < len(k.keys); i++ {
		if k.keys[i] == key {
			k.keys = append(k.keys[:i], k.keys[i+1:]...)
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
	if len(k.keys) > 0 {
		if strings.ContainsRune(keys, k.keys[0]) {
			k.keys = k.keys[1:]
		}
		return
	}
	k.expect = swallow{keys: keys, clk: clk, until: until}
}
