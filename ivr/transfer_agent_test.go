package ivr_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/events"
	"github.com/switchboard-cc/switchboard/flows"
	"github.com/switchboard-cc/switchboard/ivr"
	. "github.com/switchboard-cc/switchboard/ivr/ivrtest"
	"github.com/switchboard-cc/switchboard/routing"
)

// An agent's blind transfer (REFER) ends their part of the call; the engine
// carries it out: back in line in another group, or out to a number.
func TestAgentTransfer(t *testing.T) {
	offer := func(after time.Duration, agents ...string) ScheduledOffer {
		return ScheduledOffer{After: after, Agents: agents, Ring: 10 * time.Second}
	}
	toOutage := ivr.Transfer{Target: "outage", Kind: ivr.TransferQueue}
	cases := []struct {
		name        string
		world       world
		result      ivr.Result
		reason, by  string
		last        string
		log         []string
		transfers   []ivr.Transfer
		traceHas    []string
		notInTrace  []string
		playedAfter []string // everything played
		musicAgain  bool     // the caller waits in the new line with music
	}{
		{
			name: "to a group: back in line there, another agent answers, the flow goes on",
			world: world{groups: map[string]Queue{
				"billing": {Offers: []ScheduledOffer{offer(time.Second, "a1")}},
				"outage":  {Offers: []ScheduledOffer{offer(20*time.Second, "a2")}}},
				agents: map[string]Agent{
					"a1": {Talk: 30 * time.Second, Transfer: toOutage},
					"a2": {Talk: time.Minute}}},
			result: ivr.Completed, reason: ivr.ReasonEndOfFlow, by: ivr.ByAgent, last: "bye", // a2 hung up; the flow said goodbye,
			log: []string{"enqueue billing", "answered o1 a1", "finish agent",
				"enqueue outage", "answered o1 a2", "finish agent"},
			traceHas:    []string{"agent_transfer queue outage", "bridged a2"},
			playedAfter: []string{"en/goodbye.wav"},
			musicAgain:  true,
		},
		{
			name: "to a group where nobody answers: the original node's on_timeout",
			world: world{groups: map[string]Queue{
				"billing": {Offers: []ScheduledOffer{offer(time.Second, "a1")}},
				"outage":  {Exit: 2 * time.Minute}},
				agents: map[string]Agent{"a1": {Talk: 30 * time.Second, Transfer: toOutage}}},
			result: ivr.Completed, reason: ivr.ReasonEndOfFlow, by: ivr.BySystem, last: "after_hours",
			log: []string{"enqueue billing", "answered o1 a1", "finish agent",
				"enqueue outage", "exit timeout"},
			musicAgain: true,
		},
		{
			name: "to a closed group: the original node's on_closed",
			world: world{groups: map[string]Queue{
				"billing": {Offers: []ScheduledOffer{offer(time.Second, "a1")}},
				"outage":  {Closed: true}},
				agents: map[string]Agent{"a1": {Talk: 30 * time.Second, Transfer: toOutage}}},
			result: ivr.Completed, reason: ivr.ReasonEndOfFlow, by: ivr.BySystem, last: "closed",
			log: []string{"enqueue billing", "answered o1 a1", "finish agent", "closed outage"},
		},
		{
			name: "to a number: handed out of the flow",
			world: world{groups: map[string]Queue{"billing": {Offers: []ScheduledOffer{offer(time.Second, "a1")}}},
				agents: map[string]Agent{"a1": {Talk: 30 * time.Second,
					Transfer: ivr.Transfer{Target: "+861012345678", Kind: "number"}}}},
			result: ivr.Transferred, reason: ivr.ReasonTransfer, by: ivr.ByAgent, last: "billing",
			log:        []string{"enqueue billing", "answered o1 a1", "finish agent"},
			transfers:  []ivr.Transfer{{Target: "+861012345678", Kind: "number"}},
			notInTrace: []string{"hangup"},
		},
		{
			name: "to a number the transport cannot reach: the queue node's next",
			world: world{groups: map[string]Queue{"billing": {Offers: []ScheduledOffer{offer(time.Second, "a1")}}},
				agents: map[string]Agent{"a1": {Talk: 30 * time.Second,
					Transfer: ivr.Transfer{Target: "+861012345678", Kind: "number"}}},
				transfer: errors.New("refer answered 403 Forbidden")},
			result: ivr.Completed, reason: ivr.ReasonEndOfFlow, by: ivr.BySystem, last: "bye",
			log:       []string{"enqueue billing", "answered o1 a1", "finish agent"},
			transfers: []ivr.Transfer{{Target: "+861012345678", Kind: "number"}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := NewFlow("test", "en", "100")
			queueFlow(flows.Announce{})(b)
			w := tc.world
			w.catalog = Catalog(b.Flow())
			r := w.run(t)
			checkOutcome(t, r, tc.result, tc.reason, tc.last)
			if r.out.By != tc.by {
				t.Errorf("ended by %q; want %q", r.out.By, tc.by)
			}
			trace := strings.Join(r.call.TraceLines(), "\n  ")
			if got := r.router.Log(); !slices.Equal(got, tc.log) {
				t.Errorf("ACD saw %q; want %q\ntrace:\n  %s", got, tc.log, trace)
			}
			if got := r.call.Transfers(); !slices.Equal(got, tc.transfers) {
				t.Errorf("Call.Transfer got %v; want %v", got, tc.transfers)
			}
			lines := r.call.TraceLines()
			for _, want := range tc.traceHas {
				if !slices.Contains(lines, want) {
					t.Errorf("trace lacks %q:\n  %s", want, trace)
				}
			}
			for _, op := range tc.notInTrace {
				for _, l := range lines {
					if strings.HasPrefix(l, op+" ") || l == op {
						t.Errorf("trace has %q:\n  %s", l, trace)
					}
				}
			}
			if i := slices.IndexFunc(lines, func(l string) bool { return strings.HasPrefix(l, "agent_transfer queue") }); tc.musicAgain && (i < 0 ||
				!slices.ContainsFunc(lines[i:], func(l string) bool { return strings.HasPrefix(l, "hold") })) {
				t.Errorf("no music on hold after the transfer to a group:\n  %s", trace)
			}
			if tc.playedAfter != nil && !slices.Equal(r.call.Played(), tc.playedAfter) {
				t.Errorf("played %q; want %q", r.call.Played(), tc.playedAfter)
			}
		})
	}
}

// acdRouter is the adapter serve uses between routing.ACD and ivr.Router.
type acdRouter struct{ acd *routing.ACD }

func (r acdRouter) Enqueue(ctx context.Context, req routing.Request) (ivr.Ticket, error) {
	t, err := r.acd.Enqueue(ctx, req)
	if errors.Is(err, routing.ErrClosed) {
		return nil, fmt.Errorf("%w: %w", ivr.ErrQueueClosed, err)
	}
	if err != nil {
		return nil, err
	}
	return t, nil
}

func (r acdRouter) RequestCallback(ctx context.Context, req routing.Request, number string) error {
	return r.acd.RequestCallback(ctx, req, number)
}

// With the real ACD: the transferring agent wraps up from the moment of the
// transfer, the caller gets a new visit in the target group, and an agent
// of that group takes them.
func TestAgentTransferWithTheACD(t *testing.T) {
	b := NewFlow("test", "en", "100")
	queueFlow(flows.Announce{})(b)
	w := newACDWorld(t, routing.Config{
		Skills: []string{"billing", "outage"},
		Groups: map[string]routing.GroupConfig{
			"billing": {Skills: map[string]int{"billing": 1}, WrapUp: routing.Duration(30 * time.Second)},
			"outage":  {Skills: map[string]int{"outage": 1}, WrapUp: routing.Duration(30 * time.Second)},
		},
		Agents: []routing.AgentConfig{
			{ID: "a1", Endpoint: "fake:a1", Skills: map[string]int{"billing": 5}, State: "ready"},
			{ID: "a2", Endpoint: "fake:a2", Skills: map[string]int{"outage": 5}, State: "ready"},
		},
	}, b.Flow())
	call := w.call(map[string]Agent{
		"a1": {AnswerAfter: 2 * time.Second, Talk: 40 * time.Second, Transfer: ivr.Transfer{Target: "outage", Kind: ivr.TransferQueue}},
		"a2": {AnswerAfter: 3 * time.Second, Talk: time.Minute},
	})
	w.runToBye(t, call)

	var got []string
	var transferAt, wrapEnd time.Time
	for _, e := range w.rec.Events() {
		switch e.Type {
		case events.QueueEnter, events.QueueConnect:
			got = append(got, string(e.Type)+" "+e.Queue+" "+e.Agent)
		case events.AgentWrapupEnd:
			if e.Agent == "a1" {
				wrapEnd = e.Time
				if e.Data["wrap_ms"] != "30000" {
					t.Errorf("a1 wrapped up %s ms; want 30000", e.Data["wrap_ms"])
				}
			}
		}
	}
	for _, e := range call.Trace() {
		if e.Op == "agent_transfer" {
			transferAt = e.At
		}
	}
	want := []string{"queue.enter billing ", "queue.connect billing a1", "queue.enter outage ", "queue.connect outage a2"}
	if !slices.Equal(got, want) {
		t.Errorf("queue events %q; want %q", got, want)
	}
	if transferAt.IsZero() || !wrapEnd.Equal(transferAt.Add(30*time.Second)) {
		t.Errorf("a1's wrap-up ended at %v; want 30s after the transfer at %v", wrapEnd, transferAt)
	}
	if a, err := w.acd.Agent("a1"); err != nil || a.Activity != routing.Idle {
		t.Errorf("a1 after wrap-up: %+v, %v; want idle", a, err)
	}
}
