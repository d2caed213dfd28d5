// Package jsonl reads and writes the event log as JSON Lines, one event
// per line ({"ts":…,"call_id":…,"type":…,…}): the export/import format,
// the format of committed fixtures, and a Store for setups that want a
// plain append-only file.
package jsonl
