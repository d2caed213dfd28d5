package routing

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"
)

// Config is the ACD's part of configs/switchboard.yaml: the skill
// vocabulary, the skill groups (queues) and the agent roster.
//
//	skills: [billing, outage, repair, operator]
//	not_ready_reasons: [break, lunch, training, meeting]
//	groups:
//	  billing:
//	    skills: {billing: 1}
//	    strategy: longest_idle
//	    ring_timeout: 20s
//	    wrap_up: 10s
//	    max_wait: 180s
//	    service_level: {percent: 80, within: 20s}
//	    calendar: office
//	    max_misses: 2
//	    overflow:
//	      - {after: 60s, skills: {billing: 0}}
//	      - {after: 120s, groups: [operator]}
//	agents:
//	  - {id: "1001", name: Li Wei, endpoint: "sip:1001@127.0.0.1", skills: {billing: 7}, state: ready}
type Config struct {
	// Skills is the skill vocabulary. When it is not empty, every skill an
	// agent or group names must be in it (catches typos like "biling").
	Skills []string `yaml:"skills" json:"skills,omitempty"`
	// NotReadyReasons are the codes an agent may give for not_ready, on top
	// of the built-in ones (BuiltinNotReadyReasons).
	NotReadyReasons []string               `yaml:"not_ready_reasons" json:"not_ready_reasons,omitempty"`
	Groups          map[string]GroupConfig `yaml:"groups" json:"groups,omitempty"`
	Agents          []AgentConfig          `yaml:"agents" json:"agents,omitempty"`
}

// AgentConfig is one agent of the roster.
type AgentConfig struct {
	ID       string `yaml:"id" json:"id"`
	Name     string `yaml:"name" json:"name,omitempty"`
	Endpoint string `yaml:"endpoint" json:"endpoint"` // where to ring: "sip:1001@host", "PJSIP/1001"
	// Password is the SIP registrar's business; the ACD ignores it.
	Password string         `yaml:"password" json:"-"`
	Skills   map[string]int `yaml:"skills" json:"skills,omitempty"` // skill -> level 1..10
	// State is the presence at start: logged_out (default), ready or
	// not_ready (with Reason).
	State  string `yaml:"state" json:"state,omitempty"`
	Reason string `yaml:"reason" json:"reason,omitempty"`
}

// GroupConfig is one skill group (queue).
type GroupConfig struct {
	// Skills are the required skills with their minimum level (1..10). An
	// agent with all of them at or above the level serves the group. No
	// skills: every agent serves it.
	Skills   map[string]int `yaml:"skills" json:"skills,omitempty"`
	Strategy Strategy       `yaml:"strategy" json:"strategy,omitempty"` // default longest_idle
	// RingTimeout is how long one offer rings (default DefaultRingTimeout).
	RingTimeout Duration `yaml:"ring_timeout" json:"ring_timeout,omitempty"`
	// WrapUp is the after-call work time; the agent gets no call from any
	// group until it ends.
	WrapUp Duration `yaml:"wrap_up" json:"wrap_up,omitempty"`
	// MaxWait is how long a call may wait before it leaves with TimedOut;
	// 0: no limit (the queue node's max_wait usually sets one).
	MaxWait      Duration     `yaml:"max_wait" json:"max_wait,omitempty"`
	ServiceLevel ServiceLevel `yaml:"service_level" json:"service_level,omitempty"`
	// Calendar names a business-hours calendar; outside its hours Enqueue
	// fails with ErrClosed.
	Calendar string `yaml:"calendar" json:"calendar,omitempty"`
	// MaxMisses is how many offers in a row an agent may miss before the
	// ACD sets them not_ready(no_answer) (default DefaultMaxMisses).
	MaxMisses int `yaml:"max_misses" json:"max_misses,omitempty"`
	// Retry is how long an agent who missed an offer rests before the next
	// one (default DefaultRetry), so a busy phone is not rung in a loop.
	Retry    Duration       `yaml:"retry" json:"retry,omitempty"`
	Overflow []OverflowStep `yaml:"overflow" json:"overflow,omitempty"`
}

// ServiceLevel is the target "Percent of calls answered Within".
type ServiceLevel struct {
	Percent float64  `yaml:"percent" json:"percent"`
	Within  Duration `yaml:"within" json:"within"`
}

// OverflowStep widens who may take a call once it has waited After:
// Skills lowers the minimum level of required skills (0 drops the skill
// from the requirement), Groups lets the agents of other groups take it
// too. Steps are cumulative and never narrow the requirement.
type OverflowStep struct {
	After  Duration       `yaml:"after" json:"after"`
	Skills map[string]int `yaml:"skills" json:"skills,omitempty"`
	Groups []string       `yaml:"groups" json:"groups,omitempty"`
}

// Strategy says which of several ready agents gets a call.
type Strategy string

const (
	LongestIdle   Strategy = "longest_idle"    // the agent idle longest since their last call
	FewestCalls   Strategy = "fewest_calls"    // the agent who answered the fewest calls
	LeastTalkTime Strategy = "least_talk_time" // the agent with the least talk time
	RoundRobin    Strategy = "round_robin"     // the agent this group offered a call to least recently
	RingAll       Strategy = "ring_all"        // every ready agent rings; the first to answer wins
	SkillLevel    Strategy = "skill_level"     // the highest level in the required skills
)

// Strategies lists every strategy, in documentation order.
var Strategies = []Strategy{LongestIdle, FewestCalls, LeastTalkTime, RoundRobin, RingAll, SkillLevel}

// Defaults, each with its reason.
const (
	// DefaultRingTimeout is about five rings: long enough to pick up a desk
	// phone, short enough that a caller is not stuck on an absent agent.
	DefaultRingTimeout = 20 * time.Second
	// DefaultMaxMisses tolerates a missed call or two (a colleague at the
	// desk) before taking the agent out of rotation.
	DefaultMaxMisses = 3
	// DefaultRetry is the pause after a missed offer (Asterisk's queue
	// "retry" default), so a busy or unreachable phone is not rung again at once.
	DefaultRetry = 5 * time.Second
	// ReservationGrace is added to the ring timeout to form the reservation
	// timeout: a transport that never reports Answered or Missed loses the
	// reservation then, and the call goes back to its place.
	ReservationGrace = 5 * time.Second
)

// BuiltinNotReadyReasons are always accepted: "no_answer" is set by the ACD
// after missed offers, "login" after a login, "after_call" is a common
// manual extension of wrap-up.
var BuiltinNotReadyReasons = []string{"login", "no_answer", "break", "lunch", "training", "meeting", "after_call", "other"}

// Skill levels.
const (
	MinLevel = 1
	MaxLevel = 10
)

// Duration is a time.Duration written as "20s", "1.5m" in YAML and JSON.
type Duration time.Duration

func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(strings.TrimSpace(string(b)))
	if err != nil {
		return fmt.Errorf("duration %q: want a number with a unit, like 20s or 2m", string(b))
	}
	*d = Duration(v)
	return nil
}

func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// D returns d as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// ConfigError lists every problem found in a Config, one per line, each
// prefixed with its path (groups.billing.overflow[1].groups).
type ConfigError struct {
	Issues []string
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("routing config: %d issue(s):\n  %s", len(e.Issues), strings.Join(e.Issues, "\n  "))
}

var namePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)

// Validate checks the configuration and reports every issue at once.
// Calendars are checked by New, which knows them.
func (c Config) Validate() error {
	return c.validate(nil)
}

// validate checks c; knownCalendar, when not nil, checks calendar names.
func (c Config) validate(knownCalendar func(string) bool) error {
	v := &validator{cfg: c}
	v.vocabulary()
	for i, a := range c.Agents {
		v.agent(fmt.Sprintf("agents[%d]", i), a)
	}
	seen := map[string]int{}
	for i, a := range c.Agents {
		if j, dup := seen[a.ID]; dup && a.ID != "" {
			v.addf("agents[%d].id: %q already used by agents[%d]", i, a.ID, j)
		}
		seen[a.ID] = i
	}
	names := make([]string, 0, len(c.Groups))
	for name := range c.Groups {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		v.group(name, c.Groups[name], knownCalendar)
	}
	if len(v.issues) > 0 {
		return &ConfigError{Issues: v.issues}
	}
	return nil
}

type validator struct {
	cfg    Config
	issues []string
}

func (v *validator) addf(format string, args ...any) {
	v.issues = append(v.issues, fmt.Sprintf(format, args...))
}

func (v *validator) vocabulary() {
	seen := map[string]bool{}
	for i, s := range v.cfg.Skills {
		if !namePattern.MatchString(s) {
			v.addf("skills[%d]: %q is not a valid skill name (letters, digits, _ . -)", i, s)
		}
		if seen[s] {
			v.addf("skills[%d]: %q listed twice", i, s)
		}
		seen[s] = true
	}
	for i, r := range v.cfg.NotReadyReasons {
		if !namePattern.MatchString(r) {
			v.addf("not_ready_reasons[%d]: %q is not a valid reason code", i, r)
		}
	}
}

func (v *validator) knownSkill(s string) bool {
	return len(v.cfg.Skills) == 0 || slices.Contains(v.cfg.Skills, s)
}

func (v *validator) skills(path string, skills map[string]int, min int) {
	for _, s := range sortedKeys(skills) {
		lvl := skills[s]
		if !namePattern.MatchString(s) {
			v.addf("%s: %q is not a valid skill name", path, s)
			continue
		}
		if !v.knownSkill(s) {
			v.addf("%s.%s: unknown skill (known: %s)", path, s, strings.Join(v.cfg.Skills, ", "))
		}
		if lvl < min || lvl > MaxLevel {
			v.addf("%s.%s: level %d out of range %d..%d", path, s, lvl, min, MaxLevel)
		}
	}
}

func (v *validator) agent(path string, a AgentConfig) {
	if a.ID == "" {
		v.addf("%s.id: missing", path)
	} else if !namePattern.MatchString(a.ID) {
		v.addf("%s.id: %q is not a valid agent id (letters, digits, _ . -)", path, a.ID)
	} else {
		path = fmt.Sprintf("agents[%s]", a.ID)
	}
	if a.Endpoint == "" {
		v.addf("%s.endpoint: missing (where to ring the agent, e.g. sip:%s@127.0.0.1)", path, a.ID)
	}
	v.skills(path+".skills", a.Skills, MinLevel)
	switch a.State {
	case "", "logged_out", "ready":
		if a.Reason != "" {
			v.addf("%s.reason: only a not_ready state takes a reason", path)
		}
	case "not_ready":
		if a.Reason != "" && !validReason(v.cfg.NotReadyReasons, a.Reason) {
			v.addf("%s.reason: unknown not-ready reason %q (known: %s)", path, a.Reason, strings.Join(reasonList(v.cfg.NotReadyReasons), ", "))
		}
	default:
		v.addf("%s.state: %q is not one of logged_out, ready, not_ready", path, a.State)
	}
}

func (v *validator) group(name string, g GroupConfig, knownCalendar func(string) bool) {
	path := "groups." + name
	if !namePattern.MatchString(name) {
		v.addf("%s: %q is not a valid group name", path, name)
	}
	v.skills(path+".skills", g.Skills, MinLevel)
	if g.Strategy != "" && !slices.Contains(Strategies, g.Strategy) {
		v.addf("%s.strategy: unknown strategy %q (one of %s)", path, g.Strategy, strategyList())
	}
	for field, d := range map[string]Duration{"ring_timeout": g.RingTimeout, "wrap_up": g.WrapUp, "max_wait": g.MaxWait, "retry": g.Retry} {
		if d < 0 {
			v.addf("%s.%s: negative duration %s", path, field, d.D())
		}
	}
	if g.ServiceLevel.Percent < 0 || g.ServiceLevel.Percent > 100 {
		v.addf("%s.service_level.percent: %v out of range 0..100", path, g.ServiceLevel.Percent)
	}
	if g.ServiceLevel.Percent > 0 && g.ServiceLevel.Within <= 0 {
		v.addf("%s.service_level.within: missing (e.g. 20s for 80%% in 20 s)", path)
	}
	if g.MaxMisses < 0 {
		v.addf("%s.max_misses: %d is negative", path, g.MaxMisses)
	}
	if g.Calendar != "" && knownCalendar != nil && !knownCalendar(g.Calendar) {
		v.addf("%s.calendar: unknown calendar %q", path, g.Calendar)
	}
	var prev Duration
	current := cloneSkills(g.Skills)
	for i, st := range g.Overflow {
		sp := fmt.Sprintf("%s.overflow[%d]", path, i)
		if st.After <= prev {
			v.addf("%s.after: %s must be after the previous step (%s)", sp, st.After.D(), prev.D())
		}
		prev = st.After
		if len(st.Skills) == 0 && len(st.Groups) == 0 {
			v.addf("%s: a step needs skills to lower or groups to add", sp)
		}
		v.skills(sp+".skills", st.Skills, 0)
		for _, s := range sortedKeys(st.Skills) {
			base, ok := current[s]
			switch {
			case !ok:
				v.addf("%s.skills.%s: not required at this point, so it cannot be widened (steps only lower levels)", sp, s)
			case st.Skills[s] > base:
				v.addf("%s.skills.%s: level %d is above the current %d (steps only lower levels)", sp, s, st.Skills[s], base)
			default:
				if st.Skills[s] == 0 {
					delete(current, s)
				} else {
					current[s] = st.Skills[s]
				}
			}
		}
		seen := map[string]bool{}
		for j, other := range st.Groups {
			switch _, ok := v.cfg.Groups[other]; {
			case other == name:
				v.addf("%s.groups[%d]: a group cannot overflow to itself", sp, j)
			case !ok:
				v.addf("%s.groups[%d]: unknown group %q", sp, j, other)
			case seen[other]:
				v.addf("%s.groups[%d]: %q listed twice", sp, j, other)
			}
			seen[other] = true
		}
	}
}

func validReason(extra []string, r string) bool {
	return slices.Contains(BuiltinNotReadyReasons, r) || slices.Contains(extra, r)
}

func reasonList(extra []string) []string {
	out := slices.Clone(BuiltinNotReadyReasons)
	for _, r := range extra {
		if !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	return out
}

func strategyList() string {
	s := make([]string, len(Strategies))
	for i, st := range Strategies {
		s[i] = string(st)
	}
	return strings.Join(s, ", ")
}

func sortedKeys(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func cloneSkills(m map[string]int) map[string]int {
	out := make(map[string]int, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
