package events

import (
	"context"
	"time"
)

// Type names what happened. The vocabulary is closed: reports, the queue_log
// export and the wallboard all switch over these constants.
type Type string

const (
	CallStart         Type = "call.start"         // a transport accepted a call; Data: from, to, flow, transport; a call Switchboard dialled (a callback): direction=outbound, kind, attempt
	IVRNode           Type = "ivr.node"           // the engine entered Node; Data: node_type
	IVRDigits         Type = "ivr.digits"         // digits collected at Node; Data: digits, stop (why collection ended), var
	IVRPrompt         Type = "ivr.prompt"         // a prompt played at Node; Data: prompt, barged ("1" when DTMF cut it)
	QueueEnter        Type = "queue.enter"        // call entered Queue; Data: priority, position; for a callback: callback, number, place (RFC 3339, when it keeps an earlier place in line)
	AgentOffer        Type = "agent.offer"        // Agent reserved and rung for the call in Queue
	AgentNoAnswer     Type = "agent.noanswer"     // Agent did not answer; Data: reason (timeout, busy, decline, unreachable), ring_ms
	QueueConnect      Type = "queue.connect"      // caller and Agent talking; Data: wait_ms, ring_ms
	CallHold          Type = "call.hold"          // Agent put the caller on hold
	CallUnhold        Type = "call.unhold"        // Agent took the caller off hold
	CallTransfer      Type = "call.transfer"      // the call left Agent (or the flow) for Data: target, kind (blind, queue, number)
	QueueAbandon      Type = "queue.abandon"      // the caller hung up while waiting in Queue; Data: wait_ms, position (optional: place in line when leaving)
	QueueTimeout      Type = "queue.timeout"      // the call waited past max_wait in Queue; Data: wait_ms, position (optional)
	QueueOverflow     Type = "queue.overflow"     // the call left Queue for another group or widened step; Data: step, to
	QueueClosed       Type = "queue.closed"       // Queue was closed or had no agent logged in; Data: reason
	CallEnd           Type = "call.end"           // the call is gone; Data: by (caller, agent, system), reason
	AgentWrapupEnd    Type = "agent.wrapup_end"   // Agent finished after-call work for the call (CallID, Queue set; emit it even for zero wrap-up)
	AgentState        Type = "agent.state"        // Agent's presence changed; Data: state (login, logout, ready, not_ready), reason, by, channel (optional, for queue_log)
	AgentDevice       Type = "agent.device"       // Agent's phone became callable or not (registrar); Data: status (available, unavailable), reason (registered, unregistered, registration_expired, unreachable, reachable), contacts
	SelfServiceDone   Type = "selfservice.done"   // a self-service step completed at Node; Data: kind, result
	VoicemailSaved    Type = "voicemail.saved"    // Data: path, duration_ms
	CallbackRequested Type = "callback.requested" // Data: number, queue
)

// How metrics read the vocabulary (docs/reports.md has every formula):
//   - A queue visit is queue.enter up to its exit (queue.connect, .abandon,
//     .timeout, .overflow, .closed); a call.end while queued counts as an
//     abandon. queue.connect carries Queue and Agent.
//   - An agent's part of a call runs from queue.connect to call.end or
//     call.transfer; call.hold/call.unhold in between are hold time; then
//     after-call work until agent.wrapup_end.
//   - agent.state login starts logged-in time as not ready (reason "login",
//     or Data reason) until the first ready.
//   - selfservice.done, voicemail.saved and callback.requested mark a call
//     as served by self-service (containment).
//   - A callback keeps the call ID of the call that asked for it. Its queue
//     events carry Data callback=1 and its visit outlives the caller's
//     hang-up; its dialled leg (call.start direction=outbound, see
//     Outbound, EndsDialledLeg) is not an inbound call. A transport that
//     dials should also write direction=outbound on that leg's call.end.

// Event is one fact in the append-only log. Timestamps are UTC. Data holds
// the type-specific details as strings so every store can keep them as-is.
type Event struct {
	Seq    uint64            `json:"seq,omitempty"` // assigned by the store
	Time   time.Time         `json:"ts"`
	CallID string            `json:"call_id,omitempty"`
	Type   Type              `json:"type"`
	Node   string            `json:"node,omitempty"`
	Queue  string            `json:"queue,omitempty"`
	Agent  string            `json:"agent,omitempty"`
	Data   map[string]string `json:"data,omitempty"`
}

// Sink receives events as they happen. Emit must not block call handling
// for long: a store behind it buffers and writes in batches.
type Sink interface {
	Emit(ctx context.Context, e Event)
}

// SinkFunc adapts a function to Sink.
type SinkFunc func(ctx context.Context, e Event)

func (f SinkFunc) Emit(ctx context.Context, e Event) { f(ctx, e) }

// Discard is a Sink that drops every event.
var Discard Sink = SinkFunc(func(context.Context, Event) {})
