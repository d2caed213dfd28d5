package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A lookup to the cloud metadata address never goes live: validate (and so
// serve's reload) refuses it unless switchboard.yaml allows link-local.
func TestValidateRefusesLinkLocalLookup(t *testing.T) {
	dir := t.TempDir()
	copyTree(t, "../../configs", dir)
	file := filepath.Join(dir, "flows", "heating-hotline.yaml")
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	src := strings.Replace(string(data), "http://127.0.0.1:9000/outages?", "http://169.254.169.254/latest/meta-data?", 1)
	if src == string(data) {
		t.Fatal("the example flow's lookup URL moved; update the test")
	}
	if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runMain(t, "validate", dir)
	if code != 1 || !strings.Contains(out, "heating-hotline.yaml:") || !strings.Contains(out, "link-local and cloud metadata addresses are refused") {
		t.Fatalf("validate: exit %d; want 1 naming the refused address\n%s%s", code, out, errOut)
	}

	cfgFile := filepath.Join(dir, "switchboard.yaml")
	cfg, err := os.ReadFile(cfgFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfgFile, append(cfg, []byte("\nlookup:\n  allow_link_local: true\n")...), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := runMain(t, "validate", dir); code != 0 {
		t.Fatalf("validate with allow_link_local: exit %d; want 0\n%s%s", code, out, errOut)
	}
}
