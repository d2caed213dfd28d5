// Package events owns Switchboard's event vocabulary and the append-only
// log every metric is computed from: the Event type, the Sink that call
// handling writes to, the in-memory log, and the export to Asterisk's
// queue_log format. Stores live in subpackages named after their
// dependency (events/sqlite, events/jsonl).
package events
