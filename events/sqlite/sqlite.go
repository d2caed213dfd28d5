package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/switchboard-cc/switchboard/events"
	"github.com/switchboard-cc/switchboard/events/internal/sqlrows"
	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// FileName is the store's file inside the data directory.
const FileName = "events.db"

// Options tune the store; the zero value is the durable default.
type Options struct {
	// Synchronous is SQLite's synchronous pragma: "FULL" (default: a
	// committed batch survives power loss) or "NORMAL" (survives a process
	// crash; a power cut may lose the last batches, never corrupts).
	Synchronous string
	// ReadOnly opens an existing file for reports without creating it.
	ReadOnly bool
}

// Store is an events.Store and events.Reader over one SQLite file.
type Store struct {
	db     *sql.DB
	path   string
	insert *sql.Stmt
	bulk   *sql.Stmt // bulkRows rows per statement
}

var (
	_ events.Store   = (*Store)(nil)
	_ events.Reader  = (*Store)(nil)
	_ events.Counter = (*Store)(nil)
)

// bulkRows is how many rows one multi-row INSERT carries: fewer statement
// executions per batch, well under SQLite's 32766 bound parameters.
const bulkRows = 128

const schema = `
CREATE TABLE IF NOT EXISTS events (
	seq     INTEGER PRIMARY KEY,
	ts      INTEGER NOT NULL, -- Unix nanoseconds, UTC
	call_id TEXT NOT NULL DEFAULT '',
	type    TEXT NOT NULL,
	node    TEXT NOT NULL DEFAULT '',
	queue   TEXT NOT NULL DEFAULT '',
	agent   TEXT NOT NULL DEFAULT '',
	data    TEXT NOT NULL DEFAULT ''  -- k=v&k=v, percent-escaped, keys sorted
);
CREATE INDEX IF NOT EXISTS events_ts    ON events(ts);
CREATE INDEX IF NOT EXISTS events_call  ON events(call_id) WHERE call_id != '';
CREATE INDEX IF NOT EXISTS events_queue ON events(queue, ts) WHERE queue != '';
CREATE INDEX IF NOT EXISTS events_agent ON events(agent, ts) WHERE agent != '';
`

// OpenDir opens (creating if needed) DIR/events.db.
func OpenDir(ctx context.Context, dir string, opt Options) (*Store, error) {
	if !opt.ReadOnly {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("open event store: %w", err)
		}
	}
	return Open(ctx, filepath.Join(dir, FileName), opt)
}

// Open opens (creating if needed) the store at path.
func Open(ctx context.Context, path string, opt Options) (*Store, error) {
	sync := opt.Synchronous
	switch sync {
	case "":
		sync = "FULL"
	case "FULL", "NORMAL":
	default:
		return nil, fmt.Errorf("open event store: synchronous %q: want FULL or NORMAL", sync)
	}
	if opt.ReadOnly {
		if _, err := os.Stat(path); err != nil {
			return nil, fmt.Errorf("open event store: %w", err)
		}
	}
	dsn := "file:" + path + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)" +
		"&_pragma=synchronous(" + sync + ")&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open event store %s: %w", path, err)
	}
	s := &Store{db: db, path: path}
	if err := s.init(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open event store %s: %w", path, err)
	}
	return s, nil
}

func (s *Store) init(ctx context.Context) error {
	var mode string
	if err := s.db.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return err
	}
	if mode != "wal" {
		return fmt.Errorf("journal_mode is %q, want wal", mode)
	}
	if _, err := s.db.ExecContext(ctx, schema); err != nil {
		return fmt.Errorf("create schema: %w", err)
	}
	const cols = "INSERT INTO events (ts, call_id, type, node, queue, agent, data) VALUES "
	var err error
	if s.insert, err = s.db.PrepareContext(ctx, cols+"(?,?,?,?,?,?,?)"); err != nil {
		return err
	}
	q := cols
	for i := range bulkRows {
		if i > 0 {
			q += ","
		}
		q += "(?,?,?,?,?,?,?)"
	}
	s.bulk, err = s.db.PrepareContext(ctx, q)
	return err
}

// Path is the database file.
func (s *Store) Path() string { return s.path }

// Close closes the database. Close the Writer in front of it first.
func (s *Store) Close() error {
	return errors.Join(s.insert.Close(), s.bulk.Close(), s.db.Close())
}

// Append writes the batch in one transaction.
func (s *Store) Append(ctx context.Context, batch []events.Event) (err error) {
	if len(batch) == 0 {
		return nil
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("append: %w", err)
	}
	defer func() {
		if err != nil {
			tx.Rollback()
		}
	}()
	bulk, one := tx.StmtContext(ctx, s.bulk), tx.StmtContext(ctx, s.insert)
	args := make([]any, 0, 7*bulkRows)
	for len(batch) >= bulkRows {
		args = args[:0]
		for _, e := range batch[:bulkRows] {
			args = appendArgs(args, e)
		}
		if _, err := bulk.ExecContext(ctx, args...); err != nil {
			return fmt.Errorf("append: %w", err)
		}
		batch = batch[bulkRows:]
	}
	for _, e := range batch {
		if _, err := one.ExecContext(ctx, appendArgs(args[:0], e)...); err != nil {
			return fmt.Errorf("append: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("append: commit: %w", err)
	}
	return nil
}

func appendArgs(args []any, e events.Event) []any {
	t := e.Time
	if t.IsZero() {
		t = time.Now()
	}
	return append(args, t.UnixNano(), noSep(e.CallID), noSep(string(e.Type)), noSep(e.Node),
		noSep(e.Queue), noSep(e.Agent), encodeData(e.Data))
}

// noSep keeps the scan's field separator (0x1f) out of the packed columns.
func noSep(s string) string {
	if strings.IndexByte(s, 0x1f) < 0 {
		return s
	}
	return strings.ReplaceAll(s, "\x1f", "_")
}

// Scan visits the events in [from, to) in time order, ties in append order.
func (s *Store) Scan(ctx context.Context, from, to time.Time, fn func(events.Event) error) error {
	lo, hi := sqlrows.Bounds(from, to)
	// One packed text column instead of six: the driver takes a lock per
	// column fetched, which dominated a million-row scan. The unit
	// separator (0x1f) cannot occur in ids, names or encoded data.
	rows, err := s.db.QueryContext(ctx,
		`SELECT seq, ts, call_id||x'1f'||type||x'1f'||node||x'1f'||queue||x'1f'||agent||x'1f'||data
		 FROM events WHERE ts >= ? AND ts < ? ORDER BY ts, seq`, lo, hi)
	if err != nil {
		return fmt.Errorf("scan events: %w", err)
	}
	defer rows.Close()
	in := make(sqlrows.Interner)
	var (
		seq, ts int64
		packed  sql.RawBytes
		f       [6][]byte
	)
	for rows.Next() {
		if err := rows.Scan(&seq, &ts, &packed); err != nil {
			return fmt.Errorf("scan events: %w", err)
		}
		if !split6(packed, &f) {
			return fmt.Errorf("scan events: seq %d: malformed row", seq)
		}
		d, err := decodeData(f[5])
		if err != nil {
			return fmt.Errorf("scan events: seq %d: %w", seq, err)
		}
		if err := fn(in.Event(seq, ts, string(f[0]), f[1], f[2], f[3], f[4], d)); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("scan events: %w", err)
	}
	return nil
}

// Count is the number of events in [from, to).
func (s *Store) Count(ctx context.Context, from, to time.Time) (int64, error) {
	lo, hi := sqlrows.Bounds(from, to)
	var n int64
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM events WHERE ts >= ? AND ts < ?`, lo, hi).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count events: %w", err)
	}
	return n, nil
}

// CallEvents returns one call's events in order (uses the call_id index).
func (s *Store) CallEvents(ctx context.Context, callID string) ([]events.Event, error) {
	rows, err := s.db.QueryContext(ctx,
		`SELECT seq, ts, type, node, queue, agent, data FROM events
		 WHERE call_id = ? ORDER BY ts, seq`, callID)
	if err != nil {
		return nil, fmt.Errorf("call events: %w", err)
	}
	defer rows.Close()
	var out []events.Event
	for rows.Next() {
		var (
			e                             events.Event
			seq, ts                       int64
			typ, node, queue, agent, data string
		)
		if err := rows.Scan(&seq, &ts, &typ, &node, &queue, &agent, &data); err != nil {
			return nil, fmt.Errorf("call events: %w", err)
		}
		d, err := decodeData([]byte(data))
		if err != nil {
			return nil, fmt.Errorf("call events: %w", err)
		}
		e = events.Event{Seq: uint64(seq), Time: time.Unix(0, ts).UTC(), CallID: callID,
			Type: events.Type(typ), Node: node, Queue: queue, Agent: agent, Data: d}
		out = append(out, e)
	}
	return out, rows.Err()
}

// split6 cuts b at the five 0x1f separators.
func split6(b []byte, f *[6][]byte) bool {
	for i := range 5 {
		j := indexByte(b, 0x1f)
		if j < 0 {
			return false
		}
		f[i], b = b[:j], b[j+1:]
	}
	f[5] = b
	return true
}
