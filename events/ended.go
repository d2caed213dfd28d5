package events

// EndedCalls remembers the IDs of the calls that ended most recently, up to
// a fixed number. An event that arrives for a call after its call.end (a
// wrap-up end, a late hold release, the second call.end of a call whose
// node was declared dead while it went on) is late: a reader that keeps
// per-call state must not bring the call back for it, or it shows a ghost
// on the wallboard and counts the call twice in a report. Only a new
// call.start reopens an ID: a callback's dialled leg reuses the ID of the
// call that asked for it.
//
// The bound keeps a long-running reader's memory flat: the oldest ID is
// forgotten first. Not safe for concurrent use.
type EndedCalls struct {
	ids   map[string]endedID
	order []string // ring of marks, oldest at next once full
	next  int
	max   int
}

// endedID is one ID's place in the ring: how many of the ring's slots
// hold it (a call ended, reopened by a callback and ended again holds
// two), and whether it is ended now.
type endedID struct {
	slots int32
	ended bool
}

// NewEndedCalls remembers at most limit call ends (at least one).
func NewEndedCalls(limit int) *EndedCalls {
	return &EndedCalls{ids: map[string]endedID{}, max: max(limit, 1)}
}

// Mark records id as ended.
func (e *EndedCalls) Mark(id string) {
	d := e.ids[id]
	if d.ended {
		return
	}
	d.ended = true
	d.slots++
	e.ids[id] = d
	if len(e.order) < e.max {
		e.order = append(e.order, id)
		return
	}
	oldID := e.order[e.next]
	if old := e.ids[oldID]; old.slots > 1 {
		old.slots--
		e.ids[oldID] = old
	} else {
		delete(e.ids, oldID)
	}
	e.order[e.next] = id
	e.next = (e.next + 1) % e.max
}

// Ended reports whether id is remembered as ended.
func (e *EndedCalls) Ended(id string) bool {
	return e.ids[id].ended
}

// Late reports whether ev belongs to a call that is over: an event other
// than call.start for an ID remembered as ended. A call.start reopens the
// ID.
func (e *EndedCalls) Late(ev Event) bool {
	d := e.ids[ev.CallID]
	if ev.CallID == "" || !d.ended {
		return false
	}
	if ev.Type == CallStart {
		d.ended = false
		e.ids[ev.CallID] = d
		return false
	}
	return true
}

// Len is how many IDs are remembered (ended, or reopened and still in the
// ring).
func (e *EndedCalls) Len() int { return len(e.ids) }
