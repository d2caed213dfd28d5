package httpapi

import (
	"context"
	"sync"

	"github.com/switchboard-cc/switchboard/events"
)

// Notifier fans change signals out to the wallboard streams. It is an
// events.Sink, so wiring it behind the event log's sink makes every call
// step and agent state change refresh the board; Notify does the same for
// changes that produce no event.
//
// Signals coalesce: a subscriber that has not yet taken the last signal does
// not queue another, so a burst of a thousand events costs each stream one
// snapshot, and Notify never blocks.
type Notifier struct {
	mu   sync.Mutex
	next int
	subs map[int]chan struct{}
}

var (
	_ Updates     = (*Notifier)(nil)
	_ events.Sink = (*Notifier)(nil)
)

// NewNotifier returns a Notifier with no subscribers.
func NewNotifier() *Notifier {
	return &Notifier{subs: make(map[int]chan struct{})}
}

// Subscribe implements Updates.
func (n *Notifier) Subscribe() (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	n.mu.Lock()
	id := n.next
	n.next++
	n.subs[id] = ch
	n.mu.Unlock()
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			n.mu.Lock()
			delete(n.subs, id)
			n.mu.Unlock()
		})
	}
}

// Notify signals every subscriber that something changed.
func (n *Notifier) Notify() {
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, ch := range n.subs {
		select {
		case ch <- struct{}{}:
		default: // a signal is already pending; it covers this change too
		}
	}
}

// Emit implements events.Sink: any event is a change worth showing.
func (n *Notifier) Emit(context.Context, events.Event) { n.Notify() }
