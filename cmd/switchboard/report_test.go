package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/switchboard-cc/switchboard/events/jsonl"
	"github.com/switchboard-cc/switchboard/events/sqlite"
)

const fixtureDay = "../../metrics/testdata/fixture-day.jsonl"

func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	m := &Main{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb}
	code = m.Run(context.Background(), args)
	return code, out.String(), errb.String()
}

// fixtureDataDir imports the fixture day into DIR/events.db, as serve
// would have written it.
func fixtureDataDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	st, err := sqlite.OpenDir(context.Background(), dir, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(fixtureDay)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := jsonl.Import(context.Background(), f, st, 0); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestReportFixtureFromStoreAndJSONL(t *testing.T) {
	dir := fixtureDataDir(t)
	for name, src := range map[string][]string{
		"sqlite": {"--data", dir},
		"jsonl":  {"--jsonl", fixtureDay},
	} {
		args := append([]string{"report", "--tz", "UTC", "--format", "json"}, src...)
		code, out, errs := runCLI(t, args...)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", name, code, errs)
		}
		var rep struct {
			SLFormula string `json:"sl_formula"`
			Total     map[string]any
			Rows      []map[string]any
			Calls     map[string]int
		}
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatalf("%s: %v\n%s", name, err, out)
		}
		tot := rep.Total
		if rep.SLFormula != "late-abandons" || tot["service_level"] != 0.6 || tot["aht_seconds"] != 225.0 ||
			tot["asa_seconds"] != 16.25 || tot["offered"] != 7.0 || len(rep.Rows) != 2 || rep.Calls["total"] != 10 {
			t.Errorf("%s: report = %s", name, out)
		}
	}
}

func TestReportTableAndFormats(t *testing.T) {
	dir := fixtureDataDir(t)
	code, out, errs := runCLI(t, "report", "--data", dir, "--tz", "UTC", "--by", "agent", "--sl-formula", "asterisk-sl2")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{"Service level (asterisk-sl2)", "a1", "a2", "total", "Containment (self-service / ended calls): 20.0%", "2026-11-02: 10 inbound, 4 answered, 4 missed"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	code, out, _ = runCLI(t, "report", "--data", dir, "--tz", "UTC", "--by", "node", "--format", "csv")
	if code != 0 || !strings.Contains(out, "heating-hotline,main_menu,menu,10,1,1:6 2:2 3:1") {
		t.Errorf("node csv (exit %d):\n%s", code, out)
	}
	code, out, _ = runCLI(t, "report", "--data", dir, "--format", "queue_log", "--from", "2026-11-02T09:00:00Z", "--to", "2026-11-02T09:30:00Z")
	if code != 0 || !strings.Contains(out, "|C2|billing|a1|CONNECT|30|C2.a1|13") || strings.Contains(out, "|C1|") {
		t.Errorf("queue_log for 09:00–09:30 (exit %d):\n%s", code, out)
	}
	code, out, _ = runCLI(t, "report", "--data", dir, "--format", "jsonl", "--to", "2026-11-02T08:00:01Z")
	if code != 0 || strings.Count(out, "\n") != 3 {
		t.Errorf("jsonl export up to 08:00:01 (exit %d):\n%s", code, out)
	}
}

func TestReportUsageErrors(t *testing.T) {
	dir := fixtureDataDir(t)
	for _, args := range [][]string{
		{"report", "--data", dir, "--by", "weekday"},
		{"report", "--data", dir, "--sl-formula", "best"},
		{"report", "--data", dir, "--format", "xml"},
		{"report", "--data", dir, "--from", "last tuesday"},
		{"report", "--data", dir, "--from", "2026-11-03", "--to", "2026-11-02"},
		{"report", "--data", dir, "--interval", "7m"},
		{"report", "--nope"},
	} {
		code, _, errs := runCLI(t, args...)
		if code != 2 || !strings.Contains(errs, "Try: switchboard report -h") {
			t.Errorf("%v: exit %d, stderr %q; want 2 with a Try: hint", args, code, errs)
		}
	}
	if code, _, errs := runCLI(t, "report", "--data", filepath.Join(dir, "missing")); code != 1 || !strings.Contains(errs, "no event store") {
		t.Errorf("missing store: exit %d, %q; want 1 naming the store", code, errs)
	}
}
