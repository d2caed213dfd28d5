package sip

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// The trunk example in docs/sip.md decodes strictly, as cmd/switchboard
// reads it, and passes validation.
func TestTrunkConfigFromDocs(t *testing.T) {
	raw, err := os.ReadFile("../docs/sip.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(raw), "## Outbound trunk")
	if !ok {
		t.Fatal("docs/sip.md has no outbound trunk section")
	}
	_, block, _ := strings.Cut(rest, "```yaml\n")
	block, _, _ = strings.Cut(block, "```")
	dec := yaml.NewDecoder(bytes.NewReader([]byte(block)))
	dec.KnownFields(true)
	var doc struct{ SIP Config }
	if err := dec.Decode(&doc); err != nil {
		t.Fatal(err)
	}
	tr := doc.SIP.Trunk
	if !tr.Enabled() || tr.From != "+861096069" || tr.Attempts != 3 || tr.RetryAfter != 10*time.Minute || tr.Connecting != "en/connecting.wav" {
		t.Fatalf("decoded %+v", tr)
	}
	if _, err := doc.SIP.withDefaults(); err != nil {
		t.Fatal(err)
	}
}

func TestTrunkConfig(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  TrunkConfig
		ok   bool
	}{
		{"no {number}", TrunkConfig{URI: "sip:pbx.example.com"}, false},
		{"not a uri", TrunkConfig{URI: "{number}"}, false},
		{"from with letters", TrunkConfig{URI: "sip:{number}@pbx", From: "sales"}, false},
		{"minimal", TrunkConfig{URI: "sip:{number}@127.0.0.1:5070"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.cfg.withDefaults()
			if (err == nil) != tc.ok {
				t.Fatalf("withDefaults: %v; want ok=%v", err, tc.ok)
			}
			if tc.ok && (got.RingTimeout != DefaultTrunkRingTimeout || got.Attempts != DefaultCallbackAttempts ||
				got.RetryAfter != DefaultCallbackRetry || got.Connecting != DefaultConnectingPrompt) {
				t.Errorf("defaults not filled: %+v", got)
			}
		})
	}
}

// Only digits and a leading + reach the trunk URI: a callback number can
// never name another host or add URI parameters.
func TestTrunkTargetDialsDigitsOnly(t *testing.T) {
	tr := TrunkConfig{URI: "sip:{number}@pbx.example.com:5060"}
	for _, tc := range []struct {
		number, want string
	}{
		{"13800138000", "sip:13800138000@pbx.example.com:5060"},
		{"+861012345678", "sip:+861012345678@pbx.example.com:5060"},
		{"1@evil.example.com", ""},
		{"1;transport=tcp", ""},
		{"+", ""},
		{"", ""},
		{"12+3", ""},
	} {
		u, err := tr.target(tc.number)
		if tc.want == "" {
			if err == nil {
				t.Errorf("target(%q) = %s; want refused", tc.number, u.String())
			}
			continue
		}
		if err != nil || u.String() != tc.want {
			t.Errorf("target(%q) = %s, %v; want %s", tc.number, u.String(), err, tc.want)
		}
	}
}
