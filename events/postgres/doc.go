// Package postgres is the event store for a cluster: many Switchboard
// nodes append to one PostgreSQL database (13 or newer) through
// github.com/jackc/pgx/v5, and reports read it back.
//
// Each Append is one transaction that COPYs the batch in, so a batch is all
// there or not at all, and what a committed transaction wrote survives the
// crash of the node that wrote it (and, with the server's own fsync and
// synchronous_commit on, of the server). When the connection breaks during
// COMMIT, Append asks the server whether that transaction committed
// (pg_xact_status) instead of guessing, so the Writer neither loses an
// acknowledged batch nor writes it twice.
//
// Event sequence numbers come from one identity column in the database:
// unique across every node that writes, and growing in append order within
// a node (each connection takes them in blocks of 1024, so nodes interleave
// by block, not by time; readers order by ts, then seq). The schema is created on Open by numbered migrations, run under
// an advisory lock so nodes starting together apply each one once.
package postgres
