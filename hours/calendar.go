package hours

import (
	"fmt"
	"slices"
	"time"
	_ "time/tzdata" // named zones on machines without a zoneinfo database
)

// Calendar answers "is the line open at t?". It is immutable once built.
type Calendar struct {
	Name     string
	Location *time.Location

	weekly     [7][]Range // by time.Weekday, own-day parts only, sorted, merged
	spill      [7][]Range // parts of overnight ranges that spill into the next day, by the day they start on
	holidays   map[Date]string
	yearly     map[monthDay]string
	exceptions map[Date]Exception
}

// Status is the answer for one instant.
type Status struct {
	Open    bool
	Holiday string // the holiday's name when closed because of one
	// Exception is the exception's name (or "exception") when a one-off
	// exception decided the date.
	Exception string
}

// Range is a daily opening range in seconds since local midnight: Start is
// included, End excluded. End may exceed 24h for an overnight range such as
// 22:00-06:00 (End = 30h); the part after midnight falls on the next date.
type Range struct {
	Start, End int // seconds since local midnight
}

func (r Range) String() string {
	end := r.End
	if end > secondsPerDay {
		end -= secondsPerDay
	}
	return clockString(r.Start) + "-" + clockString(end)
}

func clockString(s int) string { return fmt.Sprintf("%02d:%02d", s/3600, s%3600/60) }

const secondsPerDay = 24 * 3600

// Date is a calendar date without a zone.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day) }

// DateOf is the calendar date of t in t's location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{y, m, d}
}

// ParseDate parses "2026-10-01".
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Date{}, fmt.Errorf("bad date %q: want YYYY-MM-DD", s)
	}
	return DateOf(t), nil
}

type monthDay struct {
	Month time.Month
	Day   int
}

// Holiday closes a whole date. Yearly holidays recur on the same month and
// day every year (a yearly 02-29 applies in leap years only).
type Holiday struct {
	Date   Date
	Name   string
	Yearly bool
}

// Exception overrides one date: Closed, or open during Ranges (which replace
// the weekly pattern for that date).
type Exception struct {
	Date   Date
	Name   string
	Closed bool
	Ranges []Range
}

// Spec is everything a Calendar is built from, already parsed.
type Spec struct {
	Name       string
	Location   *time.Location // nil: UTC
	Weekly     map[time.Weekday][]Range
	Holidays   []Holiday
	Exceptions []Exception
}

// New builds a Calendar from spec. Overlapping ranges of one day merge.
func New(spec Spec) (*Calendar, error) {
	c := &Calendar{
		Name:       spec.Name,
		Location:   spec.Location,
		holidays:   map[Date]string{},
		yearly:     map[monthDay]string{},
		exceptions: map[Date]Exception{},
	}
	if c.Location == nil {
		c.Location = time.UTC
	}
	for wd, rs := range spec.Weekly {
		if wd < time.Sunday || wd > time.Saturday {
			return nil, fmt.Errorf("calendar %s: bad weekday %d", spec.Name, wd)
		}
		for _, r := range rs {
			if err := r.valid(); err != nil {
				return nil, fmt.Errorf("calendar %s: %s: %w", spec.Name, wd, err)
			}
			own, spill := r.split()
			c.weekly[wd] = append(c.weekly[wd], own)
			if spill.End > 0 {
				c.spill[wd] = append(c.spill[wd], spill)
			}
		}
	}
	for i := range c.weekly {
		c.weekly[i] = merge(c.weekly[i])
		c.spill[i] = merge(c.spill[i])
	}
	for _, h := range spec.Holidays {
		if h.Yearly {
			c.yearly[monthDay{h.Date.Month, h.Date.Day}] = h.Name
		} else {
			c.holidays[h.Date] = h.Name
		}
	}
	for _, e := range spec.Exceptions {
		if _, dup := c.exceptions[e.Date]; dup {
			return nil, fmt.Errorf("calendar %s: two exceptions for %s", spec.Name, e.Date)
		}
		var rs []Range
		for _, r := range e.Ranges {
			if err := r.valid(); err != nil {
				return nil, fmt.Errorf("calendar %s: exception %s: %w", spec.Name, e.Date, err)
			}
			if r.End > secondsPerDay {
				return nil, fmt.Errorf("calendar %s: exception %s: range %s crosses midnight; an exception covers its own date only", spec.Name, e.Date, r)
			}
			rs = append(rs, r)
		}
		e.Ranges = merge(rs)
		if len(e.Ranges) == 0 {
			e.Closed = true
		}
		c.exceptions[e.Date] = e
	}
	return c, nil
}

func (r Range) valid() error {
	switch {
	case r.Start < 0 || r.Start >= secondsPerDay:
		return fmt.Errorf("range start %d s is outside the day", r.Start)
	case r.End <= r.Start:
		return fmt.Errorf("range %s is empty", r)
	case r.End-r.Start > secondsPerDay:
		return fmt.Errorf("range %s is longer than a day", r)
	}
	return nil
}

// split cuts an overnight range at midnight: the part on its own date and
// the part on the next date (seconds since that date's midnight).
func (r Range) split() (own, spill Range) {
	if r.End <= secondsPerDay {
		return r, Range{}
	}
	return Range{r.Start, secondsPerDay}, Range{0, r.End - secondsPerDay}
}

func merge(rs []Range) []Range {
	if len(rs) == 0 {
		return nil
	}
	rs = slices.Clone(rs)
	slices.SortFunc(rs, func(a, b Range) int { return a.Start - b.Start })
	out := rs[:1]
	for _, r := range rs[1:] {
		last := &out[len(out)-1]
		if r.Start <= last.End {
			last.End = max(last.End, r.End)
			continue
		}
		out = append(out, r)
	}
	return out
}

// rangesOn returns the ranges of one date (seconds since its local
// midnight) and the status fields that explain a closed date.
func (c *Calendar) rangesOn(d Date) (rs []Range, holiday, exception string) {
	if e, ok := c.exceptions[d]; ok {
		name := e.Name
		if name == "" {
			name = "exception"
		}
		if e.Closed {
			return nil, "", name
		}
		return e.Ranges, "", name
	}
	if name, ok := c.holidays[d]; ok {
		return nil, name, ""
	}
	if name, ok := c.yearly[monthDay{d.Month, d.Day}]; ok {
		return nil, name, ""
	}
	wd := d.weekday()
	prev := (wd + 6) % 7
	if len(c.spill[prev]) == 0 {
		return c.weekly[wd], "", ""
	}
	return merge(append(slices.Clone(c.spill[prev]), c.weekly[wd]...)), "", ""
}

func (d Date) weekday() time.Weekday {
	return time.Date(d.Year, d.Month, d.Day, 12, 0, 0, 0, time.UTC).Weekday()
}

func (d Date) noon() time.Time { return time.Date(d.Year, d.Month, d.Day, 12, 0, 0, 0, time.UTC) }

// before reports whether d is an earlier date than e.
func (d Date) before(e Date) bool { return d.noon().Before(e.noon()) }

// daysSince is the number of days from e to d.
func (d Date) daysSince(e Date) int { return int(d.noon().Sub(e.noon()).Hours() / 24) }

func (d Date) addDays(n int) Date {
	return DateOf(time.Date(d.Year, d.Month, d.Day+n, 12, 0, 0, 0, time.UTC))
}

// Status reports whether the calendar is open at t. Ranges are compared with
// the wall clock of the calendar's zone at t.
func (c *Calendar) Status(t time.Time) Status {
	lt := t.In(c.Location)
	rs, holiday, exception := c.rangesOn(DateOf(lt))
	sec := lt.Hour()*3600 + lt.Minute()*60 + lt.Second()
	for _, r := range rs {
		if sec >= r.Start && sec < r.End {
			return Status{Open: true, Exception: exception}
		}
	}
	return Status{Holiday: holiday, Exception: exception}
}

// maxLookahead bounds NextChange: a calendar that never changes within it
// (always open, always closed) reports no change.
const maxLookahead = 400 // days: more than a year, so yearly holidays are seen

// NextChange returns the first instant after t at which the calendar opens
// (if closed at t) or closes (if open at t), and false when that does not
// happen within about a year. Announcements use it: "we open again at 08:00".
func (c *Calendar) NextChange(t time.Time) (time.Time, bool) {
	lt := t.In(c.Location)
	open := c.Status(lt).Open
	day := DateOf(lt)
	for i := 0; i <= maxLookahead; i++ {
		d := day.addDays(i)
		rs, _, _ := c.rangesOn(d)
		candidates := make([]time.Time, 0, 2*len(rs)+1)
		candidates = append(candidates, c.at(d, 0))
		for _, r := range rs {
			candidates = append(candidates, c.at(d, r.Start), c.at(d, r.End))
		}
		slices.SortFunc(candidates, func(a, b time.Time) int { return a.Compare(b) })
		for _, ct := range candidates {
			if ct.After(t) && c.Status(ct).Open != open {
				return ct, true
			}
		}
	}
	return time.Time{}, false
}

// at is the instant of sec seconds after local midnight on d. A wall time
// that a spring-forward skips normalizes to the instant after the gap.
func (c *Calendar) at(d Date, sec int) time.Time {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, sec, 0, c.Location)
}

// OpenRanges returns the opening ranges that apply on date d (after
// exceptions and holidays), for display.
func (c *Calendar) OpenRanges(d Date) []Range {
	rs, _, _ := c.rangesOn(d)
	return slices.Clone(rs)
}
