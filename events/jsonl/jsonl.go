package jsonl

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/switchboard-cc/switchboard/events"
)

// maxLine bounds one line; an event is a few hundred bytes.
const maxLine = 1 << 20

// Decode calls fn for each event in r, in file order. Blank lines and
// lines starting with '#' (comments in fixtures) are skipped. Errors name
// the line.
func Decode(r io.Reader, fn func(events.Event) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), maxLine)
	line := 0
	for sc.Scan() {
		line++
		b := sc.Bytes()
		if len(b) == 0 || b[0] == '#' {
			continue
		}
		var e events.Event
		if err := json.Unmarshal(b, &e); err != nil {
			return fmt.Errorf("line %d: %w", line, err)
		}
		if e.Type == "" || e.Time.IsZero() {
			return fmt.Errorf("line %d: event needs ts and type", line)
		}
		e.Time = e.Time.UTC()
		if err := fn(e); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("line %d: %w", line+1, err)
	}
	return nil
}

// Encoder writes events as lines.
type Encoder struct {
	w   *bufio.Writer
	enc *json.Encoder
}

// NewEncoder writes to w; call Flush at the end.
func NewEncoder(w io.Writer) *Encoder {
	b := bufio.NewWriterSize(w, 64<<10)
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	return &Encoder{w: b, enc: enc}
}

// Encode writes one event (Seq is kept when set).
func (e *Encoder) Encode(ev events.Event) error { return e.enc.Encode(ev) }

// Flush writes buffered lines through.
func (e *Encoder) Flush() error { return e.w.Flush() }

// Export writes the events of r in [from, to) to w.
func Export(ctx context.Context, r events.Reader, from, to time.Time, w io.Writer) (int, error) {
	enc := NewEncoder(w)
	n := 0
	err := r.Scan(ctx, from, to, func(e events.Event) error {
		n++
		return enc.Encode(e)
	})
	if err != nil {
		return n, fmt.Errorf("export jsonl: %w", err)
	}
	return n, enc.Flush()
}

// Import appends the events in r to s in batches of batch (Seq is
// dropped: the target store assigns its own).
func Import(ctx context.Context, r io.Reader, s events.Store, batch int) (int, error) {
	if batch <= 0 {
		batch = events.DefaultBatch
	}
	buf := make([]events.Event, 0, batch)
	n := 0
	flush := func() error {
		if len(buf) == 0 {
			return nil
		}
		if err := s.Append(ctx, buf); err != nil {
			return err
		}
		n += len(buf)
		buf = buf[:0]
		return nil
	}
	err := Decode(r, func(e events.Event) error {
		e.Seq = 0
		buf = append(buf, e)
		if len(buf) == batch {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	if err != nil {
		return n, fmt.Errorf("import jsonl: %w", err)
	}
	return n, nil
}

// File is a JSONL file used as an events.Reader (and, opened for
// appending, an events.Store). Scan streams the file and fails on a line
// that goes back in time, since metrics need time order (Export from any
// store writes time order).
type File struct {
	path string
	f    *os.File // non-nil when opened for appending
}

var (
	_ events.Reader = (*File)(nil)
	_ events.Store  = (*File)(nil)
)

// OpenFile returns a reader over path (nothing is opened until Scan).
func OpenFile(path string) *File { return &File{path: path} }

// Create opens path for appending, creating it if needed.
func Create(path string) (*File, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open jsonl store: %w", err)
	}
	return &File{path: path, f: f}, nil
}

// Size is the file's size in bytes (for a progress bar).
func (f *File) Size() (int64, error) {
	st, err := os.Stat(f.path)
	if err != nil {
		return 0, err
	}
	return st.Size(), nil
}

// Append writes the batch and fsyncs, so a returned nil means durable.
func (f *File) Append(_ context.Context, batch []events.Event) error {
	if f.f == nil {
		return errors.New("jsonl: file not opened for appending")
	}
	enc := NewEncoder(f.f)
	for _, e := range batch {
		if err := enc.Encode(e); err != nil {
			return err
		}
	}
	if err := enc.Flush(); err != nil {
		return err
	}
	return f.f.Sync()
}

// Close closes a file opened with Create.
func (f *File) Close() error {
	if f.f == nil {
		return nil
	}
	return f.f.Close()
}

// Scan visits events in [from, to) in time order; progress, when set,
// is told how many bytes have been read.
func (f *File) Scan(ctx context.Context, from, to time.Time, fn func(events.Event) error) error {
	return f.ScanProgress(ctx, from, to, nil, fn)
}

// ScanProgress is Scan that reports bytes read to progress.
func (f *File) ScanProgress(ctx context.Context, from, to time.Time, progress io.Writer, fn func(events.Event) error) error {
	r, err := os.Open(f.path)
	if err != nil {
		return fmt.Errorf("read %s: %w", f.path, err)
	}
	defer r.Close()
	var src io.Reader = r
	if progress != nil {
		src = io.TeeReader(r, progress)
	}
	var (
		last     time.Time
		held     []events.Event
		seq      uint64
		canceled error
	)
	err = Decode(src, func(e events.Event) error {
		seq++
		if seq%4096 == 0 {
			if canceled = ctx.Err(); canceled != nil {
				return canceled
			}
		}
		if !events.InRange(e.Time, from, to) {
			return nil
		}
		if e.Seq == 0 {
			e.Seq = seq
		}
		if e.Time.Before(last) {
			return fmt.Errorf("event %d at %s is before the previous one (%s): the file is not in time order",
				seq, e.Time.Format(time.RFC3339), last.Format(time.RFC3339))
		}
		last = e.Time
		held = append(held, e)
		if len(held) >= 4096 {
			// Still in order: hand the events on and keep memory flat.
			for _, h := range held {
				if err := fn(h); err != nil {
					return err
				}
			}
			held = held[:0]
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("read %s: %w", f.path, err)
	}
	for _, h := range held {
		if err := fn(h); err != nil {
			return err
		}
	}
	return nil
}
