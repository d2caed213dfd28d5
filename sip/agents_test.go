package sip

import (
	"bytes"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/switchboard-cc/switchboard/sip/b2bua"
	"github.com/switchboard-cc/switchboard/sip/registrar"
)

// The sip section of docs/agents-phones.md decodes strictly, as
// cmd/switchboard reads it.
func TestAgentPhonesConfigFromDocs(t *testing.T) {
	src := `
listen: 127.0.0.1:5060
registrar:
  realm: switchboard
  digest_algorithms: [SHA-256, MD5]
  min_expires: 60s
  max_expires: 2h
  default_expires: 1h
  max_contacts: 5
  qualify_interval: 30s
  qualify_timeout: 2s
  lapse_grace: 10m
  max_failures: 10
  failure_window: 1m
  lockout: 10m
transfers:
  groups:
    billing: billing
    "7001": billing
  numbers:
    - "+861012345678"
    - "+8610555*"
`
	dec := yaml.NewDecoder(bytes.NewReader([]byte(src)))
	dec.KnownFields(true)
	var cfg Config
	if err := dec.Decode(&cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.Registrar.Algorithms[0] != registrar.AlgorithmSHA256 || cfg.Registrar.LapseGrace != 10*time.Minute ||
		cfg.Transfers.Groups["7001"] != "billing" || len(cfg.Transfers.Numbers) != 2 {
		t.Fatalf("decoded %+v", cfg)
	}
	if err := cfg.Transfers.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestNewAgentPhones(t *testing.T) {
	cfg := Config{Listen: "127.0.0.1:0", Transfers: b2bua.TransferRules{Numbers: []string{"+8610555*"}}}
	a, err := NewAgentPhones(cfg, map[string]string{"1001": "pw", "1002": ""}, AgentHooks{}, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !a.Registrar.Known("1001") || a.Registrar.Known("1002") {
		t.Fatal("roster passwords: 1001 may register, 1002 (no password) may not")
	}
	cfg.Transfers.Numbers = []string{"*"}
	if _, err := NewAgentPhones(cfg, nil, AgentHooks{}, nil, nil, nil); err == nil {
		t.Fatal("a transfer rule allowing every number was accepted")
	}
	cfg.Transfers.Numbers = nil
	cfg.MediaAddr = "not-an-ip"
	if _, err := NewAgentPhones(cfg, nil, AgentHooks{}, nil, nil, nil); err == nil {
		t.Fatal("bad media_addr accepted")
	}
}
