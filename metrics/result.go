package metrics

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"
)

// Ratio is a KPI kept as numerator and denominator, so tests compare exact
// integers and an empty denominator stays visibly undefined (JSON null).
type Ratio struct {
	Num, Den float64
}

// Value is Num/Den; ok is false when Den is 0.
func (r Ratio) Value() (v float64, ok bool) {
	if r.Den == 0 {
		return 0, false
	}
	return r.Num / r.Den, true
}

// MarshalJSON writes the value rounded to 4 decimals, or null.
func (r Ratio) MarshalJSON() ([]byte, error) {
	v, ok := r.Value()
	if !ok {
		return []byte("null"), nil
	}
	return strconv.AppendFloat(nil, round(v, 4), 'f', -1, 64), nil
}

// Format renders the value for a table: percent when pct, else seconds
// with one decimal; "-" when undefined.
func (r Ratio) Format(pct bool) string {
	v, ok := r.Value()
	switch {
	case !ok:
		return "-"
	case pct:
		return fmt.Sprintf("%.1f%%", 100*v)
	default:
		return fmt.Sprintf("%.1f", v)
	}
}

func round(v float64, places int) float64 {
	p := 1.0
	for range places {
		p *= 10
	}
	if v < 0 {
		return -float64(int64(-v*p+0.5)) / p
	}
	return float64(int64(v*p+0.5)) / p
}

// Seconds is a duration that marshals as seconds (a JSON number).
type Seconds time.Duration

func (s Seconds) MarshalJSON() ([]byte, error) {
	return strconv.AppendFloat(nil, round(time.Duration(s).Seconds(), 3), 'f', -1, 64), nil
}

// Row is one line of a report: the KPIs of one queue, agent, interval,
// day or month (or the total).
type Row struct {
	Key            string `json:"key"`
	Offered        int    `json:"offered"`
	Answered       int    `json:"answered"`
	Abandoned      int    `json:"abandoned"`
	ShortAbandoned int    `json:"short_abandoned"`
	TimedOut       int    `json:"timed_out"`
	Overflowed     int    `json:"overflowed"`     // reached an overflow step; still counted by their exit
	OverflowedOut  int    `json:"overflowed_out"` // left for another queue without an exit event
	Closed         int    `json:"closed"`
	AnsweredWithin int    `json:"answered_within_t"`
	// ServiceLevel uses Report.SLFormula.
	ServiceLevel Ratio   `json:"service_level"`
	AbandonRate  Ratio   `json:"abandon_rate"` // abandoned / offered
	ASA          Ratio   `json:"asa_seconds"`  // wait of answered calls / answered
	LongestWait  Seconds `json:"longest_wait_seconds"`
	Handled      int     `json:"handled"`
	Transferred  int     `json:"transferred"`
	AHT          Ratio   `json:"aht_seconds"` // (talk + hold + ACW) / handled
	AvgTalk      Ratio   `json:"avg_talk_seconds"`
	AvgHold      Ratio   `json:"avg_hold_seconds"`
	AvgACW       Ratio   `json:"avg_acw_seconds"`
	Rung         int     `json:"rung"`
	NoAnswer     int     `json:"no_answer"`
	// Agent time; occupancy = busy / (logged in − not ready).
	LoggedIn   Seconds            `json:"login_seconds"`
	NotReady   Seconds            `json:"not_ready_seconds"`
	NotReadyBy map[string]Seconds `json:"not_ready_by_reason,omitempty"`
	Busy       Seconds            `json:"busy_seconds"`
	Occupancy  Ratio              `json:"occupancy"`
}

// Dimension is what a report groups by.
type Dimension string

const (
	ByQueue    Dimension = "queue"
	ByAgent    Dimension = "agent"
	ByInterval Dimension = "interval"
	ByDay      Dimension = "day"
	ByMonth    Dimension = "month"
)

// ParseDimension accepts queue, agent, interval, day and month.
func ParseDimension(s string) (Dimension, error) {
	switch d := Dimension(s); d {
	case ByQueue, ByAgent, ByInterval, ByDay, ByMonth:
		return d, nil
	}
	return "", fmt.Errorf("unknown grouping %q (want queue, agent, interval, day or month)", s)
}

// NodeStats is the IVR funnel at one node.
type NodeStats struct {
	Flow     string         `json:"flow,omitempty"`
	Node     string         `json:"node"`
	Type     string         `json:"type,omitempty"`
	Visits   int            `json:"visits"`
	DropOffs int            `json:"drop_offs"`          // caller hung up here, no agent, no self-service
	Choices  map[string]int `json:"choices,omitempty"`  // menu: valid keys pressed
	Invalid  int            `json:"invalid,omitempty"`  // menu: keys that are no option
	NoInput  int            `json:"no_input,omitempty"` // menu: timeouts without a key
	Results  map[string]int `json:"results,omitempty"`  // hours: open, closed, holiday
}

// CallOutcomes classify every ended call exactly once (first match wins):
// reached an agent; transferred out of the IVR; self-service (a
// self-service step completed, or the flow itself ended the call);
// abandoned in a queue; dropped in the IVR.
type CallOutcomes struct {
	Total        int `json:"total"`
	Agent        int `json:"agent"`
	SelfService  int `json:"self_service"`
	Transferred  int `json:"transferred"`
	Abandoned    int `json:"abandoned"`
	DroppedInIVR int `json:"dropped_in_ivr"`
	InProgress   int `json:"in_progress"` // started, not ended in the range; not in Total
}

// RepeatCallers counts calls whose number had called before, within 24 h
// or 7 d (a proxy for first-call resolution). Only calls inside the report
// range are seen, so the first day of a range under-counts.
type RepeatCallers struct {
	Calls     int   `json:"calls"` // calls with a caller number
	Within24h int   `json:"repeat_24h"`
	Within7d  int   `json:"repeat_7d"`
	Rate24h   Ratio `json:"repeat_24h_rate"`
	Rate7d    Ratio `json:"repeat_7d_rate"`
}

// DayTraffic is inbound, answered (reached an agent) and missed (queued,
// never answered, no callback asked) calls by the day the call started,
// and the callbacks dialled (each attempt) and connected that day.
// Dialled calls are never inbound.
type DayTraffic struct {
	Day                string `json:"day"`
	Inbound            int    `json:"inbound"`
	Answered           int    `json:"answered"`
	Missed             int    `json:"missed"`
	CallbacksDialled   int    `json:"callbacks_dialled"`
	CallbacksConnected int    `json:"callbacks_connected"`
}

// Result is everything one pass computed.
type Result struct {
	Options     Options
	Events      int
	First, Last time.Time
	Calls       CallOutcomes // inbound calls only
	Containment Ratio        // self-service / ended calls
	Callbacks   CallbackStats
	Repeat      RepeatCallers
	Nodes       []NodeStats  // sorted by flow, node
	Days        []DayTraffic // sorted by day
	buckets     map[bucketKey]*bucket
}

func newResult(c *Computer) *Result {
	r := &Result{
		Options: c.opt, Events: c.count, First: c.first, Last: c.last,
		Calls: c.outcome, Repeat: c.repeat, Callbacks: c.callbacks, buckets: c.buckets,
	}
	r.Containment = Ratio{float64(c.outcome.SelfService), float64(c.outcome.Total)}
	r.Repeat.Rate24h = Ratio{float64(c.repeat.Within24h), float64(c.repeat.Calls)}
	r.Repeat.Rate7d = Ratio{float64(c.repeat.Within7d), float64(c.repeat.Calls)}
	for _, k := range slices.SortedFunc(maps.Keys(c.nodes), func(a, b nodeKey) int {
		if a.flow != b.flow {
			return cmpStr(a.flow, b.flow)
		}
		return cmpStr(a.node, b.node)
	}) {
		r.Nodes = append(r.Nodes, *c.nodes[k])
	}
	for _, k := range slices.Sorted(maps.Keys(c.days)) {
		r.Days = append(r.Days, *c.days[k])
	}
	return r
}

func cmpStr(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Rows groups the buckets by d, sorted by key. By queue, agent presence
// (which belongs to no queue) is left out; by agent, waiting callers who
// never reached an agent are.
func (r *Result) Rows(d Dimension) []Row {
	sums := make(map[string]*bucket)
	loc := r.Options.Location
	for k, b := range r.buckets {
		var key string
		switch d {
		case ByQueue:
			key = k.Queue
		case ByAgent:
			key = k.Agent
		case ByInterval:
			key = time.Unix(k.Start, 0).In(loc).Format(time.RFC3339)
		case ByDay:
			key = time.Unix(k.Start, 0).In(loc).Format(time.DateOnly)
		case ByMonth:
			key = time.Unix(k.Start, 0).In(loc).Format("2006-01")
		}
		if key == "" {
			continue
		}
		s := sums[key]
		if s == nil {
			s = &bucket{}
			sums[key] = s
		}
		s.add(b)
	}
	rows := make([]Row, 0, len(sums))
	for _, k := range slices.Sorted(maps.Keys(sums)) {
		rows = append(rows, r.row(k, sums[k]))
	}
	return rows
}

// Total is the whole range in one row.
func (r *Result) Total() Row {
	var s bucket
	for _, b := range r.buckets {
		s.add(b)
	}
	return r.row("total", &s)
}

// QueueTotals returns the total row of each queue, keyed by queue name:
// what a wallboard shows for "today".
func (r *Result) QueueTotals() map[string]Row {
	out := make(map[string]Row)
	for _, row := range r.Rows(ByQueue) {
		out[row.Key] = row
	}
	return out
}

func (s *bucket) add(b *bucket) {
	s.Offered += b.Offered
	s.Answered += b.Answered
	s.Abandoned += b.Abandoned
	s.ShortAbandoned += b.ShortAbandoned
	s.TimedOut += b.TimedOut
	s.Overflowed += b.Overflowed
	s.OverflowedOut += b.OverflowedOut
	s.Closed += b.Closed
	s.AnsweredWithin += b.AnsweredWithin
	s.AbandonedWithin += b.AbandonedWithin
	s.RemovedWithin += b.RemovedWithin
	s.WaitAnswered += b.WaitAnswered
	s.LongestWait = max(s.LongestWait, b.LongestWait)
	s.Handled += b.Handled
	s.Transferred += b.Transferred
	s.Talk += b.Talk
	s.Hold += b.Hold
	s.ACW += b.ACW
	s.Rung += b.Rung
	s.NoAnswer += b.NoAnswer
	s.LoggedIn += b.LoggedIn
	s.NotReady += b.NotReady
	s.Busy += b.Busy
	for reason, d := range b.NotReadyBy {
		if s.NotReadyBy == nil {
			s.NotReadyBy = make(map[string]time.Duration)
		}
		s.NotReadyBy[reason] += d
	}
}

// ServiceLevel applies formula f to the counters.
func (s *bucket) serviceLevel(f SLFormula) Ratio {
	switch f {
	case SLAnswered:
		return Ratio{float64(s.AnsweredWithin), float64(s.Answered)}
	case SLAsterisk:
		return Ratio{float64(s.AnsweredWithin + s.AbandonedWithin), float64(s.Answered + s.Abandoned)}
	case SLConnect:
		return Ratio{float64(s.RemovedWithin), float64(s.Offered)}
	default:
		return Ratio{float64(s.AnsweredWithin), float64(s.Answered + s.Abandoned - s.AbandonedWithin)}
	}
}

func (r *Result) row(key string, s *bucket) Row {
	handled := float64(s.Handled)
	row := Row{
		Key: key, Offered: s.Offered, Answered: s.Answered, Abandoned: s.Abandoned,
		ShortAbandoned: s.ShortAbandoned, TimedOut: s.TimedOut, Overflowed: s.Overflowed, OverflowedOut: s.OverflowedOut,
		Closed: s.Closed, AnsweredWithin: s.AnsweredWithin,
		ServiceLevel: s.serviceLevel(r.Options.SLFormula),
		AbandonRate:  Ratio{float64(s.Abandoned), float64(s.Offered)},
		ASA:          Ratio{s.WaitAnswered.Seconds(), float64(s.Answered)},
		LongestWait:  Seconds(s.LongestWait),
		Handled:      s.Handled, Transferred: s.Transferred,
		AHT:     Ratio{(s.Talk + s.Hold + s.ACW).Seconds(), handled},
		AvgTalk: Ratio{s.Talk.Seconds(), handled},
		AvgHold: Ratio{s.Hold.Seconds(), handled},
		AvgACW:  Ratio{s.ACW.Seconds(), handled},
		Rung:    s.Rung, NoAnswer: s.NoAnswer,
		LoggedIn: Seconds(s.LoggedIn), NotReady: Seconds(s.NotReady), Busy: Seconds(s.Busy),
		Occupancy: Ratio{s.Busy.Seconds(), (s.LoggedIn - s.NotReady).Seconds()},
	}
	if len(s.NotReadyBy) > 0 {
		row.NotReadyBy = make(map[string]Seconds, len(s.NotReadyBy))
		for reason, d := range s.NotReadyBy {
			row.NotReadyBy[reason] = Seconds(d)
		}
	}
	return row
}

// Report is the JSON document `switchboard report --format json` prints
// and the HTTP API serves: the grouping's rows, the total, and the call,
// IVR, repeat-caller and daily sections, with the settings that shaped it.
type Report struct {
	From         *time.Time    `json:"from,omitempty"`
	To           *time.Time    `json:"to,omitempty"`
	By           Dimension     `json:"by"`
	SLFormula    SLFormula     `json:"sl_formula"`
	SLDefinition string        `json:"sl_definition"`
	SLThreshold  Seconds       `json:"sl_threshold_seconds"`
	ShortAbandon Seconds       `json:"short_abandon_seconds"`
	Interval     Seconds       `json:"interval_seconds"`
	Events       int           `json:"events"`
	Rows         []Row         `json:"rows"`
	Total        Row           `json:"total"`
	Calls        CallOutcomes  `json:"calls"`
	Containment  Ratio         `json:"containment"`
	Nodes        []NodeStats   `json:"nodes"`
	Repeat       RepeatCallers `json:"repeat_callers"`
	Days         []DayTraffic  `json:"days"`
	Callbacks    CallbackStats `json:"callbacks"`
}

// Report assembles the document for grouping d.
func (r *Result) Report(d Dimension) Report {
	rep := Report{
		By: d, SLFormula: r.Options.SLFormula, SLDefinition: r.Options.SLFormula.Describe(),
		SLThreshold: Seconds(r.Options.SLThreshold), ShortAbandon: Seconds(r.Options.ShortAbandon),
		Interval: Seconds(r.Options.Interval), Events: r.Events,
		Rows: r.Rows(d), Total: r.Total(), Calls: r.Calls, Containment: r.Containment,
		Nodes: r.Nodes, Repeat: r.Repeat, Days: r.Days, Callbacks: r.Callbacks,
	}
	if !r.Options.From.IsZero() {
		t := r.Options.From
		rep.From = &t
	}
	if !r.Options.To.IsZero() {
		t := r.Options.To
		rep.To = &t
	}
	if rep.Rows == nil {
		rep.Rows = []Row{}
	}
	return rep
}

var _ json.Marshaler = Ratio{}
