package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/switchboard-cc/switchboard/metrics"
)

const staffingUsage = `staffing --calls N --aht 240s [--interval 30m] [--sl 80/20] [--shrinkage 0.3] [--format table|json]
       staffing [--data DIR | --store postgres://URL | --jsonl FILE] [--from T --to T] [--queue Q] [--sl 80/20] [--shrinkage 0.3] [--format table|json]

Erlang C: the fewest agents N whose service level 1 − C·e^(−(N−A)·T/AHT)
meets the target, A = calls × AHT / interval; scheduled = ceil(N / (1 −
shrinkage)). With --calls it plans one interval (what-if, no log); without,
one interval per half-hour of the log, from its offered calls and AHT.`

func runStaffing(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("staffing", staffingUsage)
	var rf rangeFlags
	rf.register(fs)
	calls := fs.Float64("calls", 0, "what-if: calls arriving per interval")
	aht := fs.Duration("aht", 0, "what-if: average handle time (talk + hold + after-call work)")
	sl := fs.String("sl", "80/20", "service-level target PERCENT/SECONDS")
	shrinkage := fs.Float64("shrinkage", 0, "share of paid time not on the phones (breaks, training), 0..<1")
	queue := fs.String("queue", "", "from the log: plan only this skill group")
	format := fs.String("format", "table", "table or json")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	target, err := metrics.ParseSLTarget(*sl)
	if err != nil {
		return fmt.Errorf("%w: --sl: %v", errUsage, err)
	}
	if *shrinkage < 0 || *shrinkage >= 1 {
		return fmt.Errorf("%w: --shrinkage %g: want 0 <= shrinkage < 1 (0.3 is 30 %%)", errUsage, *shrinkage)
	}
	if *format != "table" && *format != "json" {
		return fmt.Errorf("%w: --format %q: want table or json", errUsage, *format)
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })

	if set["calls"] || set["aht"] {
		if !set["calls"] || *aht <= 0 || *calls < 0 {
			return fmt.Errorf("%w: a what-if plan needs --calls N and --aht DURATION (> 0)", errUsage)
		}
		if set["data"] || set["store"] || set["jsonl"] || set["from"] || set["to"] || set["queue"] {
			return fmt.Errorf("%w: --calls/--aht plan without a log; drop --data, --jsonl, --from, --to and --queue", errUsage)
		}
		plan, err := metrics.Staff(metrics.StaffingInput{Calls: *calls, AHT: *aht, Interval: rf.interval,
			Target: target, Shrinkage: *shrinkage})
		if err != nil {
			return fmt.Errorf("%w: %v", errUsage, err)
		}
		if *format == "json" {
			return writeJSON(m.Stdout, plan)
		}
		return writeWhatIf(m.Stdout, plan)
	}

	loc, from, to, err := rf.resolve(time.Now())
	if err != nil {
		return err
	}
	src, err := openSource(ctx, rf.data, rf.jsonl)
	if err != nil {
		return err
	}
	defer src.close()
	reader := src.reader
	if isTerminal(m.Stderr) {
		reader = src.progress(ctx, from, to, m.Stderr)
	}
	res, err := metrics.Compute(ctx, reader, from, to, metrics.Options{Interval: rf.interval, Location: loc})
	if err != nil {
		if errors.Is(err, metrics.ErrOptions) {
			return fmt.Errorf("%w: %v", errUsage, err)
		}
		return err
	}
	plans, err := res.StaffFromLog(*queue, target, *shrinkage)
	if err != nil {
		return err
	}
	if plans == nil {
		plans = []metrics.Plan{}
	}
	if *format == "json" {
		return writeJSON(m.Stdout, plans)
	}
	return writePlans(m.Stdout, plans, target, *shrinkage)
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func writeWhatIf(w io.Writer, p metrics.Plan) error {
	fmt.Fprintf(w, "%g calls per %v at AHT %v = %.2f Erlangs; target %g%% answered within %v\n\n",
		p.Calls, time.Duration(p.Interval), time.Duration(p.AHT), p.Erlangs, p.Target.Percent, time.Duration(p.Target.Threshold))
	fmt.Fprintf(w, "agents (Erlang C)  %d\n", p.Agents)
	fmt.Fprintf(w, "scheduled          %d  (shrinkage %g%%)\n", p.Scheduled, 100*p.Shrinkage)
	fmt.Fprintf(w, "service level      %.1f%%\n", 100*p.ServiceLevel)
	fmt.Fprintf(w, "ASA                %.1f s\n", p.ASA)
	fmt.Fprintf(w, "occupancy          %.1f%%\n", 100*p.Occupancy)
	fmt.Fprintf(w, "P(wait)            %.1f%%\n", 100*p.ProbWait)
	if p.Agents == 0 {
		return nil
	}
	// The neighbourhood of the answer: what one agent more or less does.
	in := metrics.StaffingInput{Calls: p.Calls, AHT: time.Duration(p.AHT), Interval: time.Duration(p.Interval), Target: p.Target}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "AGENTS\tSL\tASA\tOCCUPANCY\t")
	for n := max(int(p.Erlangs)+1, p.Agents-3); n <= p.Agents+3; n++ {
		sl, asa, occ, _ := metrics.Evaluate(n, in)
		mark := ""
		if n == p.Agents {
			mark = "  <"
		}
		fmt.Fprintf(tw, "%d\t%.1f%%\t%.1f s\t%.1f%%\t%s\n", n, 100*sl, asa, 100*occ, mark)
	}
	return tw.Flush()
}

func writePlans(w io.Writer, plans []metrics.Plan, target metrics.SLTarget, shrinkage float64) error {
	fmt.Fprintf(w, "Erlang C per interval for %g%% within %v, shrinkage %g%%\n\n",
		target.Percent, time.Duration(target.Threshold), 100*shrinkage)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "INTERVAL\tCALLS\tAHT\tERLANGS\tAGENTS\tSCHEDULED\tSL\tASA\tOCCUPANCY\t")
	for _, p := range plans {
		fmt.Fprintf(tw, "%s\t%g\t%.0f s\t%.2f\t%d\t%d\t%.1f%%\t%.1f s\t%.1f%%\t\n",
			p.Start.Format("2006-01-02 15:04"), p.Calls, time.Duration(p.AHT).Seconds(), p.Erlangs,
			p.Agents, p.Scheduled, 100*p.ServiceLevel, p.ASA, 100*p.Occupancy)
	}
	return tw.Flush()
}
