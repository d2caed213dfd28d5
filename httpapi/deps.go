package httpapi

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// This file holds the interfaces httpapi consumes and the plain values they
// return. cmd/switchboard adapts routing.ACD, metrics and flows to them. Keep
// them small: each one is a single concern of the page or the API.

// Agents is the ACD's agent roster and presence state machine.
//
// The action methods return an error wrapping ErrNotFound for an unknown
// agent, ErrConflict for a transition the state machine refuses (ready while
// logged out, login while logged in), and ErrInvalid for a value the ACD
// rejects (an unknown not-ready reason code). Any other error is a 500.
//
// by names who asked: the agent's own ID for self-service actions, or a
// supervisor's name for forced ones; the ACD records it in the agent.state
// event.
type Agents interface {
	ListAgents(ctx context.Context) ([]Agent, error)
	Login(ctx context.Context, id, by string) error
	// Logout during a call takes effect after wrap-up; the agent then shows
	// LogoutPending until it does.
	Logout(ctx context.Context, id, by, reason string) error
	Ready(ctx context.Context, id, by string) error
	NotReady(ctx context.Context, id, by, reason string) error
}

// Queues is the live view of the skill groups, merged with today's figures.
type Queues interface {
	QueueStats(ctx context.Context) ([]Queue, error)
}

// Calls lists the calls in progress and where each one is.
type Calls interface {
	LiveCalls(ctx context.Context) ([]Call, error)
}

// Reports gives the same data as `switchboard report` and `switchboard
// staffing`. Report and Staffing return values that encode to JSON as the
// CLI's --format json output does; the API passes them through unchanged.
type Reports interface {
	Report(ctx context.Context, q ReportQuery) (any, error)
	Staffing(ctx context.Context, q StaffingQuery) (any, error)
	// Intervals are the half-hour figures between from and to (the wallboard
	// charts ask for today, in the server's time zone).
	Intervals(ctx context.Context, from, to time.Time) ([]Interval, error)
}

// FlowReloader reloads the flow files as a transaction: on success it
// returns the names of the flows now active; on failure the old flows keep
// running and the error should wrap a *ValidationError listing every issue.
type FlowReloader interface {
	Reload(ctx context.Context) (flows []string, err error)
}

// Updates tells the wallboard stream that something changed (an agent's
// state, a call entering or leaving a queue). Subscribe returns a channel
// that receives a value after one or more changes — sends must not block, so
// a buffer of one with a non-blocking send is the expected shape — and a
// function that ends the subscription. *Notifier implements it.
type Updates interface {
	Subscribe() (changed <-chan struct{}, cancel func())
}

// Errors the dependencies wrap so the API can answer with the right status.
var (
	ErrNotFound = errors.New("not found")            // 404
	ErrConflict = errors.New("invalid state change") // 409
	ErrInvalid  = errors.New("invalid value")        // 400
)

// ValidationError is what FlowReloader returns when the new flows do not
// validate; the API answers 422 with the issues listed.
type ValidationError struct {
	Issues []string // "file:line:col: message", one per issue
}

func (e *ValidationError) Error() string {
	return fmt.Sprintf("flows do not validate: %d issue(s): %s", len(e.Issues), strings.Join(e.Issues, "; "))
}

// Agent states as the API and the wallboard show them: the presence a person
// sets and the activity the router sets, folded into one value (the ACD
// derives both from one state machine).
const (
	StateLoggedOut = "logged_out"
	StateNotReady  = "not_ready"
	StateReady     = "ready"
	StateReserved  = "reserved" // an offer is ringing the agent
	StateOnCall    = "on_call"
	StateWrapUp    = "wrap_up"
)

// Agent is one agent's current state.
type Agent struct {
	ID            string
	Name          string
	State         string // one of the State* constants
	Reason        string // the not-ready reason code, or the last logout reason
	Since         time.Time
	Skills        map[string]int
	Groups        []string // skill groups the agent serves
	CallID        string   // the call the agent is reserved for or talking to
	LogoutPending bool     // logout asked during a call; effective after wrap-up
}

// Queue is one skill group: live counts from the ACD, today's figures from
// the metrics.
type Queue struct {
	Name        string
	Waiting     int            // calls waiting now (callbacks on virtual hold included)
	LongestWait time.Duration  // of the calls waiting now
	Agents      map[string]int // logged-in agents serving the group, by state
	// Today, since local midnight.
	Offered         int
	Answered        int
	Abandoned       int
	ServiceLevel    float64 // 0..1; meaningful only when HasServiceLevel
	HasServiceLevel bool    // false before the first call that counts
	SLTarget        SLTarget
	AHT             time.Duration // 0 when no call was handled yet
}

// SLTarget is a service-level goal: Percent of calls answered within
// Threshold ("80/20").
type SLTarget struct {
	Percent   float64
	Threshold time.Duration
}

// Call is one call in progress.
type Call struct {
	ID       string
	From     string
	To       string
	Flow     string
	Node     string // the flow node the call is at
	NodeType string
	State    string // ivr, queued, ringing, talking, hold
	Queue    string
	Agent    string
	Started  time.Time
	Since    time.Time // entered the current state
}

// Interval is one half-hour of a day.
type Interval struct {
	Start           time.Time
	Offered         int
	Answered        int
	Abandoned       int
	ServiceLevel    float64
	HasServiceLevel bool
	AHT             time.Duration
}

// ReportQuery selects a report: calls from From (inclusive) to To
// (exclusive), grouped By queue, agent, interval or node.
type ReportQuery struct {
	From, To time.Time
	By       string
}

// StaffingQuery is either from the log (From/To set) or a what-if plan
// (Calls and AHT set, no log needed), as `switchboard staffing` takes it.
type StaffingQuery struct {
	From, To  time.Time
	Calls     int           // what-if: calls per interval
	AHT       time.Duration // what-if: average handle time
	Interval  time.Duration // what-if: interval length (30m default)
	Target    SLTarget
	Shrinkage float64 // 0..<1
}

// WhatIf reports whether q is a plan without a log.
func (q StaffingQuery) WhatIf() bool { return q.Calls > 0 }
