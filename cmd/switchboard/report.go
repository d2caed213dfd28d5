package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/switchboard-cc/switchboard/events"
	"github.com/switchboard-cc/switchboard/events/jsonl"
	"github.com/switchboard-cc/switchboard/metrics"
)

const reportUsage = `report [--data DIR | --store postgres://URL | --jsonl FILE] [--from T] [--to T] [--tz ZONE]
       [--by queue|agent|interval|node|day|month] [--sl-formula F] [--sl-threshold 20s]
       [--short-abandon 5s] [--interval 30m] [--format table|csv|json|queue_log|jsonl]

Call-center metrics computed from the event log (DATA/events.db, a
cluster's PostgreSQL database, or a JSONL export). T is 2026-11-02, 2026-11-02T08:00, RFC 3339, today or yesterday,
in --tz. --format queue_log writes the range as Asterisk queue_log lines,
--format jsonl exports it as JSON Lines.

Service-level formulas (--sl-formula):
  late-abandons  answered within T / (answered + abandoned after T)   [default]
  answered       answered within T / answered
  asterisk-sl2   (answered + abandoned within T) / (answered + abandoned)
  connect        left the queue within T / queued   [Amazon Connect]`

// progressMin is the log size from which report draws a progress bar (when
// stderr is a terminal): below it the report is done before a bar helps.
const (
	progressMinEvents = 200_000
	progressMinBytes  = 32 << 20
)

// eventSource is where a report reads: the SQLite store or a JSONL file.
type eventSource struct {
	reader events.Reader
	close  func() error
	// progress wraps reader with a bar on w when the range is large.
	progress func(ctx context.Context, from, to time.Time, w io.Writer) events.Reader
}

func openSource(ctx context.Context, dataDir, jsonlPath string) (*eventSource, error) {
	if jsonlPath != "" {
		f := jsonl.OpenFile(jsonlPath)
		size, err := f.Size()
		if err != nil {
			return nil, fmt.Errorf("open %s: %w", jsonlPath, err)
		}
		return &eventSource{
			reader: f,
			close:  func() error { return nil },
			progress: func(_ context.Context, _, _ time.Time, w io.Writer) events.Reader {
				if size < progressMinBytes {
					return f
				}
				bar := progressbar.DefaultBytes(size, "reading "+filepath.Base(jsonlPath))
				progressbar.OptionSetWriter(w)(bar)
				return jsonlProgress{f, bar}
			},
		}, nil
	}
	st, err := openEventLog(ctx, dataDir, true)
	if err != nil {
		return nil, err
	}
	return &eventSource{
		reader: st,
		close:  st.Close,
		progress: func(ctx context.Context, from, to time.Time, w io.Writer) events.Reader {
			n, err := st.Count(ctx, from, to)
			if err != nil || n < progressMinEvents {
				return st
			}
			bar := progressbar.NewOptions64(n, progressbar.OptionSetWriter(w),
				progressbar.OptionSetDescription("reading events"), progressbar.OptionShowCount(),
				progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionClearOnFinish())
			return countingReader{st, bar}
		},
	}, nil
}

type countingReader struct {
	r   events.Reader
	bar *progressbar.ProgressBar
}

func (c countingReader) Scan(ctx context.Context, from, to time.Time, fn func(events.Event) error) error {
	n := 0
	err := c.r.Scan(ctx, from, to, func(e events.Event) error {
		if n++; n%8192 == 0 {
			c.bar.Add(8192)
		}
		return fn(e)
	})
	c.bar.Finish()
	return err
}

type jsonlProgress struct {
	f   *jsonl.File
	bar *progressbar.ProgressBar
}

func (j jsonlProgress) Scan(ctx context.Context, from, to time.Time, fn func(events.Event) error) error {
	err := j.f.ScanProgress(ctx, from, to, j.bar, fn)
	j.bar.Finish()
	return err
}

// isTerminal reports whether w is a terminal (the progress bar's condition).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// rangeFlags are the flags report and staffing share.
type rangeFlags struct {
	data, jsonl, from, to, tz string
	interval                  time.Duration
}

func (r *rangeFlags) register(fs flagSet) {
	fs.StringVar(&r.data, "data", defaultData, "data directory holding events.db, or the cluster's postgres:// URL")
	fs.StringVar(&r.data, "store", defaultData, "the same as --data (reads better with a postgres:// URL)")
	fs.StringVar(&r.jsonl, "jsonl", "", "read this JSONL export instead of the store")
	fs.StringVar(&r.from, "from", "", "start of the range (inclusive)")
	fs.StringVar(&r.to, "to", "", "end of the range (exclusive)")
	fs.StringVar(&r.tz, "tz", "Local", "time zone for days, intervals and --from/--to")
	fs.DurationVar(&r.interval, "interval", metrics.DefaultInterval, "interval length (divides 24h)")
}

// flagSet is the part of *flag.FlagSet register uses.
type flagSet interface {
	StringVar(p *string, name, value, usage string)
	DurationVar(p *time.Duration, name string, value time.Duration, usage string)
}

func (r *rangeFlags) resolve(now time.Time) (loc *time.Location, from, to time.Time, err error) {
	loc, err = time.LoadLocation(r.tz)
	if err != nil {
		return nil, from, to, fmt.Errorf("%w: --tz %q: %v", errUsage, r.tz, err)
	}
	if from, err = parseWhen(r.from, now, loc); err != nil {
		return nil, from, to, fmt.Errorf("%w: --from: %v", errUsage, err)
	}
	if to, err = parseWhen(r.to, now, loc); err != nil {
		return nil, from, to, fmt.Errorf("%w: --to: %v", errUsage, err)
	}
	if !from.IsZero() && !to.IsZero() && !to.After(from) {
		return nil, from, to, fmt.Errorf("%w: --to %s is not after --from %s", errUsage, r.to, r.from)
	}
	return loc, from, to, nil
}

// parseWhen reads a report bound; "" is an open bound.
func parseWhen(s string, now time.Time, loc *time.Location) (time.Time, error) {
	switch s {
	case "":
		return time.Time{}, nil
	case "now":
		return now, nil
	case "today", "yesterday":
		y, m, d := now.In(loc).Date()
		t := time.Date(y, m, d, 0, 0, 0, 0, loc)
		if s == "yesterday" {
			t = t.AddDate(0, 0, -1)
		}
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	for _, layout := range []string{"2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02 15:04", time.DateOnly} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("cannot read time %q (try 2026-11-02, 2026-11-02T08:00 or RFC 3339)", s)
}

func runReport(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("report", reportUsage)
	var rf rangeFlags
	rf.register(fs)
	by := fs.String("by", "queue", "group rows by queue, agent, interval, node, day or month")
	formula := fs.String("sl-formula", string(metrics.SLLateAbandons), "service-level formula")
	threshold := fs.Duration("sl-threshold", metrics.DefaultSLThreshold, "service-level threshold T for every queue (default: each group's own target, as logged; 20s where none)")
	short := fs.Duration("short-abandon", metrics.DefaultShortAbandon, "abandons shorter than this are excluded (0: none)")
	format := fs.String("format", "table", "table, csv, json, queue_log or jsonl")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	loc, from, to, err := rf.resolve(time.Now())
	if err != nil {
		return err
	}
	f, err := metrics.ParseSLFormula(*formula)
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	var dim metrics.Dimension
	if *by != "node" {
		if dim, err = metrics.ParseDimension(*by); err != nil {
			return fmt.Errorf("%w: --by: %v", errUsage, err)
		}
	}
	switch *format {
	case "table", "csv", "json", "queue_log", "jsonl":
	default:
		return fmt.Errorf("%w: --format %q: want table, csv, json, queue_log or jsonl", errUsage, *format)
	}
	if *short == 0 {
		*short = -1 // Options: negative disables, zero means default
	}
	opt := metrics.Options{ShortAbandon: *short, SLThreshold: *threshold, SLFormula: f,
		Interval: rf.interval, Location: loc, From: from, To: to}
	fs.Visit(func(f *flag.Flag) { opt.ForceSLThreshold = opt.ForceSLThreshold || f.Name == "sl-threshold" })
	// With no --to, agents still logged in are counted up to the last
	// event: an old export must not grow their login time until today.
	src, err := openSource(ctx, rf.data, rf.jsonl)
	if err != nil {
		return err
	}
	defer src.close()

	switch *format {
	case "queue_log":
		return events.ExportQueueLog(ctx, src.reader, from, to, m.Stdout)
	case "jsonl":
		_, err := jsonl.Export(ctx, src.reader, from, to, m.Stdout)
		return err
	}
	reader := src.reader
	if isTerminal(m.Stderr) {
		reader = src.progress(ctx, from, to, m.Stderr)
	}
	res, err := metrics.Compute(ctx, reader, from, to, opt)
	if err != nil {
		if errors.Is(err, metrics.ErrOptions) {
			return fmt.Errorf("%w: %v", errUsage, err)
		}
		return err
	}
	rep := res.Report(dim)
	if *by == "node" {
		rep.By, rep.Rows = "node", []metrics.Row{}
	}
	switch *format {
	case "json":
		enc := json.NewEncoder(m.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	case "csv":
		if *by == "node" {
			return writeNodesCSV(m.Stdout, rep.Nodes)
		}
		return writeRowsCSV(m.Stdout, append(rep.Rows, rep.Total))
	}
	return writeReportTable(m.Stdout, rep, *by == "node")
}

var rowColumns = []string{"key", "offered", "answered", "abandoned", "short_abandoned", "timed_out",
	"overflowed", "closed", "service_level", "abandon_rate", "asa_seconds", "aht_seconds",
	"avg_talk_seconds", "avg_hold_seconds", "avg_acw_seconds", "longest_wait_seconds", "handled",
	"transferred", "rung", "no_answer", "login_seconds", "not_ready_seconds", "busy_seconds", "occupancy"}

func ratioCSV(r metrics.Ratio) string {
	v, ok := r.Value()
	if !ok {
		return ""
	}
	return strconv.FormatFloat(v, 'f', 4, 64)
}

func secs(s metrics.Seconds) string {
	return strconv.FormatFloat(time.Duration(s).Seconds(), 'f', -1, 64)
}

func writeRowsCSV(w io.Writer, rows []metrics.Row) error {
	cw := csv.NewWriter(w)
	cw.Write(rowColumns)
	for _, r := range rows {
		i := strconv.Itoa
		cw.Write([]string{r.Key, i(r.Offered), i(r.Answered), i(r.Abandoned), i(r.ShortAbandoned),
			i(r.TimedOut), i(r.Overflowed), i(r.Closed), ratioCSV(r.ServiceLevel), ratioCSV(r.AbandonRate),
			ratioCSV(r.ASA), ratioCSV(r.AHT), ratioCSV(r.AvgTalk), ratioCSV(r.AvgHold), ratioCSV(r.AvgACW),
			secs(r.LongestWait), i(r.Handled), i(r.Transferred), i(r.Rung), i(r.NoAnswer),
			secs(r.LoggedIn), secs(r.NotReady), secs(r.Busy), ratioCSV(r.Occupancy)})
	}
	cw.Flush()
	return cw.Error()
}

func writeNodesCSV(w io.Writer, nodes []metrics.NodeStats) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"flow", "node", "type", "visits", "drop_offs", "choices", "invalid", "no_input", "results"})
	for _, n := range nodes {
		cw.Write([]string{n.Flow, n.Node, n.Type, strconv.Itoa(n.Visits), strconv.Itoa(n.DropOffs), choices(n.Choices),
			strconv.Itoa(n.Invalid), strconv.Itoa(n.NoInput), choices(n.Results)})
	}
	cw.Flush()
	return cw.Error()
}

func choices(c map[string]int) string {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s:%d", k, c[k])
	}
	return strings.Join(parts, " ")
}

func dur(s metrics.Seconds) string {
	d := time.Duration(s).Round(time.Second)
	if d == 0 {
		return "-"
	}
	return d.String()
}

func writeReportTable(w io.Writer, rep metrics.Report, nodes bool) error {
	fmt.Fprintf(w, "Service level (%s): %s, T = %v\n", rep.SLFormula, rep.SLDefinition, time.Duration(rep.SLThreshold))
	fmt.Fprintf(w, "Short abandons (< %v) excluded. %d events.\n\n", time.Duration(rep.ShortAbandon), rep.Events)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	if nodes {
		fmt.Fprintln(tw, "FLOW\tNODE\tTYPE\tVISITS\tDROP-OFFS\tCHOICES\tINVALID\tNO INPUT\tRESULTS\t")
		for _, n := range rep.Nodes {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%s\t%d\t%d\t%s\t\n", n.Flow, n.Node, n.Type, n.Visits, n.DropOffs,
				choices(n.Choices), n.Invalid, n.NoInput, choices(n.Results))
		}
	} else {
		fmt.Fprintf(tw, "%s\tOFFERED\tANSWERED\tABANDONED\tSHORT\tTIMEOUT\tSL\tASA\tAHT\tABANDON%%\tLONGEST\tOCCUPANCY\tLOGIN\tNOT READY\t\n",
			strings.ToUpper(string(rep.By)))
		for _, r := range append(rep.Rows, rep.Total) {
			fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n",
				r.Key, r.Offered, r.Answered, r.Abandoned, r.ShortAbandoned, r.TimedOut,
				r.ServiceLevel.Format(true), r.ASA.Format(false), r.AHT.Format(false), r.AbandonRate.Format(true),
				dur(r.LongestWait), r.Occupancy.Format(true), dur(r.LoggedIn), dur(r.NotReady))
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	c := rep.Calls
	fmt.Fprintf(w, "\nCalls: %d ended (%d agent, %d self-service, %d transferred, %d abandoned, %d dropped in IVR), %d in progress\n",
		c.Total, c.Agent, c.SelfService, c.Transferred, c.Abandoned, c.DroppedInIVR, c.InProgress)
	fmt.Fprintf(w, "Containment (self-service / ended calls): %s\n", rep.Containment.Format(true))
	fmt.Fprintf(w, "Repeat callers: %d of %d within 24 h (%s), %d within 7 d (%s)\n",
		rep.Repeat.Within24h, rep.Repeat.Calls, rep.Repeat.Rate24h.Format(true), rep.Repeat.Within7d, rep.Repeat.Rate7d.Format(true))
	for _, d := range rep.Days {
		fmt.Fprintf(w, "%s: %d inbound, %d answered, %d missed\n", d.Day, d.Inbound, d.Answered, d.Missed)
	}
	return nil
}
