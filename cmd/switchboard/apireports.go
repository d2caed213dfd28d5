package main

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/switchboard-cc/switchboard/events"
	"github.com/switchboard-cc/switchboard/flows"
	"github.com/switchboard-cc/switchboard/httpapi"
	"github.com/switchboard-cc/switchboard/metrics"
	"github.com/switchboard-cc/switchboard/routing"
)

// apiReports computes the API's reports from the event log, as `switchboard
// report` and `switchboard staffing` do.
type apiReports struct {
	log          events.Reader
	flush        func(context.Context) error // make what was emitted readable
	shortAbandon time.Duration
	loc          *time.Location
}

var _ httpapi.Reports = (*apiReports)(nil)

func (r *apiReports) compute(ctx context.Context, from, to time.Time, threshold time.Duration) (*metrics.Result, error) {
	if r.flush != nil {
		if err := r.flush(ctx); err != nil {
			return nil, fmt.Errorf("flush event log: %w", err)
		}
	}
	return metrics.Compute(ctx, r.log, from, to, metrics.Options{
		ShortAbandon: r.shortAbandon, SLThreshold: threshold, Location: r.loc, From: from, To: to,
	})
}

func (r *apiReports) Report(ctx context.Context, q httpapi.ReportQuery) (any, error) {
	by := metrics.ByQueue
	if q.By != "" && q.By != "node" {
		d, err := metrics.ParseDimension(q.By)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", httpapi.ErrInvalid, err)
		}
		by = d
	}
	res, err := r.compute(ctx, q.From, q.To, 0)
	if err != nil {
		return nil, err
	}
	rep := res.Report(by)
	if q.By == "node" {
		// As `switchboard report --by node`: the IVR funnel (the report's
		// nodes section) without queue rows.
		rep.By, rep.Rows = "node", []metrics.Row{}
	}
	return rep, nil
}

func (r *apiReports) Staffing(ctx context.Context, q httpapi.StaffingQuery) (any, error) {
	target := metrics.SLTarget{Percent: q.Target.Percent, Threshold: metrics.Seconds(q.Target.Threshold)}
	if q.WhatIf() {
		interval := q.Interval
		if interval == 0 {
			interval = 30 * time.Minute
		}
		plan, err := metrics.Staff(metrics.StaffingInput{Calls: float64(q.Calls), AHT: q.AHT, Interval: interval, Target: target, Shrinkage: q.Shrinkage})
		if err != nil {
			return nil, fmt.Errorf("%w: %w", httpapi.ErrInvalid, err)
		}
		return plan, nil
	}
	res, err := r.compute(ctx, q.From, q.To, q.Target.Threshold)
	if err != nil {
		return nil, err
	}
	plans, err := res.StaffFromLog("", target, q.Shrinkage)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", httpapi.ErrInvalid, err)
	}
	return plans, nil
}

func (r *apiReports) Intervals(ctx context.Context, from, to time.Time) ([]httpapi.Interval, error) {
	res, err := r.compute(ctx, from, to, 0)
	if err != nil {
		return nil, err
	}
	rows := res.Rows(metrics.ByInterval)
	out := make([]httpapi.Interval, 0, len(rows))
	for _, row := range rows {
		start, err := time.Parse(time.RFC3339, row.Key)
		if err != nil {
			continue
		}
		iv := httpapi.Interval{Start: start, Offered: row.Offered, Answered: row.Answered, Abandoned: row.Abandoned}
		iv.ServiceLevel, iv.HasServiceLevel = row.ServiceLevel.Value()
		if aht, ok := row.AHT.Value(); ok {
			iv.AHT = time.Duration(aht * float64(time.Second))
		}
		out = append(out, iv)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Start.Before(out[j].Start) })
	return out, nil
}

// apiQueues merges the ACD's live skill groups with today's figures from
// the log (metrics.TodayByQueue, each group at its own threshold).
type apiQueues struct {
	acd   *routing.ACD
	today *metrics.TodayByQueue
}

func newAPIQueues(acd *routing.ACD, reports *apiReports) *apiQueues {
	return &apiQueues{acd: acd, today: &metrics.TodayByQueue{Compute: reports.compute, Location: reports.loc}}
}

func (q *apiQueues) QueueStats(ctx context.Context) ([]httpapi.Queue, error) {
	groups := q.acd.Groups()
	thresholds := make(map[string]time.Duration, len(groups))
	for _, g := range groups {
		thresholds[g.Name] = time.Duration(g.SLTarget.Within)
	}
	today, err := q.today.Rows(ctx, thresholds)
	if err != nil {
		return nil, err
	}
	out := make([]httpapi.Queue, len(groups))
	for i, g := range groups {
		row := today[g.Name]
		qs := httpapi.Queue{
			Name: g.Name, Waiting: g.Waiting, LongestWait: g.LongestWait, Agents: g.Agents,
			Offered: row.Offered, Answered: row.Answered, Abandoned: row.Abandoned,
			SLTarget: httpapi.SLTarget{Percent: g.SLTarget.Percent, Threshold: time.Duration(g.SLTarget.Within)},
		}
		qs.ServiceLevel, qs.HasServiceLevel = row.ServiceLevel.Value()
		if aht, ok := row.AHT.Value(); ok {
			qs.AHT = time.Duration(aht * float64(time.Second))
		}
		out[i] = qs
	}
	return out, nil
}

// flowReloader adapts the flow watcher to the API's reload endpoint.
type flowReloader struct{ w *flows.Watcher }

func (f flowReloader) Reload(ctx context.Context) ([]string, error) {
	if f.w == nil {
		return nil, errors.New("flows are embedded in the binary: start serve with --config to reload them from disk")
	}
	cat, err := f.w.Reload(ctx)
	if err != nil {
		var ve *flows.ValidationError
		if errors.As(err, &ve) {
			issues := make([]string, len(ve.Issues))
			for i, is := range ve.Issues {
				issues[i] = is.String()
			}
			return nil, &httpapi.ValidationError{Issues: issues}
		}
		return nil, err
	}
	return flowNames(cat), nil
}
