package postgres

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/switchboard-cc/switchboard/events"
)

// Options tune the store.
type Options struct {
	// ReadOnly opens an existing event log for reports: no migration, and
	// an error when the database has none.
	ReadOnly bool
}

// Store is an events.Store and events.Reader over one PostgreSQL database.
// It is safe for concurrent use; any number of nodes may append at once.
type Store struct {
	pool *pgxpool.Pool
}

var (
	_ events.Store   = (*Store)(nil)
	_ events.Reader  = (*Store)(nil)
	_ events.Counter = (*Store)(nil)
)

// IsURL reports whether s names a PostgreSQL database (postgres:// or
// postgresql://) rather than a folder.
func IsURL(s string) bool {
	return strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://")
}

// Open connects to the database at url (a postgres:// URL or a libpq
// key=value string) and, unless ReadOnly, creates or updates the schema.
func Open(ctx context.Context, url string, opt Options) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// The parse error quotes the URL, password and all: say less.
		return nil, fmt.Errorf("open event store: bad PostgreSQL URL")
	}
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = connectTimeout
	}
	where := cfg.ConnConfig.Host + "/" + cfg.ConnConfig.Database
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open event store %s: %w", where, err)
	}
	if opt.ReadOnly {
		err = checkReadable(ctx, pool)
	} else {
		err = migrate(ctx, pool)
	}
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("open event store %s: %w", where, err)
	}
	return &Store{pool: pool}, nil
}

// Close closes the connections. Close the Writer in front of it first.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// copyEvents is the COPY of one batch, in COPY's text format (encodeRows).
const copyEvents = "COPY events (ts, call_id, type, node, queue, agent, data) FROM STDIN"

// Append writes the batch in one transaction, as one COPY: three round
// trips (BEGIN with the transaction's id, the COPY, COMMIT) whatever the
// batch size. If the connection breaks while COMMIT is in flight, it asks
// the server what became of the transaction: a batch that did commit is
// reported written, so the Writer does not append it a second time.
func (s *Store) Append(ctx context.Context, batch []events.Event) error {
	if len(batch) == 0 {
		return nil
	}
	rows, err := encodeRows(batch)
	if err != nil {
		return fmt.Errorf("append: %w", err)
	}
	// The Writer passes a context that never ends: a server that stops
	// answering must not hold the writer for ever.
	resolveCtx := context.WithoutCancel(ctx)
	ctx, cancel := context.WithTimeout(ctx, appendTimeout)
	defer cancel()
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("append: %w", err)
	}
	// A connection left in a transaction (an error below) is closed by the
	// pool on Release rather than reused.
	defer conn.Release()
	pc := conn.Conn().PgConn()
	res, err := pc.Exec(ctx, "BEGIN; SELECT pg_current_xact_id()::text").ReadAll()
	if err != nil {
		return fmt.Errorf("append: begin: %w", err)
	}
	if len(res) != 2 || len(res[1].Rows) != 1 {
		return fmt.Errorf("append: begin: unexpected answer")
	}
	xid := string(res[1].Rows[0][0])
	if _, err := pc.CopyFrom(ctx, bytes.NewReader(rows), copyEvents); err != nil {
		pc.Exec(context.Background(), "ROLLBACK").ReadAll()
		return fmt.Errorf("append: copy: %w", err)
	}
	_, cerr := pc.Exec(ctx, "COMMIT").ReadAll()
	if cerr == nil {
		return nil
	}
	var pgErr *pgconn.PgError
	if errors.As(cerr, &pgErr) || pgconn.SafeToRetry(cerr) {
		return fmt.Errorf("append: commit: %w", cerr) // the server said no, or never got it
	}
	conn.Conn().PgConn().Close(context.Background())
	committed, qerr := s.resolve(resolveCtx, xid)
	if qerr != nil {
		return fmt.Errorf("append: commit: %w (and its outcome is unknown: %w)", cerr, qerr)
	}
	if committed {
		return nil
	}
	return fmt.Errorf("append: commit: %w", cerr)
}

// appendTimeout bounds one batch's round trips; the Writer retries. A
// variable so tests can shorten it.
var appendTimeout = 30 * time.Second

const (
	// resolveFor bounds how long Append waits to learn a lost COMMIT's fate.
	resolveFor = 30 * time.Second
	// connectTimeout applies when the URL sets no connect_timeout.
	connectTimeout = 10 * time.Second
)

// resolve asks, on a fresh connection, whether transaction xid committed,
// waiting while the server still has it in progress.
func (s *Store) resolve(ctx context.Context, xid string) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, resolveFor)
	defer cancel()
	for {
		var status *string
		err := s.pool.QueryRow(ctx, "SELECT pg_xact_status($1::xid8)", xid).Scan(&status)
		if err == nil && status != nil && *status != "in progress" {
			return *status == "committed", nil
		}
		if err == nil && status == nil {
			return false, fmt.Errorf("transaction %s is too old to look up", xid)
		}
		select {
		case <-ctx.Done():
			if err == nil {
				err = fmt.Errorf("transaction %s still in progress", xid)
			}
			return false, fmt.Errorf("%w: %w", context.Cause(ctx), err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// encodeRows writes the batch in COPY's text format: tab-separated
// columns, one line per event. PostgreSQL refuses NUL bytes and invalid
// UTF-8 in text and jsonb, and one such event would fail its batch on
// every retry, stopping the log: they become U+FFFD (SIP headers and
// lookups can carry anything).
func encodeRows(batch []events.Event) ([]byte, error) {
	b := make([]byte, 0, len(batch)*160)
	for _, e := range batch {
		t := e.Time
		if t.IsZero() {
			t = time.Now()
		}
		b = strconv.AppendInt(b, t.UnixNano(), 10)
		for _, f := range [...]string{e.CallID, string(e.Type), e.Node, e.Queue, e.Agent} {
			b = append(b, '\t')
			b = appendCopyText(b, clean(f))
		}
		data, err := encodeData(e.Data)
		if err != nil {
			return nil, err
		}
		b = append(b, '\t')
		b = appendCopyText(b, string(data))
		b = append(b, '\n')
	}
	return b, nil
}

// appendCopyText escapes s for a text-format COPY column.
func appendCopyText(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			b = append(b, '\\', '\\')
		case '\t':
			b = append(b, '\\', 't')
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		default:
			b = append(b, c)
		}
	}
	return b
}

func clean(s string) string {
	if utf8.ValidString(s) && strings.IndexByte(s, 0) < 0 {
		return s
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}

// encodeData is Data as a JSON object for the jsonb column (json.Marshal
// already turns invalid UTF-8 into U+FFFD; NUL, which jsonb refuses even
// escaped, is replaced here).
func encodeData(d map[string]string) ([]byte, error) {
	if len(d) == 0 {
		return []byte("{}"), nil
	}
	for k, v := range d {
		if strings.IndexByte(k, 0) >= 0 || strings.IndexByte(v, 0) >= 0 {
			c := make(map[string]string, len(d))
			for k, v := range d {
				c[clean(k)] = clean(v)
			}
			d = c
			break
		}
	}
	b, err := json.Marshal(d)
	if err != nil {
		return nil, fmt.Errorf("encode data: %w", err)
	}
	return b, nil
}

func decodeData(b []byte) (map[string]string, error) {
	if len(b) == 0 || string(b) == "{}" {
		return nil, nil
	}
	var d map[string]string
	if err := json.Unmarshal(b, &d); err != nil {
		return nil, fmt.Errorf("decode data: %w", err)
	}
	return d, nil
}
