// Package sqlrows holds what the SQL event stores (events/sqlite,
// events/postgres) share when they read events back: the time range as
// nanosecond bounds, and one Event built from a row's columns with the
// small vocabularies interned. It imports no database driver; each store
// keeps its own query, column layout and Data encoding.
package sqlrows

import (
	"time"

	"github.com/switchboard-cc/switchboard/events"
)

// Bounds turns [from, to) into the stores' ts column bounds in Unix
// nanoseconds; a zero time leaves that side open.
func Bounds(from, to time.Time) (int64, int64) {
	lo, hi := int64(-1<<63), int64(1<<63-1)
	if !from.IsZero() {
		lo = from.UnixNano()
	}
	if !to.IsZero() {
		hi = to.UnixNano()
	}
	return lo, hi
}

// Interner shares the strings of small vocabularies (types, queues,
// agents, nodes) across rows instead of allocating each again. Make one
// per scan.
type Interner map[string]string

// Get returns b as a string, the same string each time for equal bytes.
func (in Interner) Get(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if s, ok := in[string(b)]; ok {
		return s
	}
	s := string(b)
	if len(in) < 100_000 {
		in[s] = s
	}
	return s
}

// Event builds one row's event: ts is Unix nanoseconds, the vocabulary
// columns are interned, data is already decoded by the store.
func (in Interner) Event(seq, ts int64, callID string, typ, node, queue, agent []byte, data map[string]string) events.Event {
	return events.Event{
		Seq:    uint64(seq),
		Time:   time.Unix(0, ts).UTC(),
		CallID: callID,
		Type:   events.Type(in.Get(typ)),
		Node:   in.Get(node),
		Queue:  in.Get(queue),
		Agent:  in.Get(agent),
		Data:   data,
	}
}
