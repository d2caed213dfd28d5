package httpapi

import (
	"math"
	"sort"
	"time"
)

// The JSON shapes of the API, as openapi.json documents them. Durations are
// seconds (numbers), times RFC 3339, ratios 0..1 or null when there is
// nothing to measure yet.

type agentView struct {
	ID            string         `json:"id"`
	Name          string         `json:"name"`
	State         string         `json:"state"`
	Reason        string         `json:"reason,omitempty"`
	Since         time.Time      `json:"since"`
	TimeInState   float64        `json:"time_in_state_seconds"`
	Skills        map[string]int `json:"skills"`
	Groups        []string       `json:"groups"`
	CallID        string         `json:"call_id,omitempty"`
	LogoutPending bool           `json:"logout_pending"`
}

type slTargetView struct {
	Percent          float64 `json:"percent"`
	ThresholdSeconds float64 `json:"threshold_seconds"`
}

type queueView struct {
	Name         string         `json:"name"`
	Waiting      int            `json:"waiting"`
	LongestWait  float64        `json:"longest_wait_seconds"`
	AgentsReady  int            `json:"agents_ready"`
	Agents       map[string]int `json:"agents"`
	Offered      int            `json:"offered_today"`
	Answered     int            `json:"answered_today"`
	Abandoned    int            `json:"abandoned_today"`
	ServiceLevel *float64       `json:"service_level_today"`
	SLTarget     slTargetView   `json:"service_level_target"`
	AHT          *float64       `json:"aht_seconds_today"`
}

type callView struct {
	ID          string    `json:"id"`
	From        string    `json:"from"`
	To          string    `json:"to"`
	Flow        string    `json:"flow"`
	Node        string    `json:"node"`
	NodeType    string    `json:"node_type,omitempty"`
	State       string    `json:"state"`
	Queue       string    `json:"queue,omitempty"`
	Agent       string    `json:"agent,omitempty"`
	Started     time.Time `json:"started"`
	Since       time.Time `json:"since"`
	Duration    float64   `json:"duration_seconds"`
	TimeInState float64   `json:"time_in_state_seconds"`
}

type intervalView struct {
	Start        time.Time `json:"start"`
	Offered      int       `json:"offered"`
	Answered     int       `json:"answered"`
	Abandoned    int       `json:"abandoned"`
	ServiceLevel *float64  `json:"service_level"`
	AHT          *float64  `json:"aht_seconds"`
}

// stamp is a time as the API shows it: UTC, to the millisecond.
func stamp(t time.Time) time.Time { return t.UTC().Truncate(time.Millisecond) }

// seconds rounds to milliseconds: more digits only make the JSON noisy.
func seconds(d time.Duration) float64 {
	if d < 0 {
		d = 0
	}
	return math.Round(d.Seconds()*1000) / 1000
}

func optSeconds(d time.Duration, ok bool) *float64 {
	if !ok {
		return nil
	}
	v := seconds(d)
	return &v
}

func optRatio(v float64, ok bool) *float64 {
	if !ok || math.IsNaN(v) {
		return nil
	}
	v = math.Round(v*10000) / 10000
	return &v
}

func agentViews(as []Agent, now time.Time) []agentView {
	out := make([]agentView, 0, len(as))
	for _, a := range as {
		skills := a.Skills
		if skills == nil {
			skills = map[string]int{}
		}
		groups := a.Groups
		if groups == nil {
			groups = []string{}
		}
		out = append(out, agentView{
			ID: a.ID, Name: a.Name, State: a.State, Reason: a.Reason,
			Since: stamp(a.Since), TimeInState: seconds(now.Sub(a.Since)),
			Skills: skills, Groups: groups, CallID: a.CallID, LogoutPending: a.LogoutPending,
		})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

func queueViews(qs []Queue) []queueView {
	out := make([]queueView, 0, len(qs))
	for _, q := range qs {
		agents := q.Agents
		if agents == nil {
			agents = map[string]int{}
		}
		out = append(out, queueView{
			Name: q.Name, Waiting: q.Waiting, LongestWait: seconds(q.LongestWait),
			AgentsReady: agents[StateReady], Agents: agents,
			Offered: q.Offered, Answered: q.Answered, Abandoned: q.Abandoned,
			ServiceLevel: optRatio(q.ServiceLevel, q.HasServiceLevel),
			SLTarget:     slTargetView{Percent: q.SLTarget.Percent, ThresholdSeconds: seconds(q.SLTarget.Threshold)},
			AHT:          optSeconds(q.AHT, q.AHT > 0),
		})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func callViews(cs []Call, now time.Time) []callView {
	out := make([]callView, 0, len(cs))
	for _, c := range cs {
		out = append(out, callView{
			ID: c.ID, From: c.From, To: c.To, Flow: c.Flow, Node: c.Node, NodeType: c.NodeType,
			State: c.State, Queue: c.Queue, Agent: c.Agent,
			Started: stamp(c.Started), Since: stamp(c.Since),
			Duration: seconds(now.Sub(c.Started)), TimeInState: seconds(now.Sub(c.Since)),
		})
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Started.Equal(out[j].Started) {
			return out[i].Started.Before(out[j].Started)
		}
		return out[i].ID < out[j].ID
	})
	return out
}

func intervalViews(is []Interval) []intervalView {
	out := make([]intervalView, 0, len(is))
	for _, iv := range is {
		out = append(out, intervalView{
			Start: stamp(iv.Start), Offered: iv.Offered, Answered: iv.Answered, Abandoned: iv.Abandoned,
			ServiceLevel: optRatio(iv.ServiceLevel, iv.HasServiceLevel),
			AHT:          optSeconds(iv.AHT, iv.AHT > 0),
		})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Start.Before(out[j].Start) })
	return out
}
