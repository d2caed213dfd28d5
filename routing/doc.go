// Package routing owns the ACD (automatic call distributor): agents and
// their state, skill groups (queues), the routing strategies, priorities,
// overflow, no-answer handling, callbacks on virtual hold, and the live
// snapshots the wallboard and the API show. It is pure logic: time comes
// from an injected clock.Clock, facts go to an injected events.Sink, and it
// imports no transport (DESIGN §5). Reports are computed from the events,
// never from the counters kept here.
//
// # Agents: one state machine, two axes
//
// An agent has a presence, set by the agent or a supervisor (logged_out,
// ready, not_ready with a reason code), and an activity, set by the router
// (idle, reserved while an offer rings, on_call, wrap_up). Both change in
// one place (ACD.set), which also keeps the routing indexes in step, so the
// two can never drift apart. An agent is offered a call only when ready,
// idle and not resting after a missed offer. Login starts not_ready(login);
// a logout asked while an offer rings withdraws the offer (Offer.Withdrawn
// is closed; the call goes back to its place) and applies at once; a
// logout or not-ready asked during a conversation takes effect after
// wrap-up.
// Every presence change is an agent.state event with state, reason and by.
//
// # The queue node's contract
//
// Enqueue returns a *Ticket, or an error wrapping ErrClosed (calendar
// closed, or no agent logged in who could take the call now or after any
// later overflow step, the group's or the request's own: take on_closed)
// or ErrUnknownGroup. The holder of the ticket then:
//
//   - reads Offers: each offer names the agents to ring (several for
//     ring_all) and the ring timeout; the agents stay reserved until the
//     holder reports, or until RingTimeout+ReservationGrace passes;
//   - reports each offer with exactly one of Answered(offer, agentID) (the
//     others of a ring_all offer are released at once) or Missed(offer,
//     reasons) (the call goes back to its own place in line; an agent who
//     missed rests for the group's retry time, and after max_misses misses in
//     a row is set not_ready(no_answer));
//   - calls Abandon if the caller hangs up while waiting or ringing, and
//     Finish(by) when the conversation ends (the agent wraps up);
//   - watches Exited: it is closed once the call has left the queue, and
//     Exit says why (Answered, Abandoned, TimedOut). Max wait does not cut
//     an offer that is ringing; if nobody answers, the call leaves then.
//     A call also leaves with Closed when the last agent logged in who could
//     take it logs out. Overflowed is never the exit: overflow steps widen
//     who may take the call while it keeps its place (queue.overflow).
//
// Reports about an offer that is no longer current are ignored, so a late
// or duplicate report cannot corrupt the state.
//
// # Callbacks (virtual hold)
//
// RequestCallback puts a callback in line with the caller's original
// EnqueuedAt, so it keeps its place. Without one, a callback for a call
// that timed out of (or was closed out of) the same group in the last 30
// minutes — into the after-hours menu, say — takes the place it left. A
// callback keeps to its group's calendar: while it is closed the callback
// is held out of every line (not offered, even to an agent still ready),
// and it goes back in when the calendar opens, unless the request says
// OutsideHours (hold.go). When it reaches an agent, the
// Options.Callbacks hook receives a CallbackDue (number, offer, ticket); the
// dialer rings the agent, calls the customer, and reports on the ticket as
// the queue node would.
//
// # Routing
//
// Every (skill requirement, strategy) pair is a pool holding two heaps: the
// free agents that meet the requirement, ordered by the strategy, and the
// calls waiting for such an agent, ordered by priority then place in line.
// A group's own requirement, each overflow step's widened requirement, and
// a call's extra skills (widened by the request's own steps) all map onto
// pools. The ACD keeps one invariant
// between decisions: no free agent is eligible for a waiting call. So a call
// that joins a line only looks at the head of its pools' agent heaps, and an
// agent who becomes free only looks at the head of each of its pools' call
// heaps, taking the best (priority, then longest waiting) across all its
// groups. No decision scans all agents.
//
// # Invariants (held by TestRandomizedInvariants and TestConcurrentCalls)
//
//   - No agent ever holds two offers or calls, and an agent in wrap-up holds
//     none: wrap-up is honoured in every group the agent serves.
//   - Within a priority, calls are offered first-in-first-out: an offered
//     call is never behind another waiting call the same agent could take.
//     A missed call keeps its place; a callback keeps its caller's place.
//   - Every call that enters a queue leaves it exactly once, with its reason
//     (queue.connect, queue.abandon or queue.timeout), and Exited is closed
//     exactly then.
//   - A logged-out or not-ready agent is never offered a call.
//
// # Concurrency and time
//
// One mutex guards the state machine; every exported method may be called
// from any goroutine. Timers (ring reservation, wrap-up, max wait, overflow
// steps, rest after a miss) are kept in one deadline heap driven by a single
// clock timer; every method first runs the deadlines that fell due by the
// clock's now, each at its own instant, so with clock.Virtual a test can
// Advance and read the result at once. Hooks (Callbacks, Subscribe) run
// after the mutex is released.
package routing
