package hours

import (
	"errors"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

func decodeCalendar(t *testing.T, src string) (*Calendar, error) {
	t.Helper()
	var cfg Config
	if err := yaml.Unmarshal([]byte(src), &cfg); err != nil {
		t.Fatal(err)
	}
	return cfg.Build("office")
}

// TestDateRangesAndMakeUpDays: a holiday over a range of dates, and
// make-up working days on a weekend (with given hours, or a weekday's).
func TestDateRangesAndMakeUpDays(t *testing.T) {
	cal, err := decodeCalendar(t, `
timezone: Asia/Shanghai
weekly: {mon-fri: ["08:00-12:00", "13:00-18:00"]}
holidays:
  - {date: 2027-02-06..2027-02-12, name: Spring Festival}
exceptions:
  - {date: 2027-02-20, open: ["09:00-17:00"], name: Make-up Saturday}
  - {date: 2027-02-21, open: mon, name: Make-up Sunday}
  - {date: 2027-03-01..2027-03-02, closed: true, name: Move}
`)
	if err != nil {
		t.Fatal(err)
	}
	at := func(s string) time.Time {
		tm, err := time.ParseInLocation("2006-01-02 15:04", s, cal.Location)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	for _, tc := range []struct {
		when    string
		want    Status
		comment string
	}{
		{"2027-02-05 10:00", Status{Open: true}, "Friday before the holidays"},
		{"2027-02-08 10:00", Status{Holiday: "Spring Festival"}, "a Monday inside the range"},
		{"2027-02-12 17:59", Status{Holiday: "Spring Festival"}, "the range's last day is included"},
		{"2027-02-15 10:00", Status{Open: true}, "the Monday after"},
		{"2027-02-20 08:30", Status{Exception: "Make-up Saturday"}, "before its hours"},
		{"2027-02-20 09:00", Status{Open: true, Exception: "Make-up Saturday"}, "a Saturday made a working day"},
		{"2027-02-21 12:30", Status{Exception: "Make-up Sunday"}, "Monday's lunch break"},
		{"2027-02-21 13:30", Status{Open: true, Exception: "Make-up Sunday"}, "a Sunday with Monday's hours"},
		{"2027-03-02 10:00", Status{Exception: "Move"}, "a closed range of exceptions"},
		{"2027-03-03 10:00", Status{Open: true}, "after it"},
	} {
		if got := cal.Status(at(tc.when)); got != tc.want {
			t.Errorf("%s (%s): %+v; want %+v", tc.when, tc.comment, got, tc.want)
		}
	}
}

func TestDateRangeErrorsWithPositions(t *testing.T) {
	_, err := decodeCalendar(t, `timezone: Asia/Shanghai
weekly: {mon-fri: ["08:00-18:00"]}
holidays:
  - {date: 2027-02-06..2027-02-12, name: Spring Festival}
  - {date: 2027-02-12..2027-02-06, name: Backwards}
  - {date: 2027-02-10, name: Overlap}
  - {date: 2027-02-06..2027-02-3x, name: Typo}
  - {date: 2027-01-01..2028-06-01, name: Too long}
exceptions:
  - {date: 2027-02-20, open: sun}
  - {date: 2027-02-21..2027-02-22, closed: true}
  - {date: 2027-02-22, open: mon}
`)
	var ce *ConfigError
	if !errors.As(err, &ce) {
		t.Fatalf("Build error = %v; want *ConfigError", err)
	}
	want := []string{
		`5:12: calendar office: bad date range "2027-02-12..2027-02-06": it ends before it starts`,
		`6:12: calendar office: holiday 2027-02-10 is listed twice (also in 2027-02-06..2027-02-12)`,
		`7:12: calendar office: bad date range "2027-02-06..2027-02-3x": bad date "2027-02-3x"`,
		`8:12: calendar office: bad date range "2027-01-01..2028-06-01": 518 days; a range covers at most 366`,
		`10:30: calendar office: exception 2027-02-20: open: sun copies the hours of Sunday, and the weekly pattern has none`,
		`12:12: calendar office: exception 2027-02-22 is listed twice (also in 2027-02-21..2027-02-22)`,
	}
	var got []string
	for _, is := range ce.Issues {
		got = append(got, is.String())
	}
	if len(got) != len(want) {
		t.Errorf("issues:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
		return
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("issue %d = %q; want prefix %q", i, got[i], want[i])
		}
	}
}
