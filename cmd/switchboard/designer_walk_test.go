package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDesignersWalk is issue 15's newcomer, end to end: a new flow takes a
// card number (mask: last4) and has a menu key * written unquoted. validate
// points at the star and says to quote it; with the key quoted it passes;
// simulate runs the flow with an invalid key, then the card, and neither
// its text nor its JSON output holds the card number in clear.
func TestDesignersWalk(t *testing.T) {
	dir := t.TempDir()
	copyTree(t, "../../configs", dir)
	flow := filepath.Join(dir, "flows", "pay.yaml")
	const src = `# yaml-language-server: $schema=../../flows/schema.json
flow: pay
numbers: ["7000"]
language: en
start: menu
nodes:
  menu:
    type: menu
    prompt: main_menu
    options:
      1: card
      *: card
  card:
    type: input
    prompt: enter_account
    var: card
    digits: {min: 16, max: 16, terminator: ""}
    mask: last4
    next: readback
  readback: {type: play, prompt: ["digits:{{card}}"], next: bye}
  bye: {type: hangup}
`
	write := func(s string) {
		if err := os.WriteFile(flow, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(src)
	code, out, errOut := runMain(t, "validate", dir)
	if want := flow + `:12:7: yaml: a bare * starts an alias (*name) in YAML; quote it: "*"` + "\n"; code != 1 || out != want {
		t.Fatalf("validate: exit %d\n%s%s\nwant exit 1 and\n%s", code, out, errOut, want)
	}
	if want := "1 issue in 1 file (3 flow files checked, config " + filepath.Join(dir, "switchboard.yaml") + ")\n"; errOut != want {
		t.Errorf("summary %q; want %q", errOut, want)
	}

	write(strings.Replace(src, "      *: card", `      "*": card`, 1))
	if code, out, errOut := runMain(t, "validate", dir); code != 0 {
		t.Fatalf("validate after quoting: exit %d\n%s%s", code, out, errOut)
	}

	const card = "4111111111111111"
	for _, asJSON := range []bool{false, true} {
		args := []string{"simulate", "--config", filepath.Join(dir, "switchboard.yaml"), "--flow", "pay",
			"--at", "2026-11-23T10:00:00+08:00", "--digits", "9,1," + card}
		if asJSON {
			args = append(args, "--json")
		}
		code, out, errOut := runMain(t, args...)
		if code != 0 {
			t.Fatalf("simulate: exit %d\n%s%s", code, out, errOut)
		}
		for _, want := range []string{"xxxxxxxxxxxx1111", "masked", "last4", "invalid"} {
			if !strings.Contains(out, want) {
				t.Errorf("simulate (json %v) output lacks %q:\n%s", asJSON, want, out)
			}
		}
		if strings.Contains(out, "1111111") || strings.Contains(out, "digits/4.wav") || strings.Contains(out, "press     4") || strings.Contains(out, `"detail":"4"`) {
			t.Errorf("simulate (json %v) output holds the card number:\n%s", asJSON, out)
		}
	}
}
