package main

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestStaffingWhatIf(t *testing.T) {
	code, out, errs := runCLI(t, "staffing", "--calls", "360", "--aht", "240s", "--interval", "30m",
		"--sl", "80/15", "--shrinkage", "0.3", "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var p map[string]any
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		t.Fatal(err)
	}
	if p["agents"] != 55.0 || p["scheduled"] != 79.0 || p["erlangs"] != 48.0 || p["asa_seconds"] != 8.18 ||
		p["occupancy"] != 0.8727 || p["service_level"].(float64) < 0.8455 || p["service_level"].(float64) > 0.8465 {
		t.Errorf("what-if plan = %s", out)
	}
	code, out, _ = runCLI(t, "staffing", "--calls", "360", "--aht", "240s", "--sl", "80/15")
	if code != 0 || !strings.Contains(out, "48.00 Erlangs") || !strings.Contains(out, "84.6%") || !strings.Contains(out, "63.7%") {
		t.Errorf("what-if table (exit %d):\n%s", code, out)
	}
}

func TestStaffingFromLog(t *testing.T) {
	dir := fixtureDataDir(t)
	code, out, errs := runCLI(t, "staffing", "--data", dir, "--tz", "UTC", "--sl", "80/20", "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var plans []map[string]any
	if err := json.Unmarshal([]byte(out), &plans); err != nil {
		t.Fatal(err)
	}
	// Offered calls by queue-entry interval: 08:30 C1; 09:00 C2 C4 C5; 09:30 C6; 10:00 C7; 10:30 C10.
	want := map[string]float64{"2026-11-02T08:30:00Z": 1, "2026-11-02T09:00:00Z": 3, "2026-11-02T09:30:00Z": 1,
		"2026-11-02T10:00:00Z": 1, "2026-11-02T10:30:00Z": 1}
	if len(plans) != len(want) {
		t.Fatalf("plans = %s", out)
	}
	for _, p := range plans {
		if want[p["start"].(string)] != p["calls"] || p["agents"].(float64) < 1 || p["scheduled"] != p["agents"] {
			t.Errorf("plan %v; want calls %v", p, want[p["start"].(string)])
		}
	}
}

func TestStaffingUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"staffing", "--calls", "360"},
		{"staffing", "--aht", "240s"},
		{"staffing", "--calls", "360", "--aht", "240s", "--sl", "80"},
		{"staffing", "--calls", "360", "--aht", "240s", "--shrinkage", "1.2"},
		{"staffing", "--calls", "360", "--aht", "240s", "--format", "xml"},
		{"staffing", "--calls", "360", "--aht", "240s", "--data", "x"},
		{"staffing", "--calls", "360", "--aht", "240s", "--interval", "0s"},
	} {
		code, _, errs := runCLI(t, args...)
		if code != 2 || !strings.Contains(errs, "Try: switchboard staffing -h") {
			t.Errorf("%v: exit %d, stderr %q; want 2 with a Try: hint", args, code, errs)
		}
	}
}
