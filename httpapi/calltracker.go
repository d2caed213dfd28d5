package httpapi

import (
	"context"
	"sort"
	"sync"
	"time"

	"github.com/switchboard-cc/switchboard/events"
)

// Call states as the API and the wallboard show them.
const (
	CallIVR     = "ivr"     // walking the flow: prompts, menus, lookups
	CallQueued  = "queued"  // waiting in a skill group
	CallRinging = "ringing" // an agent is being offered the call
	CallTalking = "talking" // connected to an agent
	CallHold    = "hold"    // the agent put the caller on hold
)

// staleCallAge drops a call whose end event never came (a crash of the
// transport, an event lost before the tracker started): no real call lasts
// this long, and the board must not show ghosts forever.
const staleCallAge = 12 * time.Hour

// rememberEnded is how many recently ended call IDs the tracker keeps, so
// that an event arriving after call.end (the agent's wrap-up end, a late
// hold release) does not bring the call back as a ghost. A wrap-up lasts
// minutes; this covers thousands of calls ending meanwhile, in ~100 KB.
const rememberEnded = 4096

// CallTracker is a Calls source built from the event stream alone: wire it
// behind the event log's sink and it knows every live call's flow, node,
// queue, agent and state, with no hook into the transports or the engine.
// Events for a call it has not seen start (the server restarted mid-call)
// create the call at the first event's time — unless the call has already
// ended: only call.start brings back an ID that ended (a callback's dialled
// leg reuses the ID of the call that asked for it).
type CallTracker struct {
	mu    sync.Mutex
	calls map[string]*Call
	last  time.Time // the newest event time seen: "now" for stale sweeps

	ended *events.EndedCalls // recently ended call IDs
}

var (
	_ Calls       = (*CallTracker)(nil)
	_ events.Sink = (*CallTracker)(nil)
)

// NewCallTracker returns a tracker with no calls.
func NewCallTracker() *CallTracker {
	return &CallTracker{calls: map[string]*Call{}, ended: events.NewEndedCalls(rememberEnded)}
}

// Emit implements events.Sink.
func (t *CallTracker) Emit(_ context.Context, e events.Event) {
	if e.CallID == "" {
		return // agent presence and other call-less events
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if e.Time.After(t.last) {
		t.last = e.Time
	}
	if e.Type == events.CallEnd {
		delete(t.calls, e.CallID)
		t.ended.Mark(e.CallID)
		return
	}
	c, ok := t.calls[e.CallID]
	if !ok {
		if t.ended.Late(e) {
			return // a late event of a call that is over
		}
		c = &Call{ID: e.CallID, State: CallIVR, Started: e.Time, Since: e.Time}
		t.calls[e.CallID] = c
	}
	setState := func(state string) {
		if c.State != state {
			c.State, c.Since = state, e.Time
		}
	}
	switch e.Type {
	case events.CallStart:
		c.From, c.To, c.Flow = e.Data["from"], e.Data["to"], e.Data["flow"]
		c.Started, c.Since = e.Time, e.Time
	case events.IVRNode:
		c.Node, c.NodeType = e.Node, e.Data["node_type"]
		if f := e.Data["flow"]; f != "" {
			c.Flow = f // a goto into a sub-flow
		}
		if c.State != CallTalking && c.State != CallHold {
			c.Queue, c.Agent = "", ""
			setState(CallIVR)
		}
	case events.QueueEnter:
		c.Queue, c.Agent = e.Queue, ""
		setState(CallQueued)
	case events.AgentOffer:
		c.Agent = e.Agent
		setState(CallRinging)
	case events.AgentNoAnswer:
		c.Agent = ""
		setState(CallQueued) // back at its place in line
	case events.QueueConnect:
		c.Agent = e.Agent
		if e.Queue != "" {
			c.Queue = e.Queue
		}
		setState(CallTalking)
	case events.CallHold:
		setState(CallHold)
	case events.CallUnhold:
		setState(CallTalking)
	case events.QueueOverflow:
		// An overflow step widens who may take the call; it keeps its place
		// in line and its state.
	case events.QueueAbandon, events.QueueTimeout, events.QueueClosed:
		// The call goes on in its flow (after-hours) or is about to end;
		// either way it is no longer in this queue.
		c.Queue, c.Agent = "", ""
		setState(CallIVR)
	case events.CallTransfer:
		c.Agent = ""
		setState(CallIVR)
	}
}

// LiveCalls implements Calls: every call started and not yet ended, oldest
// first.
func (t *CallTracker) LiveCalls(context.Context) ([]Call, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]Call, 0, len(t.calls))
	for id, c := range t.calls {
		if t.last.Sub(c.Since) > staleCallAge {
			delete(t.calls, id)
			continue
		}
		out = append(out, *c)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Started.Equal(out[j].Started) {
			return out[i].Started.Before(out[j].Started)
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}
