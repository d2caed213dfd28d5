package httpapi

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/switchboard-cc/switchboard/internal/clock"
)

// fakeCenter is a hand-written stand-in for the ACD and the metrics: a small
// but real agent state machine, queued calls, and today's figures. Every
// change signals its Notifier, as the event log does in the real server.
type fakeCenter struct {
	mu     sync.Mutex
	clock  clock.Clock
	notify *Notifier
	agents map[string]*Agent
	groups []Queue // today's figures; Waiting, LongestWait and Agents are derived
	calls  map[string]*Call
	log    []string // every action, "login 1001 by=sup reason="
	fail   error    // when set, every read and action returns it
}

var (
	_ Agents = (*fakeCenter)(nil)
	_ Queues = (*fakeCenter)(nil)
	_ Calls  = (*fakeCenter)(nil)
)

func newFakeCenter(c clock.Clock) *fakeCenter {
	now := c.Now()
	f := &fakeCenter{
		clock:  c,
		notify: NewNotifier(),
		agents: map[string]*Agent{},
		calls:  map[string]*Call{},
		groups: []Queue{
			{Name: "billing", Offered: 40, Answered: 35, Abandoned: 3, ServiceLevel: 0.85, HasServiceLevel: true,
				SLTarget: SLTarget{Percent: 80, Threshold: 20 * time.Second}, AHT: 245 * time.Second},
			{Name: "outage", SLTarget: SLTarget{Percent: 90, Threshold: 15 * time.Second}},
		},
	}
	for _, a := range []Agent{
		{ID: "1001", Name: "Li Wei", State: StateLoggedOut, Skills: map[string]int{"billing": 7}, Groups: []string{"billing"}},
		{ID: "1002", Name: "Ana Souza", State: StateReady, Skills: map[string]int{"billing": 5, "outage": 3}, Groups: []string{"billing", "outage"}},
		{ID: "1003", Name: "Sam Okafor", State: StateOnCall, CallID: "c-talk", Skills: map[string]int{"outage": 8}, Groups: []string{"outage"}},
	} {
		a.Since = now.Add(-5 * time.Minute)
		f.agents[a.ID] = &a
	}
	f.calls["c-talk"] = &Call{ID: "c-talk", From: "+8613800000003", To: "96069", Flow: "heating-hotline", Node: "outage",
		NodeType: "queue", State: "talking", Queue: "outage", Agent: "1003", Started: now.Add(-3 * time.Minute), Since: now.Add(-time.Minute)}
	return f
}

func (f *fakeCenter) changed() { f.notify.Notify() }

func (f *fakeCenter) ListAgents(ctx context.Context) ([]Agent, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return nil, f.fail
	}
	out := make([]Agent, 0, len(f.agents))
	for _, a := range f.agents {
		out = append(out, *a)
	}
	return out, nil
}

// act runs one transition under the lock and signals the change.
func (f *fakeCenter) act(name, id, by, reason string, apply func(a *Agent) error) error {
	f.mu.Lock()
	if f.fail != nil {
		f.mu.Unlock()
		return f.fail
	}
	a, ok := f.agents[id]
	if !ok {
		f.mu.Unlock()
		return fmt.Errorf("agent %s: %w", id, ErrNotFound)
	}
	err := apply(a)
	if err == nil {
		f.log = append(f.log, fmt.Sprintf("%s %s by=%s reason=%s", name, id, by, reason))
	}
	f.mu.Unlock()
	if err == nil {
		f.changed()
	}
	return err
}

func (f *fakeCenter) set(a *Agent, state, reason string) {
	a.State, a.Reason, a.Since = state, reason, f.clock.Now()
}

func (f *fakeCenter) Login(ctx context.Context, id, by string) error {
	return f.act("login", id, by, "", func(a *Agent) error {
		if a.State != StateLoggedOut {
			return fmt.Errorf("agent %s is already logged in (%s): %w", id, a.State, ErrConflict)
		}
		f.set(a, StateNotReady, "login")
		return nil
	})
}

func (f *fakeCenter) Logout(ctx context.Context, id, by, reason string) error {
	return f.act("logout", id, by, reason, func(a *Agent) error {
		switch a.State {
		case StateLoggedOut:
			return fmt.Errorf("agent %s is not logged in: %w", id, ErrConflict)
		case StateOnCall, StateReserved, StateWrapUp:
			a.LogoutPending = true
		default:
			f.set(a, StateLoggedOut, reason)
		}
		return nil
	})
}

func (f *fakeCenter) Ready(ctx context.Context, id, by string) error {
	return f.act("ready", id, by, "", func(a *Agent) error {
		if a.State != StateNotReady && a.State != StateReady {
			return fmt.Errorf("agent %s cannot go ready while %s: %w", id, a.State, ErrConflict)
		}
		f.set(a, StateReady, "")
		return nil
	})
}

func (f *fakeCenter) NotReady(ctx context.Context, id, by, reason string) error {
	return f.act("not-ready", id, by, reason, func(a *Agent) error {
		if reason == "bogus" {
			return fmt.Errorf("unknown reason code %q: %w", reason, ErrInvalid)
		}
		if a.State == StateLoggedOut {
			return fmt.Errorf("agent %s is not logged in: %w", id, ErrConflict)
		}
		f.set(a, StateNotReady, reason)
		return nil
	})
}

// enqueue puts a simulated caller into a skill group's line.
func (f *fakeCenter) enqueue(id, from, group string) {
	f.mu.Lock()
	now := f.clock.Now()
	f.calls[id] = &Call{ID: id, From: from, To: "96069", Flow: "heating-hotline", Node: group, NodeType: "queue",
		State: "queued", Queue: group, Started: now.Add(-40 * time.Second), Since: now}
	for i := range f.groups {
		if f.groups[i].Name == group {
			f.groups[i].Offered++
		}
	}
	f.mu.Unlock()
	f.changed()
}

func (f *fakeCenter) QueueStats(ctx context.Context) ([]Queue, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return nil, f.fail
	}
	now := f.clock.Now()
	out := make([]Queue, 0, len(f.groups))
	for _, g := range f.groups {
		g.Agents = map[string]int{}
		for _, a := range f.agents {
			if a.State != StateLoggedOut && contains(a.Groups, g.Name) {
				g.Agents[a.State]++
			}
		}
		for _, c := range f.calls {
			if c.Queue == g.Name && c.State == "queued" {
				g.Waiting++
				if w := now.Sub(c.Since); w > g.LongestWait {
					g.LongestWait = w
				}
			}
		}
		out = append(out, g)
	}
	return out, nil
}

func (f *fakeCenter) LiveCalls(ctx context.Context) ([]Call, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return nil, f.fail
	}
	out := make([]Call, 0, len(f.calls))
	for _, c := range f.calls {
		out = append(out, *c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

func (f *fakeCenter) actions() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.log...)
}

// fakeReports records the queries it was asked and answers with values
// shaped like the CLI's JSON.
type fakeReports struct {
	mu        sync.Mutex
	reports   []ReportQuery
	staffing  []StaffingQuery
	intervals [][2]time.Time
	fail      error
}

var _ Reports = (*fakeReports)(nil)

func (r *fakeReports) Report(ctx context.Context, q ReportQuery) (any, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reports = append(r.reports, q)
	if r.fail != nil {
		return nil, r.fail
	}
	return map[string]any{
		"by": q.By, "from": q.From, "to": q.To,
		"rows": []map[string]any{{"key": "billing", "offered": 40, "answered": 35, "aht_seconds": 245.0}},
	}, nil
}

func (r *fakeReports) Staffing(ctx context.Context, q StaffingQuery) (any, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.staffing = append(r.staffing, q)
	if r.fail != nil {
		return nil, r.fail
	}
	return map[string]any{"agents": 55, "scheduled": 79, "service_level": 0.846, "asa_seconds": 8.2, "occupancy": 0.873}, nil
}

func (r *fakeReports) Intervals(ctx context.Context, from, to time.Time) ([]Interval, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.intervals = append(r.intervals, [2]time.Time{from, to})
	if r.fail != nil {
		return nil, r.fail
	}
	var out []Interval
	// Calls from 08:00 to 11:30, a busier peak at 10:00.
	for slot := 16; slot < 23; slot++ {
		offered := 6 + 3*(slot%5)
		if slot == 20 {
			offered = 24
		}
		answered := offered - 2
		abandoned := 1
		sl := float64(answered-1) / float64(answered+abandoned)
		out = append(out, Interval{
			Start: from.Add(time.Duration(slot) * 30 * time.Minute), Offered: offered, Answered: answered, Abandoned: abandoned,
			ServiceLevel: sl, HasServiceLevel: true, AHT: time.Duration(180+10*slot) * time.Second,
		})
	}
	return out, nil
}

// fakeFlows answers Reload with a list, or with validation issues.
type fakeFlows struct {
	mu     sync.Mutex
	issues []string
	calls  int
}

var _ FlowReloader = (*fakeFlows)(nil)

func (f *fakeFlows) Reload(ctx context.Context) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if len(f.issues) > 0 {
		return nil, fmt.Errorf("reload flows: %w", &ValidationError{Issues: f.issues})
	}
	return []string{"heating-hotline", "after-hours"}, nil
}
