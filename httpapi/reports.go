package httpapi

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Defaults for report queries, the same as the CLI's.
const (
	defaultReportBy     = "queue"
	defaultSLTarget     = "80/20"
	defaultStaffingStep = 30 * time.Minute
)

// reportGroupings are the CLI's --by values: DESIGN §6 names queue, agent,
// interval and node (the IVR funnel); metrics adds day and month.
var reportGroupings = []string{"queue", "agent", "interval", "day", "month", "node"}

// queryParams reads query parameters, rejecting unknown ones and repeats,
// and collects the first problem so the handler can answer once.
type queryParams struct {
	values url.Values
	err    error
}

func newQueryParams(r *http.Request, allowed ...string) *queryParams {
	q := &queryParams{values: r.URL.Query()}
	for name, vs := range q.values {
		known := false
		for _, a := range allowed {
			known = known || a == name
		}
		switch {
		case !known:
			q.fail("unknown query parameter %q (allowed: %s)", name, strings.Join(allowed, ", "))
		case len(vs) > 1:
			q.fail("query parameter %q given %d times", name, len(vs))
		}
	}
	return q
}

func (q *queryParams) fail(format string, args ...any) {
	if q.err == nil {
		q.err = fmt.Errorf(format, args...)
	}
}

func (q *queryParams) get(name string) string { return q.values.Get(name) }

// time parses an RFC 3339 time or a date (midnight in loc); def when absent.
func (q *queryParams) time(name string, loc *time.Location, def time.Time) time.Time {
	v := q.get(name)
	if v == "" {
		return def
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t
	}
	if t, err := time.ParseInLocation(time.DateOnly, v, loc); err == nil {
		return t
	}
	q.fail("%s=%q: want an RFC 3339 time (2026-11-23T08:00:00+08:00) or a date (2026-11-23)", name, v)
	return def
}

func (q *queryParams) duration(name string, def time.Duration) time.Duration {
	v := q.get(name)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		if secs, ferr := strconv.ParseFloat(v, 64); ferr == nil {
			d, err = time.Duration(secs*float64(time.Second)), nil
		}
	}
	if err != nil || d <= 0 {
		q.fail("%s=%q: want a positive duration such as 240s or 4m", name, v)
		return def
	}
	return d
}

func (q *queryParams) float(name string, def, min, max float64) float64 {
	v := q.get(name)
	if v == "" {
		return def
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f < min || f >= max {
		q.fail("%s=%q: want a number from %g up to (not including) %g", name, v, min, max)
		return def
	}
	return f
}

func (q *queryParams) positiveInt(name string) int {
	v := q.get(name)
	if v == "" {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		q.fail("%s=%q: want a positive whole number", name, v)
		return 0
	}
	return n
}

// parseSLTarget reads "80/20": percent answered within seconds.
func parseSLTarget(v string) (SLTarget, error) {
	pct, thr, ok := strings.Cut(v, "/")
	p, perr := strconv.ParseFloat(pct, 64)
	secs, serr := strconv.ParseFloat(strings.TrimSuffix(thr, "s"), 64)
	if !ok || perr != nil || serr != nil || p <= 0 || p > 100 || secs <= 0 {
		return SLTarget{}, fmt.Errorf("sl=%q: want PERCENT/SECONDS such as 80/20", v)
	}
	return SLTarget{Percent: p, Threshold: time.Duration(secs * float64(time.Second))}, nil
}

// today is local midnight to the next midnight (23 or 25 hours on DST days).
func (s *Server) today() (time.Time, time.Time) {
	now := s.clock.Now().In(s.loc)
	from := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, s.loc)
	return from, from.AddDate(0, 0, 1)
}

// span reads from and to (default today) and checks them: from before to,
// to no later than the end of today (a report covers the past and today;
// tomorrow's date as to is today's end), at most MaxReportSpan apart.
func (s *Server) span(q *queryParams) (time.Time, time.Time) {
	dayStart, dayEnd := s.today()
	from := q.time("from", s.loc, dayStart)
	to := q.time("to", s.loc, dayEnd)
	if q.err == nil && !to.After(from) {
		q.fail("to (%s) must be after from (%s)", to.Format(time.RFC3339), from.Format(time.RFC3339))
	}
	if max := s.cfg.MaxReportSpan; q.err == nil && to.Sub(from) > max {
		q.fail("from %s to %s is %s; a report covers at most %s (%d days): ask for a shorter range, or several",
			from.Format(time.RFC3339), to.Format(time.RFC3339), spanText(to.Sub(from)), spanText(max), int(max/(24*time.Hour)))
	}
	if q.err == nil && to.After(dayEnd) {
		q.fail("to (%s) is after the end of today (%s): a report covers the past and today",
			to.Format(time.RFC3339), dayEnd.Format(time.RFC3339))
	}
	return from, to
}

func (s *Server) reportSummary(w http.ResponseWriter, r *http.Request) {
	if s.deps.Reports == nil {
		unavailable(w, "reports")
		return
	}
	q := newQueryParams(r, "from", "to", "by")
	from, to := s.span(q)
	by := q.get("by")
	if by == "" {
		by = defaultReportBy
	}
	if !contains(reportGroupings, by) {
		q.fail("by=%q: want one of %s", by, strings.Join(reportGroupings, ", "))
	}
	if q.err != nil {
		writeError(w, http.StatusBadRequest, "%v", q.err)
		return
	}
	rep, err := s.deps.Reports.Report(r.Context(), ReportQuery{From: from, To: to, By: by})
	if err != nil {
		s.writeDepError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, rep)
}

func (s *Server) reportStaffing(w http.ResponseWriter, r *http.Request) {
	if s.deps.Reports == nil {
		unavailable(w, "reports")
		return
	}
	q := newQueryParams(r, "from", "to", "sl", "shrinkage", "calls", "aht", "interval")
	sq := StaffingQuery{
		Calls:     q.positiveInt("calls"),
		AHT:       q.duration("aht", 0),
		Interval:  q.duration("interval", defaultStaffingStep),
		Shrinkage: q.float("shrinkage", 0, 0, 1),
	}
	sl := q.get("sl")
	if sl == "" {
		sl = defaultSLTarget
	}
	target, err := parseSLTarget(sl)
	if err != nil {
		q.fail("%v", err)
	}
	sq.Target = target
	switch {
	case sq.Calls > 0 && sq.AHT == 0:
		q.fail("calls given without aht: a what-if plan needs both")
	case sq.Calls == 0 && sq.AHT > 0:
		q.fail("aht given without calls: a what-if plan needs both")
	case sq.Calls > 0 && (q.get("from") != "" || q.get("to") != ""):
		q.fail("from/to select logged traffic; leave them out of a what-if plan (calls, aht)")
	case sq.Calls == 0:
		if q.get("interval") != "" {
			q.fail("interval applies to a what-if plan (calls, aht); logged staffing is per half-hour")
		}
		sq.From, sq.To = s.span(q)
	}
	if q.err != nil {
		writeError(w, http.StatusBadRequest, "%v", q.err)
		return
	}
	plan, err := s.deps.Reports.Staffing(r.Context(), sq)
	if err != nil {
		s.writeDepError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, plan)
}

func (s *Server) reportIntervals(w http.ResponseWriter, r *http.Request) {
	if s.deps.Reports == nil {
		unavailable(w, "reports")
		return
	}
	q := newQueryParams(r, "date")
	from, _ := s.today()
	from = q.time("date", s.loc, from)
	if v := q.get("date"); v != "" && q.err == nil && len(v) != len(time.DateOnly) {
		q.fail("date=%q: want a date such as 2026-11-23", v)
	}
	if today, _ := s.today(); q.err == nil && from.After(today) {
		q.fail("date=%s is after the end of today (%s): charts cover the past and today",
			from.Format(time.DateOnly), today.Format(time.DateOnly))
	}
	if q.err != nil {
		writeError(w, http.StatusBadRequest, "%v", q.err)
		return
	}
	is, err := s.deps.Reports.Intervals(r.Context(), from, from.AddDate(0, 0, 1))
	if err != nil {
		s.writeDepError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, intervalViews(is))
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// spanText writes a long duration in days and hours.
func spanText(d time.Duration) string {
	days, hours := int64(d/(24*time.Hour)), int64(d%(24*time.Hour)/time.Hour)
	if hours == 0 {
		return fmt.Sprintf("%dd", days)
	}
	return fmt.Sprintf("%dd%dh", days, hours)
}
