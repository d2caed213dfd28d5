// Package events owns Switchboard's event vocabulary and the append-only
// log every metric is computed from: the Event type and the Sink that call
// handling writes to; the Writer that batches events into a Store without
// ever blocking a call; the Store and Reader interfaces stores implement;
// the in-memory Log (tests, simulate); and the export to Asterisk's
// queue_log format. Stores live in subpackages named after their
// dependency (events/sqlite, events/jsonl).
//
// Invariants:
//   - The log is append-only; events are never updated or deleted.
//   - Emit never waits on the disk for longer than WriterConfig.MaxWait;
//     an event that cannot be buffered is dropped and counted (Stats),
//     never lost silently.
//   - An acknowledged event (Flush returned after its Emit, or EmitSync
//     returned nil) is in the Store; failed batches are retried, not
//     discarded; Close flushes.
//   - Readers return events in time order (ties in append order), over the
//     half-open range [from, to).
package events
