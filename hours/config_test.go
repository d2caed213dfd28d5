package hours

import (
	"errors"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

func TestConfigErrorsWithPositions(t *testing.T) {
	src := `calendars:
  office:
    timezone: Asia/Shangai
    weekly:
      mon-fry: ["08:00-18:00"]
      sat: ["09:00-17:60"]
      tue: ["10:00-11:00"]
      mon-wed: ["10:00-11:00"]
    holidays:
      - {date: 2026-13-01, name: Nope}
      - {date: 2026-10-01}
    exceptions:
      - {date: 2026-10-11}
      - {date: 2026-10-12, closed: true, open: ["09:00-10:00"]}
      - {date: 2026-10-13, open: ["22:00-02:00"]}
    hollidays: []
`
	var doc struct {
		Calendars map[string]Config `yaml:"calendars"`
	}
	if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
		t.Fatal(err)
	}
	_, err := doc.Calendars["office"].Build("office")
	var ce *ConfigError
	if !errors.As(err, &ce) {
		t.Fatalf("Build error = %v; want *ConfigError", err)
	}
	want := []string{
		`3:15: calendar office: unknown time zone "Asia/Shangai"`,
		`5:7: calendar office: unknown day "fry"`,
		`6:13: calendar office: bad range "09:00-17:60"`,
		`8:7: calendar office: Tuesday is already given by "tue"`,
		`10:16: calendar office: bad date "2026-13-01"`,
		`11:9: calendar office: holiday 2026-10-01 needs a name`,
		`13:9: calendar office: exception 2026-10-11 needs closed: true or open: [ranges]`,
		`14:9: calendar office: exception 2026-10-12 says both closed and open`,
		`15:35: calendar office: range "22:00-02:00" crosses midnight`,
		`16:5: calendar office: unknown calendar field "hollidays" (did you mean "holidays"?)`,
	}
	if len(ce.Issues) != len(want) {
		t.Errorf("got %d issues; want %d:\n%v", len(ce.Issues), len(want), err)
	}
	for i, w := range want {
		if i >= len(ce.Issues) {
			break
		}
		if got := ce.Issues[i].String(); !strings.HasPrefix(got, w) {
			t.Errorf("issue %d = %q; want prefix %q", i, got, w)
		}
	}
}

func TestConfigGoLiteral(t *testing.T) {
	// A Config built in Go (no YAML positions) still validates and builds.
	c := Config{Timezone: "UTC", Weekly: map[string][]string{"mon-fri": {"09:00-17:00"}}}
	cal, err := c.Build("plain")
	if err != nil {
		t.Fatal(err)
	}
	if got := cal.OpenRanges(Date{2026, 11, 23}); len(got) != 1 || got[0].String() != "09:00-17:00" {
		t.Errorf("OpenRanges = %v", got)
	}
	_, err = Config{}.Build("empty")
	if err == nil || !strings.Contains(err.Error(), "timezone is required") {
		t.Errorf("empty config: err = %v; want timezone is required", err)
	}
}

func TestBuildAll(t *testing.T) {
	var cfgs map[string]Config
	src := "a: {timezone: UTC}\nb: {timezone: Nowhere/City}\n"
	if err := yaml.Unmarshal([]byte(src), &cfgs); err != nil {
		t.Fatal(err)
	}
	cals, errs := Build(cfgs)
	if _, ok := cals["a"]; !ok || len(errs) != 1 || errs[0].Calendar != "b" {
		t.Errorf("Build = %v, %v; want a built and b failing", cals, errs)
	}
}
