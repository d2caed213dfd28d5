package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/switchboard-cc/switchboard/ari"
	"github.com/switchboard-cc/switchboard/configs"
	"github.com/switchboard-cc/switchboard/flows"
	"github.com/switchboard-cc/switchboard/hours"
	"github.com/switchboard-cc/switchboard/lookup"
	"github.com/switchboard-cc/switchboard/routing"
	"github.com/switchboard-cc/switchboard/sip"
)

// Config is configs/switchboard.yaml. Each package owns its own section's
// type; this struct only composes them.
type Config struct {
	SIP  sip.Config  `yaml:"sip"`
	HTTP HTTPConfig  `yaml:"http"`
	ARI  *ari.Config `yaml:"ari"` // present: serve runs the ARI transport too
	// Data is where the event store and recordings live. A relative path is
	// relative to the working directory: it is run-time state, not config.
	Data string `yaml:"data"`
	// Flows and Prompts are folders relative to the config file.
	Flows          string                  `yaml:"flows"`
	Prompts        string                  `yaml:"prompts"`
	Calendars      map[string]hours.Config `yaml:"calendars"`
	Engine         EngineConfig            `yaml:"engine"`
	Events         EventsConfig            `yaml:"events"`
	Lookup         lookup.Config           `yaml:"lookup"`
	Cluster        *ClusterConfig          `yaml:"cluster"` // present: this node joins a cluster (cluster.go)
	routing.Config `yaml:",inline"`        // skills, not_ready_reasons, groups, agents

	source string     // the file read, or "embedded defaults"
	doc    *yaml.Node // that file's YAML, for positions (checkServices)
	fsys   fs.FS      // the config file's folder (on disk or embedded)
	dir    string     // that folder on disk; "" when embedded
}

// HTTPConfig is the API and wallboard listener.
type HTTPConfig struct {
	Listen string `yaml:"listen"`
	// Token guards every state-changing endpoint (Authorization: Bearer).
	// $SWITCHBOARD_TOKEN overrides it, so it need not sit in the file.
	Token string `yaml:"token"`
}

// EngineConfig tunes the flow engine.
type EngineConfig struct {
	// MaxSteps ends a call that makes this many node transitions without
	// caller input (the loop guard). 0: the engine's default.
	MaxSteps int `yaml:"max_steps"`
}

// EventsConfig tunes the event writer.
type EventsConfig struct {
	// ShortAbandon: abandons shorter than this are left out of the
	// abandonment rate in reports (default 5s).
	ShortAbandon time.Duration `yaml:"short_abandon"`
	// Store is where the event log lives: empty for events.db in the data
	// folder (SQLite, one node), or a postgres:// URL for the PostgreSQL
	// database every node of a cluster writes to and reports read.
	Store string `yaml:"store"`
}

const (
	defaultHTTPListen = "127.0.0.1:8080"
	defaultData       = "data"
	embeddedSource    = "embedded defaults"
)

// loadConfig reads the config file at p, or the embedded defaults when p is
// "". Unknown fields are errors, reported with their line.
func loadConfig(p string) (*Config, error) {
	var (
		raw []byte
		err error
		cfg = &Config{}
	)
	if p == "" {
		cfg.source, cfg.fsys = embeddedSource, configs.FS
		raw, err = fs.ReadFile(configs.FS, "switchboard.yaml")
	} else {
		cfg.source = p
		cfg.dir = filepath.Dir(p)
		cfg.fsys = os.DirFS(cfg.dir)
		raw, err = os.ReadFile(p)
	}
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(cfg); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: %w", cfg.source, err)
	}
	var doc yaml.Node
	if yaml.Unmarshal(raw, &doc) == nil {
		cfg.doc = &doc
	}
	if cfg.HTTP.Listen == "" {
		cfg.HTTP.Listen = defaultHTTPListen
	}
	if t := os.Getenv("SWITCHBOARD_TOKEN"); t != "" {
		cfg.HTTP.Token = t
	}
	if cfg.Data == "" {
		cfg.Data = defaultData
	}
	if cfg.Flows == "" {
		cfg.Flows = "flows"
	}
	if cfg.Prompts == "" {
		cfg.Prompts = "prompts"
	}
	if err := cfg.Config.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", cfg.source, err)
	}
	return cfg, nil
}

// findConfig returns the config file for a path named on the command line:
// the file itself, or switchboard.yaml inside a folder; "" when there is none.
func findConfig(p string) string {
	st, err := os.Stat(p)
	if err != nil {
		return ""
	}
	if !st.IsDir() {
		return p
	}
	c := filepath.Join(p, "switchboard.yaml")
	if _, err := os.Stat(c); err == nil {
		return c
	}
	return ""
}

// calendars builds every calendar of the config.
func (c *Config) calendars() (map[string]*hours.Calendar, error) {
	cals, errs := hours.Build(c.Calendars)
	if len(errs) > 0 {
		joined := make([]error, len(errs))
		for i, e := range errs {
			joined[i] = fmt.Errorf("%s: %w", c.source, e)
		}
		return nil, errors.Join(joined...)
	}
	return cals, nil
}

// promptFS is the prompt store: configs/prompts or its embedded copy.
func (c *Config) promptFS() (fs.FS, error) {
	sub, err := fs.Sub(c.fsys, path.Clean(filepath.ToSlash(c.Prompts)))
	if err != nil {
		return nil, fmt.Errorf("prompts %s: %w", c.Prompts, err)
	}
	return sub, nil
}

// flowsDir is the flow folder on disk, or "" when the flows are embedded.
func (c *Config) flowsDir() string {
	if c.dir == "" {
		return ""
	}
	return filepath.Join(c.dir, c.Flows)
}

// flowEnv is what flows are validated against: calendars, groups, skills
// and prompts of this config.
func (c *Config) flowEnv() (flows.Env, error) {
	cals, err := c.calendars()
	if err != nil {
		return flows.Env{}, err
	}
	prompts, err := c.promptFS()
	if err != nil {
		return flows.Env{}, err
	}
	groups := make([]string, 0, len(c.Groups))
	for g := range c.Groups {
		groups = append(groups, g)
	}
	sort.Strings(groups)
	skills := c.Skills
	if skills == nil {
		skills = []string{}
	}
	allowLinkLocal := c.Lookup.AllowLinkLocal
	checkURL := func(origin string) error { return lookup.CheckOrigin(origin, allowLinkLocal) }
	return flows.Env{Calendars: cals, Groups: groups, Skills: skills, Prompts: prompts, CheckURL: checkURL}, nil
}
