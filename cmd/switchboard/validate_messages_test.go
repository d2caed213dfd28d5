package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestValidateSummaryAndCalendarCascade: a calendar with an impossible
// range is reported once, in switchboard.yaml, not again as "unknown
// calendar" at every hours node; the summary counts the files that have
// issues, not the files read.
func TestValidateSummaryAndCalendarCascade(t *testing.T) {
	dir := t.TempDir()
	copyTree(t, "../../configs", dir)
	cfgFile := filepath.Join(dir, "switchboard.yaml")
	data, err := os.ReadFile(cfgFile)
	if err != nil {
		t.Fatal(err)
	}
	bad := strings.Replace(string(data), `sat: ["09:00-17:00"]`, `sat: ["09:00-25:00"]`, 1)
	if bad == string(data) {
		t.Fatal("configs/switchboard.yaml no longer has the office hours this test breaks")
	}
	if err := os.WriteFile(cfgFile, []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	// The issue points at the broken range's own line, wherever it is.
	line := strings.Count(bad[:strings.Index(bad, `"09:00-25:00"`)], "\n") + 1
	code, out, errOut := runMain(t, "validate", dir)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if want := fmt.Sprintf("%s:%d:", cfgFile, line); code != 1 || len(lines) != 1 || !strings.HasPrefix(lines[0], want) || !strings.Contains(lines[0], "25:00") {
		t.Errorf("exit %d; want 1 and one issue at %s about 25:00:\n%s", code, want, out)
	}
	nflows, _ := filepath.Glob(filepath.Join(dir, "flows", "*.yaml"))
	want := "1 issue in 1 file (" + strconv.Itoa(len(nflows)) + " flow files checked, config " + cfgFile + ")\n"
	if errOut != want {
		t.Errorf("summary = %q; want %q", errOut, want)
	}

	// Two flow files with issues, the config without: "in 2 files".
	if err := os.WriteFile(cfgFile, data, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"heating-hotline.yaml", "airline-changes.yaml"} {
		f := filepath.Join(dir, "flows", name)
		src, _ := os.ReadFile(f)
		src = append(src, "  orphan: {type: hangup}\n"...)
		if err := os.WriteFile(f, src, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	code, out, errOut = runMain(t, "validate", dir)
	want = "2 issues in 2 files (" + strconv.Itoa(len(nflows)) + " flow files checked, config " + cfgFile + ")\n"
	if code != 1 || errOut != want {
		t.Errorf("exit %d, summary %q; want 1, %q\n%s", code, errOut, want, out)
	}
}
