package hours

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Config is one calendar as written in switchboard.yaml's `calendars:` map:
//
//	office:
//	  timezone: Asia/Shanghai
//	  weekly: {mon-fri: ["08:00-12:00", "13:00-18:00"], sat: ["09:00-17:00"]}
//	  holidays: [{date: 2026-10-01..2026-10-07, name: National Day}, {date: 2026-01-01, name: New Year, yearly: true}]
//	  exceptions: [{date: 2026-10-11, open: ["09:00-17:00"]}, {date: 2026-10-10, open: mon}, {date: 2026-12-24, closed: true}]
//
// A date may be an inclusive range, "2027-02-06..2027-02-12", in holidays
// and exceptions alike. An exception's open is a list of ranges, or one
// weekday name (open: mon) for a make-up working day with that day's
// weekly hours.
// Weekly keys are days (mon, tuesday...), day spans (mon-fri, fri-mon), comma
// lists (mon,wed,fri), or "daily". A day may appear under one key only.
// Ranges are "HH:MM-HH:MM"; an end at or before the start (22:00-06:00) runs
// overnight; "24:00" is the end of the day. An empty list means closed.
//
// Decoding with yaml.v3 records where each value was written, so Build
// reports problems as line:col of the YAML file.
type Config struct {
	Timezone   string              `yaml:"timezone" json:"timezone"`
	Weekly     map[string][]string `yaml:"weekly" json:"weekly"`
	Holidays   []HolidayConfig     `yaml:"holidays" json:"holidays"`
	Exceptions []ExceptionConfig   `yaml:"exceptions" json:"exceptions"`

	pos    map[string]Position // where values were written, by path ("weekly.mon-fri", "holidays.0.date")
	issues []Issue             // problems found while decoding (unknown keys, wrong shapes)
}

// HolidayConfig is one public holiday: the whole date is closed.
type HolidayConfig struct {
	Date   string `yaml:"date" json:"date"` // YYYY-MM-DD
	Name   string `yaml:"name" json:"name"`
	Yearly bool   `yaml:"yearly" json:"yearly"` // recurs every year on the same month and day
}

// ExceptionConfig overrides one date: closed, or open with its own ranges.
type ExceptionConfig struct {
	Date   string   `yaml:"date" json:"date"`
	Name   string   `yaml:"name" json:"name"`
	Closed bool     `yaml:"closed" json:"closed"`
	Open   []string `yaml:"open" json:"open"`
}

// Position is a place in a YAML file (1-based); zero when unknown.
type Position struct {
	Line, Col int
}

// Issue is one problem in a calendar's configuration.
type Issue struct {
	Pos     Position
	Message string
}

func (i Issue) String() string {
	if i.Pos.Line == 0 {
		return i.Message
	}
	return fmt.Sprintf("%d:%d: %s", i.Pos.Line, i.Pos.Col, i.Message)
}

// ConfigError lists every problem of one calendar's configuration, sorted by
// position.
type ConfigError struct {
	Calendar string
	Issues   []Issue
}

func (e *ConfigError) Error() string {
	lines := make([]string, len(e.Issues))
	for i, is := range e.Issues {
		lines[i] = is.String()
	}
	return strings.Join(lines, "\n")
}

var configKeys = []string{"timezone", "weekly", "holidays", "exceptions"}

// UnmarshalYAML decodes a calendar, remembering positions. Shape problems
// are kept and reported by Build, so one run shows all of them.
func (c *Config) UnmarshalYAML(n *yaml.Node) error {
	*c = Config{pos: map[string]Position{}}
	c.pos[""] = posOf(n)
	if n.Kind != yaml.MappingNode {
		c.issue(n, "calendar must be a mapping with timezone, weekly, holidays, exceptions")
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		switch k.Value {
		case "timezone":
			c.Timezone = c.scalar(v, "timezone")
		case "weekly":
			c.decodeWeekly(v)
		case "holidays":
			c.decodeList(v, "holidays", []string{"date", "name", "yearly"}, func(idx int, fields map[string]*yaml.Node) {
				h := HolidayConfig{
					Date:   c.scalarField(fields, "date", fmt.Sprintf("holidays.%d", idx)),
					Name:   c.scalarField(fields, "name", fmt.Sprintf("holidays.%d", idx)),
					Yearly: c.boolField(fields, "yearly"),
				}
				c.Holidays = append(c.Holidays, h)
			})
		case "exceptions":
			c.decodeList(v, "exceptions", []string{"date", "name", "closed", "open"}, func(idx int, fields map[string]*yaml.Node) {
				path := fmt.Sprintf("exceptions.%d", idx)
				e := ExceptionConfig{
					Date:   c.scalarField(fields, "date", path),
					Name:   c.scalarField(fields, "name", path),
					Closed: c.boolField(fields, "closed"),
				}
				if o, ok := fields["open"]; ok {
					e.Open = c.rangeList(o, path+".open")
					if e.Open == nil {
						e.Open = []string{}
					}
				}
				c.Exceptions = append(c.Exceptions, e)
			})
		default:
			c.issue(k, fmt.Sprintf("unknown calendar field %q%s", k.Value, suggest(k.Value, configKeys)))
		}
	}
	return nil
}

func posOf(n *yaml.Node) Position { return Position{n.Line, n.Column} }

func (c *Config) issue(n *yaml.Node, msg string) {
	c.issues = append(c.issues, Issue{posOf(n), msg})
}

func (c *Config) scalar(n *yaml.Node, path string) string {
	c.pos[path] = posOf(n)
	if n.Kind != yaml.ScalarNode {
		c.issue(n, path+" must be a single value")
		return ""
	}
	return n.Value
}

func (c *Config) scalarField(fields map[string]*yaml.Node, name, path string) string {
	n, ok := fields[name]
	if !ok {
		return ""
	}
	return c.scalar(n, path+"."+name)
}

func (c *Config) boolField(fields map[string]*yaml.Node, name string) bool {
	n, ok := fields[name]
	if !ok {
		return false
	}
	var b bool
	if err := n.Decode(&b); err != nil {
		c.issue(n, fmt.Sprintf("%s must be true or false", name))
	}
	return b
}

func (c *Config) rangeList(n *yaml.Node, path string) []string {
	c.pos[path] = posOf(n)
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Value == "" || n.Value == "closed" {
			return nil
		}
		c.pos[path+".0"] = posOf(n)
		return []string{n.Value}
	case yaml.SequenceNode:
		var out []string
		for _, item := range n.Content {
			if item.Kind != yaml.ScalarNode {
				c.issue(item, "a range must be a string like \"08:00-18:00\"")
				continue
			}
			c.pos[fmt.Sprintf("%s.%d", path, len(out))] = posOf(item)
			out = append(out, item.Value)
		}
		return out
	}
	c.issue(n, "ranges must be a list like [\"08:00-12:00\", \"13:00-18:00\"]")
	return nil
}

func (c *Config) decodeWeekly(n *yaml.Node) {
	c.pos["weekly"] = posOf(n)
	if n.Kind != yaml.MappingNode {
		c.issue(n, "weekly must be a mapping of days to ranges, e.g. {mon-fri: [\"08:00-18:00\"]}")
		return
	}
	c.Weekly = map[string][]string{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		c.pos["weekly."+k.Value+".key"] = posOf(k)
		rs := c.rangeList(v, "weekly."+k.Value)
		if rs == nil {
			rs = []string{}
		}
		c.Weekly[k.Value] = rs
	}
}

func (c *Config) decodeList(n *yaml.Node, path string, keys []string, each func(int, map[string]*yaml.Node)) {
	c.pos[path] = posOf(n)
	if n.Kind != yaml.SequenceNode {
		c.issue(n, path+" must be a list")
		return
	}
	for idx, item := range n.Content {
		c.pos[fmt.Sprintf("%s.%d", path, idx)] = posOf(item)
		if item.Kind != yaml.MappingNode {
			c.issue(item, fmt.Sprintf("each of %s must be a mapping with %s", path, strings.Join(keys, ", ")))
			each(idx, nil)
			continue
		}
		fields := map[string]*yaml.Node{}
		for i := 0; i+1 < len(item.Content); i += 2 {
			k := item.Content[i]
			if !contains(keys, k.Value) {
				c.issue(k, fmt.Sprintf("unknown field %q in %s%s", k.Value, path, suggest(k.Value, keys)))
				continue
			}
			fields[k.Value] = item.Content[i+1]
		}
		each(idx, fields)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// at returns the recorded position of path, or of the closest recorded
// parent, or the calendar's own position.
func (c *Config) at(path string) Position {
	for {
		if p, ok := c.pos[path]; ok {
			return p
		}
		i := strings.LastIndexByte(path, '.')
		if i < 0 {
			return c.pos[""]
		}
		path = path[:i]
	}
}

// Build validates the configuration and builds the calendar. All problems
// are reported at once as a *ConfigError with positions when the Config was
// decoded from YAML.
func (c Config) Build(name string) (*Calendar, error) {
	errs := &ConfigError{Calendar: name, Issues: append([]Issue(nil), c.issues...)}
	add := func(path, format string, args ...any) {
		errs.Issues = append(errs.Issues, Issue{c.at(path), fmt.Sprintf("calendar %s: ", name) + fmt.Sprintf(format, args...)})
	}
	for i := range errs.Issues {
		errs.Issues[i].Message = "calendar " + name + ": " + errs.Issues[i].Message
	}
	spec := Spec{Name: name, Weekly: map[time.Weekday][]Range{}}

	if c.Timezone == "" {
		add("timezone", "timezone is required (an IANA name such as Asia/Shanghai or Europe/Berlin)")
	} else if loc, err := time.LoadLocation(c.Timezone); err != nil || strings.EqualFold(c.Timezone, "local") {
		add("timezone", "unknown time zone %q (use an IANA name such as Asia/Shanghai)", c.Timezone)
	} else {
		spec.Location = loc
	}

	keys := make([]string, 0, len(c.Weekly))
	for k := range c.Weekly {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		return c.at("weekly." + keys[i] + ".key").before(c.at("weekly." + keys[j] + ".key"))
	})
	claimed := map[time.Weekday]string{}
	for _, key := range keys {
		days, err := ParseDays(key)
		if err != nil {
			add("weekly."+key+".key", "%v", err)
			continue
		}
		var rs []Range
		for i, s := range c.Weekly[key] {
			r, err := ParseRange(s)
			if err != nil {
				add(fmt.Sprintf("weekly.%s.%d", key, i), "%v", err)
				continue
			}
			rs = append(rs, r)
		}
		for _, d := range days {
			if other, ok := claimed[d]; ok {
				add("weekly."+key+".key", "%s is already given by %q; list each day once", d, other)
				continue
			}
			claimed[d] = key
			spec.Weekly[d] = rs
		}
	}

	holidayDates := map[Date]string{} // date -> the entry that named it
	for i, h := range c.Holidays {
		path := fmt.Sprintf("holidays.%d", i)
		from, to, err := ParseDates(h.Date)
		if err != nil {
			add(path+".date", "%v", err)
			continue
		}
		if h.Name == "" {
			add(path, "holiday %s needs a name (announcements and reports use it)", h.Date)
		}
		for d := from; !to.before(d); d = d.addDays(1) {
			if prev, dup := holidayDates[d]; dup {
				add(path+".date", "holiday %s is listed twice (also in %s)", d, prev)
				break
			}
			holidayDates[d] = h.Date
			spec.Holidays = append(spec.Holidays, Holiday{Date: d, Name: h.Name, Yearly: h.Yearly})
		}
	}

	exceptionDates := map[Date]string{}
	for i, e := range c.Exceptions {
		path := fmt.Sprintf("exceptions.%d", i)
		from, to, err := ParseDates(e.Date)
		if err != nil {
			add(path+".date", "%v", err)
			continue
		}
		switch {
		case e.Closed && len(e.Open) > 0:
			add(path, "exception %s says both closed and open; pick one", e.Date)
			continue
		case !e.Closed && e.Open == nil:
			add(path, "exception %s needs closed: true or open: [ranges] (or open: mon, Monday's hours)", e.Date)
			continue
		}
		var ranges []Range
		if like, ok := weekdayOf(e.Open); ok {
			// A make-up working day: the hours of a usual weekday, cut
			// at midnight (an exception covers its own date only).
			for _, r := range spec.Weekly[like] {
				own, _ := r.split()
				ranges = append(ranges, own)
			}
			if len(ranges) == 0 {
				add(path+".open", "exception %s: open: %s copies the hours of %s, and the weekly pattern has none", e.Date, e.Open[0], like)
				continue
			}
		}
		for j, s := range e.Open {
			if ranges != nil {
				break
			}
			r, err := ParseRange(s)
			if err == nil && r.End > secondsPerDay {
				err = fmt.Errorf("range %q crosses midnight; an exception covers its own date only", s)
			}
			if err != nil {
				add(fmt.Sprintf("%s.open.%d", path, j), "%v", err)
				continue
			}
			ranges = append(ranges, r)
		}
		for d := from; !to.before(d); d = d.addDays(1) {
			if prev, dup := exceptionDates[d]; dup {
				add(path+".date", "exception %s is listed twice (also in %s)", d, prev)
				break
			}
			exceptionDates[d] = e.Date
			spec.Exceptions = append(spec.Exceptions, Exception{Date: d, Name: e.Name, Closed: e.Closed, Ranges: ranges})
		}
	}

	if len(errs.Issues) > 0 {
		sort.SliceStable(errs.Issues, func(i, j int) bool { return errs.Issues[i].Pos.before(errs.Issues[j].Pos) })
		return nil, errs
	}
	cal, err := New(spec)
	if err != nil {
		return nil, &ConfigError{Calendar: name, Issues: []Issue{{c.at(""), err.Error()}}}
	}
	return cal, nil
}

func (p Position) before(q Position) bool {
	if p.Line != q.Line {
		return p.Line < q.Line
	}
	return p.Col < q.Col
}

// Build builds every calendar of a `calendars:` map; all problems of all
// calendars are returned together (as a *ConfigError per calendar, joined).
func Build(configs map[string]Config) (map[string]*Calendar, []*ConfigError) {
	out := map[string]*Calendar{}
	var errs []*ConfigError
	names := make([]string, 0, len(configs))
	for n := range configs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		cal, err := configs[n].Build(n)
		if err != nil {
			errs = append(errs, err.(*ConfigError))
			continue
		}
		out[n] = cal
	}
	return out, errs
}

var dayNames = map[string]time.Weekday{
	"sun": time.Sunday, "sunday": time.Sunday,
	"mon": time.Monday, "monday": time.Monday,
	"tue": time.Tuesday, "tues": time.Tuesday, "tuesday": time.Tuesday,
	"wed": time.Wednesday, "wednesday": time.Wednesday,
	"thu": time.Thursday, "thur": time.Thursday, "thurs": time.Thursday, "thursday": time.Thursday,
	"fri": time.Friday, "friday": time.Friday,
	"sat": time.Saturday, "saturday": time.Saturday,
}

// maxDateRange bounds a date range: a closure longer than a year is more
// likely a typo in the year than a plan.
const maxDateRange = 366

// ParseDates parses one date ("2027-02-06") or an inclusive range of dates
// ("2027-02-06..2027-02-12").
func ParseDates(s string) (from, to Date, err error) {
	a, b, isRange := strings.Cut(s, "..")
	if from, err = ParseDate(strings.TrimSpace(a)); err != nil {
		if isRange {
			err = fmt.Errorf("bad date range %q: %w", s, err)
		}
		return Date{}, Date{}, err
	}
	if !isRange {
		return from, from, nil
	}
	if to, err = ParseDate(strings.TrimSpace(b)); err != nil {
		return Date{}, Date{}, fmt.Errorf("bad date range %q: %w", s, err)
	}
	switch days := to.daysSince(from); {
	case days < 0:
		return Date{}, Date{}, fmt.Errorf("bad date range %q: it ends before it starts", s)
	case days >= maxDateRange:
		return Date{}, Date{}, fmt.Errorf("bad date range %q: %d days; a range covers at most %d", s, days+1, maxDateRange)
	}
	return from, to, nil
}

// weekdayOf reports whether an exception's open is one weekday name
// ("open: mon"), a make-up working day with that day's hours.
func weekdayOf(open []string) (time.Weekday, bool) {
	if len(open) != 1 {
		return 0, false
	}
	d, ok := dayNames[strings.ToLower(strings.TrimSpace(open[0]))]
	return d, ok
}

// ParseDays parses a weekly key: "mon", "mon-fri", "fri-mon" (wrapping),
// "mon,wed,fri", "sat-sun,wed" or "daily".
func ParseDays(key string) ([]time.Weekday, error) {
	k := strings.ToLower(strings.TrimSpace(key))
	if k == "daily" || k == "everyday" || k == "all" {
		return []time.Weekday{0, 1, 2, 3, 4, 5, 6}, nil
	}
	var out []time.Weekday
	seen := map[time.Weekday]bool{}
	for _, part := range strings.Split(k, ",") {
		part = strings.TrimSpace(part)
		from, to, span := strings.Cut(part, "-")
		a, ok := dayNames[strings.TrimSpace(from)]
		if !ok {
			return nil, fmt.Errorf("unknown day %q in %q (use mon, tue, wed, thu, fri, sat, sun, spans like mon-fri, or daily)", from, key)
		}
		b := a
		if span {
			if b, ok = dayNames[strings.TrimSpace(to)]; !ok {
				return nil, fmt.Errorf("unknown day %q in %q (use mon, tue, wed, thu, fri, sat, sun, spans like mon-fri, or daily)", to, key)
			}
		}
		for d := a; ; d = (d + 1) % 7 {
			if seen[d] {
				return nil, fmt.Errorf("%s appears twice in %q", d, key)
			}
			seen[d] = true
			out = append(out, d)
			if d == b {
				break
			}
		}
	}
	return out, nil
}

// ParseRange parses "08:00-18:00". An end at or before the start makes an
// overnight range (22:00-06:00 is open until 06:00 the next day); "24:00"
// ends at midnight.
func ParseRange(s string) (Range, error) {
	from, to, ok := strings.Cut(strings.TrimSpace(s), "-")
	if !ok {
		return Range{}, fmt.Errorf("bad range %q: want HH:MM-HH:MM", s)
	}
	a, err := parseClock(from, false)
	if err != nil {
		return Range{}, fmt.Errorf("bad range %q: %w", s, err)
	}
	b, err := parseClock(to, true)
	if err != nil {
		return Range{}, fmt.Errorf("bad range %q: %w", s, err)
	}
	if a == b {
		return Range{}, fmt.Errorf("bad range %q: start and end are equal (for all day write 00:00-24:00)", s)
	}
	if b < a {
		b += secondsPerDay
	}
	return Range{a, b}, nil
}

func parseClock(s string, end bool) (int, error) {
	s = strings.TrimSpace(s)
	h, m, ok := strings.Cut(s, ":")
	if !ok || len(m) != 2 || len(h) == 0 || len(h) > 2 {
		return 0, fmt.Errorf("time %q: want HH:MM", s)
	}
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if err1 != nil || err2 != nil || mm < 0 || mm > 59 || hh < 0 || hh > 24 || (hh == 24 && (mm != 0 || !end)) {
		return 0, fmt.Errorf("time %q: want HH:MM between 00:00 and 24:00", s)
	}
	return hh*3600 + mm*60, nil
}

// suggest returns ` (did you mean "x"?)` for the closest of candidates, or "".
func suggest(s string, candidates []string) string {
	best, bestD := "", 3
	for _, c := range candidates {
		if d := editDistance(s, c); d < bestD {
			best, bestD = c, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
