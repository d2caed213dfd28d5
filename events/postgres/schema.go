package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// migrations are applied in order, each once, and never edited once
// released: a change to the schema is a new entry at the end. They only
// add (tables, columns, indexes), so a node of an older release keeps
// working against a database a newer node has migrated.
var migrations = []string{
	// 1: the log. ts is Unix nanoseconds (UTC), as in the SQLite store, so
	// every store orders and bounds events alike; the event_log view shows
	// it as a timestamp for people querying by hand.
	`CREATE TABLE events (
		seq     bigint GENERATED ALWAYS AS IDENTITY (CACHE 1024) PRIMARY KEY,
		ts      bigint NOT NULL,
		call_id text   NOT NULL DEFAULT '',
		type    text   NOT NULL,
		node    text   NOT NULL DEFAULT '',
		queue   text   NOT NULL DEFAULT '',
		agent   text   NOT NULL DEFAULT '',
		data    jsonb  NOT NULL DEFAULT '{}'
	);
	CREATE INDEX events_ts    ON events (ts, seq);
	CREATE INDEX events_call  ON events (call_id) WHERE call_id <> '';
	CREATE VIEW event_log AS
		SELECT seq, to_timestamp(ts / 1e9) AS at, call_id, type, node, queue, agent, data FROM events;`,
}

// migrationLock is the advisory lock key nodes take while migrating (any
// constant: it only has to be the same on every node).
const migrationLock = 0x5357_4244_4556 // "SWBDEV"

// migrate brings the schema up to date: under a transaction-scoped
// advisory lock, so two nodes opening an empty database at once do not
// both create the tables.
func migrate(ctx context.Context, pool *pgxpool.Pool) error {
	tx, err := pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", int64(migrationLock)); err != nil {
		return fmt.Errorf("migration lock: %w", err)
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS switchboard_migrations (
		version    int PRIMARY KEY,
		applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return err
	}
	have, err := schemaVersion(ctx, tx)
	if err != nil {
		return err
	}
	for v := have + 1; v <= len(migrations); v++ {
		if _, err := tx.Exec(ctx, migrations[v-1]); err != nil {
			return fmt.Errorf("migration %d: %w", v, err)
		}
		if _, err := tx.Exec(ctx, "INSERT INTO switchboard_migrations (version) VALUES ($1)", v); err != nil {
			return fmt.Errorf("migration %d: %w", v, err)
		}
	}
	return tx.Commit(ctx)
}

type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

func schemaVersion(ctx context.Context, q querier) (int, error) {
	var v int
	if err := q.QueryRow(ctx, "SELECT coalesce(max(version), 0) FROM switchboard_migrations").Scan(&v); err != nil {
		return 0, fmt.Errorf("schema version: %w", err)
	}
	return v, nil
}

// checkReadable is ReadOnly's open: the schema must be there already.
func checkReadable(ctx context.Context, pool *pgxpool.Pool) error {
	var exists bool
	if err := pool.QueryRow(ctx, "SELECT to_regclass('switchboard_migrations') IS NOT NULL").Scan(&exists); err != nil {
		return err
	}
	if !exists {
		return fmt.Errorf("no event log in this database (serve with this database as its event store creates one)")
	}
	v, err := schemaVersion(ctx, pool)
	if err != nil {
		return err
	}
	if v < 1 {
		return fmt.Errorf("no event log in this database")
	}
	return nil
}
