package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/switchboard-cc/switchboard/events"
	"github.com/switchboard-cc/switchboard/events/internal/sqlrows"
)

const selectEvents = `SELECT seq, ts, call_id, type, node, queue, agent, data::text FROM events `

// Scan visits the events in [from, to) in time order, ties in append order
// (seq), streaming rows as the server sends them.
func (s *Store) Scan(ctx context.Context, from, to time.Time, fn func(events.Event) error) error {
	lo, hi := sqlrows.Bounds(from, to)
	rows, err := s.pool.Query(ctx, selectEvents+`WHERE ts >= $1 AND ts < $2 ORDER BY ts, seq`, lo, hi)
	if err != nil {
		return fmt.Errorf("scan events: %w", err)
	}
	var fnErr error
	err = eachEvent(rows, func(e events.Event) error {
		fnErr = fn(e)
		return fnErr
	})
	if err != nil && err == fnErr {
		return err // the caller's own error, as it returned it
	}
	if err != nil {
		return fmt.Errorf("scan events: %w", err)
	}
	return nil
}

// Count is the number of events in [from, to).
func (s *Store) Count(ctx context.Context, from, to time.Time) (int64, error) {
	lo, hi := sqlrows.Bounds(from, to)
	var n int64
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM events WHERE ts >= $1 AND ts < $2`, lo, hi).Scan(&n); err != nil {
		return 0, fmt.Errorf("count events: %w", err)
	}
	return n, nil
}

// CallEvents returns one call's events in order (the call_id index).
func (s *Store) CallEvents(ctx context.Context, callID string) ([]events.Event, error) {
	rows, err := s.pool.Query(ctx, selectEvents+`WHERE call_id = $1 AND call_id <> '' ORDER BY ts, seq`, clean(callID))
	if err != nil {
		return nil, fmt.Errorf("call events: %w", err)
	}
	var out []events.Event
	if err := eachEvent(rows, func(e events.Event) error { out = append(out, e); return nil }); err != nil {
		return nil, fmt.Errorf("call events: %w", err)
	}
	return out, nil
}

// eachEvent decodes rows of selectEvents and closes them.
func eachEvent(rows pgx.Rows, fn func(events.Event) error) error {
	defer rows.Close()
	in := make(sqlrows.Interner)
	var (
		seq, ts                       int64
		callID                        string
		typ, node, queue, agent, data []byte
	)
	for rows.Next() {
		if err := rows.Scan(&seq, &ts, &callID, &typ, &node, &queue, &agent, &data); err != nil {
			return err
		}
		d, err := decodeData(data)
		if err != nil {
			return fmt.Errorf("seq %d: %w", seq, err)
		}
		if err := fn(in.Event(seq, ts, callID, typ, node, queue, agent, d)); err != nil {
			return err
		}
	}
	return rows.Err()
}
