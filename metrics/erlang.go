package metrics

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// ErlangB is the blocking probability of n servers offered a Erlangs, by
// the recursion B(0) = 1, B(k) = a·B(k−1) / (k + a·B(k−1)): every term is
// in [0, 1], so float64 stays exact to ~1e-15 where factorials overflow
// past n = 170.
func ErlangB(n int, a float64) float64 {
	b := 1.0
	for k := 1; k <= n; k++ {
		b = a * b / (float64(k) + a*b)
	}
	return b
}

// ErlangC is the probability that a call waits, with n agents and a
// Erlangs of traffic: C = n·B / (n − a·(1 − B)). With n <= a the queue
// grows without bound and every call waits: C = 1.
func ErlangC(n int, a float64) float64 {
	if a <= 0 {
		return 0
	}
	if float64(n) <= a {
		return 1
	}
	b := ErlangB(n, a)
	return float64(n) * b / (float64(n) - a*(1-b))
}

// Plan is the Erlang C answer for one interval.
type Plan struct {
	Start        *time.Time `json:"start,omitempty"` // interval start, for plans from the log
	Queue        string     `json:"queue,omitempty"`
	Calls        float64    `json:"calls"`
	AHT          Seconds    `json:"aht_seconds"`
	Interval     Seconds    `json:"interval_seconds"`
	Erlangs      float64    `json:"erlangs"`
	Agents       int        `json:"agents"`    // fewest agents meeting the target
	Scheduled    int        `json:"scheduled"` // agents / (1 − shrinkage), rounded up
	ServiceLevel float64    `json:"service_level"`
	ASA          float64    `json:"asa_seconds"`
	Occupancy    float64    `json:"occupancy"`
	ProbWait     float64    `json:"probability_of_waiting"`
	Target       SLTarget   `json:"target"`
	Shrinkage    float64    `json:"shrinkage"`
}

// SLTarget is "Percent of calls answered within Threshold", e.g. 80/20.
type SLTarget struct {
	Percent   float64 `json:"percent"`
	Threshold Seconds `json:"threshold_seconds"`
}

// ParseSLTarget reads "80/20" (percent / seconds); "80/20s" works too.
func ParseSLTarget(s string) (SLTarget, error) {
	p, t, ok := strings.Cut(s, "/")
	if !ok {
		return SLTarget{}, fmt.Errorf("service-level target %q: want PERCENT/SECONDS like 80/20", s)
	}
	pct, err := strconv.ParseFloat(p, 64)
	if err != nil || pct <= 0 || pct >= 100 {
		return SLTarget{}, fmt.Errorf("service-level target %q: percent must be between 0 and 100", s)
	}
	var d time.Duration
	if secs, err := strconv.ParseFloat(t, 64); err == nil {
		d = time.Duration(secs * float64(time.Second))
	} else if d, err = time.ParseDuration(t); err != nil {
		return SLTarget{}, fmt.Errorf("service-level target %q: bad threshold %q", s, t)
	}
	if d < 0 {
		return SLTarget{}, fmt.Errorf("service-level target %q: negative threshold", s)
	}
	return SLTarget{Percent: pct, Threshold: Seconds(d)}, nil
}

func (t SLTarget) String() string {
	return fmt.Sprintf("%g/%g", t.Percent, time.Duration(t.Threshold).Seconds())
}

// Staffing inputs.
type StaffingInput struct {
	Calls     float64       // arrivals in the interval
	AHT       time.Duration // average handle time
	Interval  time.Duration
	Target    SLTarget
	Shrinkage float64 // share of paid time not on the phones, 0 ≤ s < 1
}

// maxAgents bounds the search: far beyond any single queue.
const maxAgents = 100_000

// Evaluate computes service level, ASA, occupancy and P(wait) for n agents.
func Evaluate(n int, in StaffingInput) (sl, asa, occ, pw float64) {
	a := in.Calls * in.AHT.Seconds() / in.Interval.Seconds()
	if a == 0 {
		return 1, 0, 0, 0
	}
	if float64(n) <= a {
		return 0, math.Inf(1), 1, 1
	}
	c := ErlangC(n, a)
	headroom := float64(n) - a
	sl = 1 - c*math.Exp(-headroom*time.Duration(in.Target.Threshold).Seconds()/in.AHT.Seconds())
	asa = c * in.AHT.Seconds() / headroom
	return sl, asa, a / float64(n), c
}

// Staff finds the fewest agents whose service level meets the target.
func Staff(in StaffingInput) (Plan, error) {
	switch {
	case in.Interval <= 0:
		return Plan{}, errors.New("staffing: interval must be positive")
	case in.Calls < 0:
		return Plan{}, errors.New("staffing: calls must not be negative")
	case in.Calls > 0 && in.AHT <= 0:
		return Plan{}, errors.New("staffing: AHT must be positive")
	case in.Shrinkage < 0 || in.Shrinkage >= 1:
		return Plan{}, errors.New("staffing: shrinkage must be in [0, 1)")
	case in.Target.Percent <= 0 || in.Target.Percent >= 100:
		return Plan{}, errors.New("staffing: target percent must be between 0 and 100")
	}
	p := Plan{Calls: in.Calls, AHT: Seconds(in.AHT), Interval: Seconds(in.Interval),
		Target: in.Target, Shrinkage: in.Shrinkage}
	if in.Calls == 0 {
		p.ServiceLevel = 1
		return p, nil
	}
	a := in.Calls * in.AHT.Seconds() / in.Interval.Seconds()
	p.Erlangs = round(a, 4)
	goal := in.Target.Percent / 100
	for n := max(1, int(math.Floor(a))+1); n <= maxAgents; n++ {
		sl, asa, occ, pw := Evaluate(n, in)
		if sl >= goal {
			p.Agents, p.ServiceLevel, p.ASA, p.Occupancy, p.ProbWait = n, round(sl, 4), round(asa, 2), round(occ, 4), round(pw, 4)
			p.Scheduled = int(math.Ceil(float64(n)/(1-in.Shrinkage) - 1e-9))
			return p, nil
		}
	}
	return Plan{}, fmt.Errorf("staffing: %.0f Erlangs need more than %d agents", a, maxAgents)
}
