package metrics

import (
	"errors"
	"fmt"
	"time"
)

// Defaults, named for their reason.
const (
	// DefaultShortAbandon: callers who hang up within 5 s of queueing
	// mostly misdialled or heard what they needed in the greeting; counting
	// them would punish the queue for calls no agent could have taken.
	DefaultShortAbandon = 5 * time.Second
	// DefaultSLThreshold is the T in "80 % within 20 s", the most common
	// contact-centre target.
	DefaultSLThreshold = 20 * time.Second
	// DefaultInterval is the half-hour workforce planning works in.
	DefaultInterval = 30 * time.Minute
)

// SLFormula selects how service level is computed; vendors disagree, so
// every report names the formula it used. W = waited no longer than T.
type SLFormula string

const (
	// SLLateAbandons (default, DESIGN §7): answered within T /
	// (answered + abandoned after T). Early abandons neither help nor hurt.
	SLLateAbandons SLFormula = "late-abandons"
	// SLAnswered: answered within T / answered. Ignores abandons entirely.
	SLAnswered SLFormula = "answered"
	// SLAsterisk is Asterisk's ServicelevelPerf2: (answered within T +
	// abandoned within T) / (answered + abandoned).
	SLAsterisk SLFormula = "asterisk-sl2"
	// SLConnect is Amazon Connect's "service level X": contacts removed from
	// the queue (any exit) within T / contacts queued.
	SLConnect SLFormula = "connect"
)

// SLFormulas lists the formulas in the order the CLI documents them.
var SLFormulas = []SLFormula{SLLateAbandons, SLAnswered, SLAsterisk, SLConnect}

// Describe says the formula in words, for report headers.
func (f SLFormula) Describe() string {
	switch f {
	case SLLateAbandons:
		return "answered within T / (answered + abandoned after T)"
	case SLAnswered:
		return "answered within T / answered"
	case SLAsterisk:
		return "(answered within T + abandoned within T) / (answered + abandoned) [Asterisk SL2]"
	case SLConnect:
		return "left the queue within T / queued [Amazon Connect]"
	}
	return "unknown"
}

// ParseSLFormula accepts the names above.
func ParseSLFormula(s string) (SLFormula, error) {
	for _, f := range SLFormulas {
		if string(f) == s {
			return f, nil
		}
	}
	return "", fmt.Errorf("unknown service-level formula %q (want late-abandons, answered, asterisk-sl2 or connect)", s)
}

// ErrOptions wraps every problem with Options (a usage error in the CLI).
var ErrOptions = errors.New("invalid report options")

// Options configure a computation; zero fields take the defaults.
type Options struct {
	ShortAbandon time.Duration // < 0 disables the exclusion
	// SLThreshold is T for visits whose queue.enter names no threshold of
	// its group (sl_within_ms: logs from before it, groups without a
	// service_level); each other visit counts against its own group's T.
	// ForceSLThreshold applies SLThreshold to every visit (a what-if).
	SLThreshold      time.Duration
	ForceSLThreshold bool
	SLFormula        SLFormula
	Interval         time.Duration // must divide 24 h
	Location         *time.Location
	// From and To bound the report; open agent spans are closed at To (or
	// at the last event when To is zero).
	From, To time.Time
}

func (o Options) withDefaults() (Options, error) {
	if o.ShortAbandon == 0 {
		o.ShortAbandon = DefaultShortAbandon
	} else if o.ShortAbandon < 0 {
		o.ShortAbandon = 0
	}
	if o.SLThreshold <= 0 {
		o.SLThreshold = DefaultSLThreshold
	}
	if o.SLFormula == "" {
		o.SLFormula = SLLateAbandons
	}
	if _, err := ParseSLFormula(string(o.SLFormula)); err != nil {
		return o, fmt.Errorf("%w: %w", ErrOptions, err)
	}
	if o.Interval <= 0 {
		o.Interval = DefaultInterval
	}
	if (24*time.Hour)%o.Interval != 0 || o.Interval < time.Minute {
		return o, fmt.Errorf("%w: interval %v must be at least 1m and divide 24h", ErrOptions, o.Interval)
	}
	if o.Location == nil {
		o.Location = time.UTC
	}
	return o, nil
}
