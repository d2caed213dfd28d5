package hours

import (
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

func mustCalendar(t *testing.T, src string) *Calendar {
	t.Helper()
	var c Config
	if err := yaml.Unmarshal([]byte(src), &c); err != nil {
		t.Fatalf("unmarshal: %v", err)
	}
	cal, err := c.Build("test")
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	return cal
}

func at(t *testing.T, s string) time.Time {
	t.Helper()
	tm, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return tm
}

const office = `
timezone: Asia/Shanghai
weekly:
  mon-fri: ["08:00-12:00", "13:00-18:00"]
  sat: ["09:00-17:00"]
holidays:
  - {date: 2026-10-01, name: National Day}
  - {date: 2026-01-01, name: New Year, yearly: true}
  - {date: 2026-10-11, name: Bridge day}
exceptions:
  - {date: 2026-10-11, open: ["09:00-17:00"], name: working Sunday}
  - {date: 2026-11-24, closed: true, name: staff training}
`

func TestStatus(t *testing.T) {
	cal := mustCalendar(t, office)
	tests := []struct {
		at      string
		open    bool
		holiday string
	}{
		{"2026-11-23T07:59:59+08:00", false, ""}, // Monday before opening
		{"2026-11-23T08:00:00+08:00", true, ""},  // start is included
		{"2026-11-23T11:59:59+08:00", true, ""},
		{"2026-11-23T12:00:00+08:00", false, ""}, // end is excluded: lunch
		{"2026-11-23T13:00:00+08:00", true, ""},
		{"2026-11-23T17:59:59+08:00", true, ""},
		{"2026-11-23T18:00:00+08:00", false, ""},
		{"2026-11-23T23:30:00+08:00", false, ""},
		{"2026-11-23T02:00:00Z", true, ""},                   // 10:00 in Shanghai
		{"2026-11-28T10:00:00+08:00", true, ""},              // Saturday
		{"2026-11-29T10:00:00+08:00", false, ""},             // Sunday
		{"2026-10-01T10:00:00+08:00", false, "National Day"}, // Thursday holiday
		{"2027-01-01T10:00:00+08:00", false, "New Year"},     // yearly holiday, next year
		{"2026-10-11T10:00:00+08:00", true, ""},              // exception beats holiday on the same date
		{"2026-10-11T08:30:00+08:00", false, ""},             // exception ranges replace weekly
		{"2026-11-24T10:00:00+08:00", false, ""},             // closed exception on a Tuesday
		{"2026-09-30T23:59:59+08:00", false, ""},
		{"2026-10-01T00:00:00+08:00", false, "National Day"}, // midnight is the holiday
	}
	for _, tt := range tests {
		got := cal.Status(at(t, tt.at))
		if got.Open != tt.open || (!tt.open && got.Holiday != tt.holiday) {
			t.Errorf("Status(%s) = %+v; want open=%v holiday=%q", tt.at, got, tt.open, tt.holiday)
		}
	}
	if got := cal.Status(at(t, "2026-11-24T10:00:00+08:00")); got.Exception != "staff training" {
		t.Errorf("closed exception: Exception = %q; want staff training", got.Exception)
	}
}

func TestYearlyHolidayOnSaturdayClosesIt(t *testing.T) {
	cal := mustCalendar(t, office)
	// 2028-01-01 is a Saturday; the yearly New Year holiday closes it.
	if got := cal.Status(at(t, "2028-01-01T10:00:00+08:00")); got.Open || got.Holiday != "New Year" {
		t.Errorf("Status = %+v; want closed for New Year", got)
	}
}

func TestLeapDay(t *testing.T) {
	cal := mustCalendar(t, `
timezone: Europe/Berlin
weekly: {daily: ["00:00-24:00"]}
holidays: [{date: 2028-02-29, name: Leap, yearly: true}]
exceptions: [{date: 2024-02-29, closed: true}]
`)
	tests := []struct {
		at   string
		open bool
	}{
		{"2024-02-29T12:00:00+01:00", false}, // exception
		{"2028-02-29T12:00:00+01:00", false}, // yearly leap holiday
		{"2032-02-29T12:00:00+01:00", false}, // recurs in leap years
		{"2027-02-28T12:00:00+01:00", true},  // not moved to the 28th
		{"2027-03-01T12:00:00+01:00", true},  // nor to March 1st
		{"2028-02-28T23:59:59+01:00", true},
		{"2028-03-01T00:00:00+01:00", true},
	}
	for _, tt := range tests {
		if got := cal.Status(at(t, tt.at)); got.Open != tt.open {
			t.Errorf("Status(%s).Open = %v; want %v", tt.at, got.Open, tt.open)
		}
	}
	if _, err := ParseDate("2027-02-29"); err == nil {
		t.Error("ParseDate(2027-02-29) succeeded; 2027 is no leap year")
	}
}

func TestOvernightRange(t *testing.T) {
	cal := mustCalendar(t, `
timezone: Europe/Berlin
weekly: {fri: ["22:00-06:00"], sat: ["10:00-12:00"]}
holidays: [{date: 2026-12-05, name: Closed Saturday}]
`)
	tests := []struct {
		at   string
		open bool
	}{
		{"2026-11-27T21:59:59+01:00", false}, // Friday
		{"2026-11-27T22:00:00+01:00", true},
		{"2026-11-27T23:59:59+01:00", true},
		{"2026-11-28T00:00:00+01:00", true}, // Saturday, spilled part
		{"2026-11-28T05:59:59+01:00", true},
		{"2026-11-28T06:00:00+01:00", false},
		{"2026-11-28T10:30:00+01:00", true},  // Saturday's own range
		{"2026-11-28T22:30:00+01:00", false}, // no Saturday-night range
		{"2026-12-04T23:00:00+01:00", true},  // Friday before the holiday
		{"2026-12-05T01:00:00+01:00", false}, // the holiday decides its own date
	}
	for _, tt := range tests {
		if got := cal.Status(at(t, tt.at)); got.Open != tt.open {
			t.Errorf("Status(%s).Open = %v; want %v", tt.at, got.Open, tt.open)
		}
	}
}

func TestDST(t *testing.T) {
	cal := mustCalendar(t, `
timezone: America/New_York
weekly: {daily: ["08:00-18:00"]}
`)
	tests := []struct {
		at   string
		open bool
	}{
		// Spring forward, Sunday 2026-03-08: 08:00 EDT = 12:00 UTC.
		{"2026-03-08T11:59:59Z", false},
		{"2026-03-08T12:00:00Z", true},
		{"2026-03-08T21:59:59Z", true},
		{"2026-03-08T22:00:00Z", false},
		// The day before (EST): 08:00 = 13:00 UTC.
		{"2026-03-07T12:30:00Z", false},
		{"2026-03-07T13:00:00Z", true},
		// Fall back, Sunday 2026-11-01: 08:00 EST = 13:00 UTC.
		{"2026-11-01T12:30:00Z", false},
		{"2026-11-01T13:00:00Z", true},
		{"2026-11-01T22:59:59Z", true},
		{"2026-11-01T23:00:00Z", false},
	}
	for _, tt := range tests {
		if got := cal.Status(at(t, tt.at)); got.Open != tt.open {
			t.Errorf("Status(%s).Open = %v; want %v", tt.at, got.Open, tt.open)
		}
	}
}

func TestNextChange(t *testing.T) {
	cal := mustCalendar(t, office)
	berlin := mustCalendar(t, `
timezone: Europe/Berlin
weekly: {sun: ["01:00-04:00"], mon-fri: ["08:00-18:00"]}
`)
	ny := mustCalendar(t, `
timezone: America/New_York
weekly: {daily: ["08:00-18:00"]}
`)
	tests := []struct {
		name string
		cal  *Calendar
		from string
		want string
	}{
		{"sunday night to monday morning", cal, "2026-11-22T23:30:00+08:00", "2026-11-23T08:00:00+08:00"},
		{"skips closed exception and holiday", cal, "2026-11-23T18:00:00+08:00", "2026-11-25T08:00:00+08:00"},
		{"open until lunch", cal, "2026-11-23T10:00:00+08:00", "2026-11-23T12:00:00+08:00"},
		{"at the boundary the next change is later", cal, "2026-11-23T12:00:00+08:00", "2026-11-23T13:00:00+08:00"},
		{"friday evening to saturday", cal, "2026-11-27T19:00:00+08:00", "2026-11-28T09:00:00+08:00"},
		{"saturday to monday", cal, "2026-11-28T17:00:00+08:00", "2026-11-30T08:00:00+08:00"},
		{"holiday week", cal, "2026-09-30T18:00:00+08:00", "2026-10-02T08:00:00+08:00"},
		{"spring forward opening", ny, "2026-03-07T23:00:00Z", "2026-03-08T12:00:00Z"},
		{"fall back opening", ny, "2026-10-31T23:00:00Z", "2026-11-01T13:00:00Z"},
		// Berlin springs forward 2026-03-29 02:00 -> 03:00; 01:00-04:00 lasts two real hours.
		{"range over the gap", berlin, "2026-03-29T00:30:00+01:00", "2026-03-29T01:00:00+01:00"},
		{"range over the gap closes at 04:00 CEST", berlin, "2026-03-29T01:30:00+01:00", "2026-03-29T04:00:00+02:00"},
	}
	for _, tt := range tests {
		got, ok := tt.cal.NextChange(at(t, tt.from))
		if want := at(t, tt.want); !ok || !got.Equal(want) {
			t.Errorf("%s: NextChange(%s) = %v, %v; want %v", tt.name, tt.from, got, ok, want)
		}
	}
	always := mustCalendar(t, "timezone: UTC\nweekly: {daily: [\"00:00-24:00\"]}\n")
	if got, ok := always.NextChange(at(t, "2026-01-01T00:00:00Z")); ok {
		t.Errorf("always open: NextChange = %v; want none", got)
	}
	never := mustCalendar(t, "timezone: UTC\nweekly: {}\n")
	if got, ok := never.NextChange(at(t, "2026-01-01T00:00:00Z")); ok {
		t.Errorf("never open: NextChange = %v; want none", got)
	}
}

func TestParseRange(t *testing.T) {
	tests := []struct {
		in      string
		want    Range
		wantErr string
	}{
		{"08:00-18:00", Range{8 * 3600, 18 * 3600}, ""},
		{"00:00-24:00", Range{0, 24 * 3600}, ""},
		{"22:00-06:00", Range{22 * 3600, 30 * 3600}, ""},
		{"22:00-00:00", Range{22 * 3600, 24 * 3600}, ""},
		{"9:30-12:00", Range{9*3600 + 1800, 12 * 3600}, ""},
		{"08:00-08:00", Range{}, "equal"},
		{"08:00", Range{}, "HH:MM-HH:MM"},
		{"8-18", Range{}, "HH:MM"},
		{"24:00-06:00", Range{}, "between"},
		{"08:60-09:00", Range{}, "between"},
		{"25:00-26:00", Range{}, "between"},
	}
	for _, tt := range tests {
		got, err := ParseRange(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseRange(%q) error = %v; want containing %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseRange(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

func TestParseDays(t *testing.T) {
	tests := []struct {
		in   string
		want []time.Weekday
		err  bool
	}{
		{"mon-fri", []time.Weekday{1, 2, 3, 4, 5}, false},
		{"fri-mon", []time.Weekday{5, 6, 0, 1}, false},
		{"Saturday", []time.Weekday{6}, false},
		{"mon,wed,fri", []time.Weekday{1, 3, 5}, false},
		{"daily", []time.Weekday{0, 1, 2, 3, 4, 5, 6}, false},
		{"mon-fri,tue", nil, true},
		{"monn", nil, true},
	}
	for _, tt := range tests {
		got, err := ParseDays(tt.in)
		if (err != nil) != tt.err || (!tt.err && !equalDays(got, tt.want)) {
			t.Errorf("ParseDays(%q) = %v, %v; want %v (error %v)", tt.in, got, err, tt.want, tt.err)
		}
	}
}

func equalDays(a, b []time.Weekday) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestNewMergesAndRejects(t *testing.T) {
	cal, err := New(Spec{Name: "m", Weekly: map[time.Weekday][]Range{
		time.Monday: {{9 * 3600, 12 * 3600}, {11 * 3600, 14 * 3600}, {16 * 3600, 17 * 3600}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	got := cal.OpenRanges(Date{2026, 11, 23})
	if len(got) != 2 || got[0].String() != "09:00-14:00" || got[1].String() != "16:00-17:00" {
		t.Errorf("merged ranges = %v; want [09:00-14:00 16:00-17:00]", got)
	}
	if cal.Location != time.UTC {
		t.Errorf("nil location = %v; want UTC", cal.Location)
	}
	bad := []Spec{
		{Weekly: map[time.Weekday][]Range{time.Monday: {{10, 10}}}},
		{Weekly: map[time.Weekday][]Range{time.Monday: {{-1, 10}}}},
		{Weekly: map[time.Weekday][]Range{time.Monday: {{0, 25 * 3600}}}},
		{Exceptions: []Exception{{Date: Date{2026, 1, 1}, Ranges: []Range{{22 * 3600, 26 * 3600}}}}},
		{Exceptions: []Exception{{Date: Date{2026, 1, 1}, Closed: true}, {Date: Date{2026, 1, 1}, Closed: true}}},
	}
	for i, s := range bad {
		if _, err := New(s); err == nil {
			t.Errorf("bad spec %d accepted", i)
		}
	}
}
