package routing

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

const exampleYAML = `
skills: [billing, outage, repair, operator]
not_ready_reasons: [coaching]
groups:
  billing:
    skills: {billing: 1}
    strategy: longest_idle
    ring_timeout: 20s
    wrap_up: 10s
    max_wait: 180s
    service_level: {percent: 80, within: 20s}
    calendar: office
    max_misses: 2
    overflow:
      - {after: 60s, skills: {billing: 0}}
      - {after: 120s, groups: [operator]}
  operator:
    skills: {operator: 1}
    strategy: ring_all
agents:
  - {id: "1001", name: Li Wei, endpoint: "sip:1001@127.0.0.1:5062", password: secret, skills: {billing: 7}, state: ready}
  - {id: "1002", name: Zhang Min, endpoint: "sip:1002@127.0.0.1:5062", skills: {billing: 3, operator: 5}, state: not_ready, reason: coaching}
  - {id: "1003", name: Wang Fang, endpoint: "PJSIP/1003", skills: {outage: 9}}
`

// TestConfigYAML decodes the documented example and builds an ACD from it.
func TestConfigYAML(t *testing.T) {
	var cfg Config
	dec := yaml.NewDecoder(strings.NewReader(exampleYAML))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil {
		t.Fatalf("decode: %v", err)
	}
	b := cfg.Groups["billing"]
	if b.RingTimeout.D() != 20*time.Second || b.MaxWait.D() != 180*time.Second || b.ServiceLevel.Within.D() != 20*time.Second ||
		b.Overflow[1].After.D() != 120*time.Second || b.Overflow[0].Skills["billing"] != 0 || b.Overflow[1].Groups[0] != "operator" {
		t.Errorf("billing decoded as %+v", b)
	}
	h := newHarness(t, cfg)
	want := map[string]string{"1001": "ready", "1002": "not_ready", "1003": "logged_out"}
	for id, st := range want {
		if s := h.agentState(id); s.State() != st {
			t.Errorf("agent %s starts %s; want %s", id, s.State(), st)
		}
	}
	if s := h.agentState("1002"); s.Reason != "coaching" {
		t.Errorf("1002 reason %q; want coaching", s.Reason)
	}
	tk := h.enqueue("c1", "billing", 0)
	if o := h.offer(tk); o.Agents[0].URI != "sip:1001@127.0.0.1:5062" || o.Agents[0].Name != "Li Wei" {
		t.Errorf("offer endpoint %+v", o.Agents[0])
	}
}

func TestDurationYAML(t *testing.T) {
	var v struct{ D Duration }
	if err := yaml.Unmarshal([]byte("d: 20"), &v); err == nil || !strings.Contains(err.Error(), "want a number with a unit") {
		t.Errorf("bare number: %v; want a unit error", err)
	}
	if err := yaml.Unmarshal([]byte("d: 1.5m"), &v); err != nil || v.D.D() != 90*time.Second {
		t.Errorf("1.5m = %v, %v", v.D.D(), err)
	}
}

// TestConfigValidate: every issue is reported at once, with its path.
func TestConfigValidate(t *testing.T) {
	valid := func() Config {
		return Config{
			Skills: []string{"billing", "operator"},
			Groups: map[string]GroupConfig{
				"billing":  {Skills: map[string]int{"billing": 3}},
				"operator": {Skills: map[string]int{"operator": 1}},
			},
			Agents: []AgentConfig{ag("1001", map[string]int{"billing": 5}, "ready")},
		}
	}
	cases := []struct {
		name   string
		change func(c *Config)
		want   []string
	}{
		{"valid", func(*Config) {}, nil},
		{"unknown skill", func(c *Config) { c.Agents[0].Skills = map[string]int{"biling": 5} },
			[]string{`agents[1001].skills.biling: unknown skill`}},
		{"agent level range", func(c *Config) { c.Agents[0].Skills["billing"] = 11 },
			[]string{`agents[1001].skills.billing: level 11 out of range 1..10`}},
		{"duplicate agent and missing endpoint", func(c *Config) {
			c.Agents = append(c.Agents, AgentConfig{ID: "1001"})
		}, []string{`agents[1001].endpoint: missing`, `agents[1].id: "1001" already used by agents[0]`}},
		{"bad state and reason", func(c *Config) {
			c.Agents[0].State = "busy"
			c.Agents = append(c.Agents, AgentConfig{ID: "1002", Endpoint: "sip:1002@h", State: "not_ready", Reason: "nap"})
		}, []string{`agents[1001].state: "busy" is not one of`, `agents[1002].reason: unknown not-ready reason "nap"`}},
		{"unknown strategy", func(c *Config) { g := c.Groups["billing"]; g.Strategy = "random"; c.Groups["billing"] = g },
			[]string{`groups.billing.strategy: unknown strategy "random"`}},
		{"unknown calendar", func(c *Config) { g := c.Groups["billing"]; g.Calendar = "weekend"; c.Groups["billing"] = g },
			[]string{`groups.billing.calendar: unknown calendar "weekend"`}},
		{"service level without window", func(c *Config) {
			g := c.Groups["billing"]
			g.ServiceLevel = ServiceLevel{Percent: 80}
			c.Groups["billing"] = g
		}, []string{`groups.billing.service_level.within: missing`}},
		{"overflow steps", func(c *Config) {
			g := c.Groups["billing"]
			g.Overflow = []OverflowStep{
				{After: Duration(60 * time.Second), Skills: map[string]int{"billing": 5}},
				{After: Duration(30 * time.Second), Groups: []string{"billing", "sales"}},
				{After: Duration(90 * time.Second)},
				{After: Duration(120 * time.Second), Skills: map[string]int{"operator": 1}},
			}
			c.Groups["billing"] = g
		}, []string{
			`groups.billing.overflow[0].skills.billing: level 5 is above the current 3`,
			`groups.billing.overflow[1].after: 30s must be after the previous step (1m0s)`,
			`groups.billing.overflow[1].groups[0]: a group cannot overflow to itself`,
			`groups.billing.overflow[1].groups[1]: unknown group "sales"`,
			`groups.billing.overflow[2]: a step needs skills to lower or groups to add`,
			`groups.billing.overflow[3].skills.operator: not required at this point`,
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := valid()
			tc.change(&cfg)
			_, err := New(cfg, Options{Calendars: map[string]Calendar{"office": &fakeCalendar{}}})
			if tc.want == nil {
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				return
			}
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("New: %v; want a *ConfigError", err)
			}
			if len(ce.Issues) != len(tc.want) {
				t.Errorf("%d issues; want %d:\n%v", len(ce.Issues), len(tc.want), err)
			}
			for _, w := range tc.want {
				found := false
				for _, is := range ce.Issues {
					found = found || strings.Contains(is, w)
				}
				if !found {
					t.Errorf("no issue containing %q in:\n%v", w, err)
				}
			}
		})
	}
}

// TestShippedConfig builds an ACD from the roster and groups in
// configs/switchboard.yaml, the file `switchboard serve` runs on.
func TestShippedConfig(t *testing.T) {
	raw, err := os.ReadFile("../configs/switchboard.yaml")
	if err != nil {
		t.Skipf("no shipped config: %v", err)
	}
	var file struct {
		Config    `yaml:",inline"`
		Calendars map[string]yaml.Node `yaml:"calendars"`
		Rest      map[string]yaml.Node `yaml:",inline"`
	}
	if err := yaml.Unmarshal(raw, &file); err != nil {
		t.Fatalf("decode: %v", err)
	}
	cals := map[string]Calendar{}
	for name := range file.Calendars {
		cals[name] = &fakeCalendar{open: true}
	}
	acd, err := New(file.Config, Options{Calendars: cals})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	s, err := acd.Agent("1001")
	if err != nil || s.Skills["billing"] == 0 {
		t.Errorf("agent 1001 = %+v, %v; want the billing skill", s, err)
	}
}

// TestDocsExample keeps the configuration example in docs/routing.md
// working: its first YAML block must decode strictly and build an ACD.
func TestDocsExample(t *testing.T) {
	raw, err := os.ReadFile("../docs/routing.md")
	if err != nil {
		t.Skipf("no docs: %v", err)
	}
	doc := string(raw)
	start := strings.Index(doc, "```yaml\n")
	if start < 0 {
		t.Fatal("no yaml block in docs/routing.md")
	}
	block := doc[start+len("```yaml\n"):]
	block = block[:strings.Index(block, "```")]
	var cfg Config
	dec := yaml.NewDecoder(strings.NewReader(block))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil {
		t.Fatalf("decode the docs example: %v\n%s", err, block)
	}
	h := newHarness(t, cfg)
	if s := h.agentState("1003"); s.State() != "ready" {
		t.Errorf("1003 starts %s; want ready as the example says", s.State())
	}
	tk := h.enqueue("c1", "billing", 0)
	if got := agentIDs(h.offer(tk)); len(got) != 1 || got[0] != "1003" {
		t.Errorf("billing call offered to %v; want 1003", got)
	}
}
