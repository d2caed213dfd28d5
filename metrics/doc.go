// Package metrics computes every number a supervisor sees from the event
// log alone, in one streaming pass over events in time order: queue KPIs
// (offered, answered, abandoned, service level, ASA, AHT, longest wait),
// agent time (login, not-ready by reason, occupancy), the IVR funnel and
// containment, repeat callers and daily traffic, and Erlang C staffing.
//
// Invariants:
//   - Nothing is read from live in-memory state: a restart loses no metric.
//   - Queue KPIs count queue visits (queue.enter to its exit). A visit is
//     counted once it has ended and is attributed to the queue and to the
//     interval in which it entered the queue.
//   - Time-based figures (login, not-ready, busy time for occupancy) are
//     split across interval boundaries, so an interval only holds its own
//     minutes.
//   - Short abandons (waited less than Options.ShortAbandon) are removed
//     before any formula: they are neither offered nor abandoned, only
//     counted as short_abandoned.
//   - A ratio with an empty denominator is undefined (JSON null), never 0.
//   - A callback (queue events with Data callback=1) is one visit from the
//     place it keeps to its answer or its last exit: the caller's hang-up
//     does not end it, and an exit whose place a callback takes back (a
//     timeout, a customer not reached) is uncounted. Its dialled leg
//     (call.start direction=outbound) is never an inbound call
//     (callbacks.go).
//
// See docs/reports.md for every formula.
package metrics
