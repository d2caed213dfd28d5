package ivr_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/flows"
	"github.com/switchboard-cc/switchboard/ivr"
	. "github.com/switchboard-cc/switchboard/ivr/ivrtest"
	"github.com/switchboard-cc/switchboard/routing"
)

func queueFlow(announce flows.Announce) func(b *Builder) {
	return func(b *Builder) {
		b.Node("billing", "bye", &flows.QueueSpec{Group: "billing", Priority: 1, MaxWait: 3 * time.Minute,
			Announce: announce, OnTimeout: b.Ref("after_hours"), OnClosed: b.Ref("closed")})
		b.Node("after_hours", "", &flows.PlaySpec{Prompts: P("after_hours")})
		b.Node("closed", "", &flows.PlaySpec{Prompts: P("closed")})
		b.Node("bye", "", &flows.PlaySpec{Prompts: P("goodbye")})
	}
}

func TestQueue(t *testing.T) {
	offer := func(after time.Duration, agents ...string) ScheduledOffer {
		return ScheduledOffer{After: after, Agents: agents, Ring: 10 * time.Second}
	}
	cases := []struct {
		name     string
		announce flows.Announce
		world    world
		result   ivr.Result
		reason   string
		last     string
		log      []string // the fake ACD's view
		played   []string
	}{
		{
			name:   "closed group takes on_closed at once",
			result: ivr.Completed, reason: ivr.ReasonEndOfFlow, last: "closed",
			log:    []string{"closed billing"},
			played: []string{"en/closed.wav"},
		},
		{
			name: "agent answers; after the conversation the flow goes on",
			world: world{groups: map[string]Queue{"billing": {Offers: []ScheduledOffer{offer(20*time.Second, "a1")}}},
				agents: map[string]Agent{"a1": {AnswerAfter: 3 * time.Second, Talk: time.Minute}}},
			result: ivr.Completed, reason: ivr.ReasonEndOfFlow, last: "bye",
			log:    []string{"enqueue billing", "answered o1 a1", "finish agent"},
			played: []string{"en/goodbye.wav"},
		},
		{
			name: "busy agent, then one who does not answer, then one who does",
			world: world{groups: map[string]Queue{"billing": {Offers: []ScheduledOffer{
				offer(5*time.Second, "a1"), offer(time.Second, "a2"), offer(time.Second, "a3")}}},
				agents: map[string]Agent{"a1": {Behavior: Busy}, "a2": {Behavior: NoAnswer}, "a3": {Talk: time.Second}}},
			result: ivr.Completed, reason: ivr.ReasonEndOfFlow, last: "bye",
			log: []string{"enqueue billing", "missed o1 a1=busy", "missed o2 a2=timeout",
				"answered o3 a3", "finish agent"},
		},
		{
			name: "ring_all: the first to answer wins",
			world: world{groups: map[string]Queue{"billing": {Offers: []ScheduledOffer{offer(time.Second, "a1", "a2", "a3")}}},
				agents: map[string]Agent{"a1": {AnswerAfter: 5 * time.Second}, "a2": {AnswerAfter: 2 * time.Second}, "a3": {Behavior: Busy}}},
			result: ivr.Completed, reason: ivr.ReasonEndOfFlow, last: "bye",
			log: []string{"enqueue billing", "answered o1 a2", "finish agent"},
		},
		{
			name: "nobody answers before max wait: on_timeout",
			world: world{groups: map[string]Queue{"billing": {Exit: 3 * time.Minute,
				Offers: []ScheduledOffer{offer(30*time.Second, "a1")}}},
				agents: map[string]Agent{"a1": {Behavior: NoAnswer}}},
			result: ivr.Completed, reason: ivr.ReasonEndOfFlow, last: "after_hours",
			log:    []string{"enqueue billing", "missed o1 a1=timeout", "exit timeout"},
			played: []string{"en/after_hours.wav"},
		},
		{
			name: "the caller hangs up while waiting: the ticket is abandoned",
			world: world{groups: map[string]Queue{"billing": {Exit: 3 * time.Minute}},
				script: []Step{{At: AtHold, Delay: 40 * time.Second, Hangup: true}}},
			result: ivr.CallerHangup, reason: ivr.ReasonCallerHangup, last: "billing",
			log: []string{"enqueue billing", "abandon"},
		},
		{
			name: "the caller hangs up while the agent rings",
			world: world{groups: map[string]Queue{"billing": {Offers: []ScheduledOffer{offer(time.Second, "a1")}}},
				agents: map[string]Agent{"a1": {Behavior: NoAnswer}},
				script: []Step{{At: AtRing, Delay: 2 * time.Second, Hangup: true}}},
			result: ivr.CallerHangup, reason: ivr.ReasonCallerHangup, last: "billing",
			log: []string{"enqueue billing", "abandon"},
		},
		{
			name: "the caller ends the conversation",
			world: world{groups: map[string]Queue{"billing": {Offers: []ScheduledOffer{offer(time.Second, "a1")}}},
				agents: map[string]Agent{"a1": {Talk: 30 * time.Second, CallerEnds: true}}},
			result: ivr.CallerHangup, reason: ivr.ReasonCallerHangup, last: "billing",
			log: []string{"enqueue billing", "answered o1 a1", "finish caller"},
		},
		{
			name:     "position and wait announcements interrupt the music",
			announce: flows.Announce{Position: true, WaitTime: true, Every: time.Minute},
			world: world{groups: map[string]Queue{"billing": {Position: 3, EstimatedWait: 90 * time.Second,
				Offers: []ScheduledOffer{offer(150*time.Second, "a1")}}},
				agents: map[string]Agent{"a1": {Talk: time.Second}}},
			result: ivr.Completed, reason: ivr.ReasonEndOfFlow, last: "bye",
			log: []string{"enqueue billing", "answered o1 a1", "finish agent"},
			played: []string{
				"en/you_are_number.wav", "en/numbers/3.wav", "en/estimated_wait.wav", "en/numbers/2.wav", "en/minutes.wav",
				"en/you_are_number.wav", "en/numbers/3.wav", "en/estimated_wait.wav", "en/numbers/2.wav", "en/minutes.wav",
				"en/goodbye.wav"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := NewFlow("test", "en", "100")
			queueFlow(tc.announce)(b)
			w := tc.world
			w.catalog = Catalog(b.Flow())
			r := w.run(t)
			checkOutcome(t, r, tc.result, tc.reason, tc.last)
			if got := r.router.Log(); !slices.Equal(got, tc.log) {
				t.Errorf("ACD saw %q; want %q\ntrace:\n  %s", got, tc.log, strings.Join(r.call.TraceLines(), "\n  "))
			}
			if tc.played != nil && !slices.Equal(r.call.Played(), tc.played) {
				t.Errorf("played %q; want %q", r.call.Played(), tc.played)
			}
		})
	}
}

// A queue wait is caller input: a loop through a queue that keeps timing
// out is the caller's choice to wait, not a runaway flow.
func TestQueueWaitResetsLoopGuard(t *testing.T) {
	b := NewFlow("test", "en", "100")
	b.Node("q", "", &flows.QueueSpec{Group: "billing", OnTimeout: b.Ref("again")})
	b.Node("again", "", &flows.SwitchSpec{Value: T("x"), Default: b.Ref("q")})
	w := world{catalog: Catalog(b.Flow()), maxSteps: 3,
		groups: map[string]Queue{"billing": {Exit: time.Minute}},
		script: []Step{{At: AtHold, Delay: 30 * time.Second}, {At: AtHold, Delay: 30 * time.Second},
			{At: AtHold, Delay: 30 * time.Second}, {At: AtHold, Delay: 30 * time.Second, Hangup: true}}}
	r := w.run(t)
	checkOutcome(t, r, ivr.CallerHangup, ivr.ReasonCallerHangup, "q")
	if n := strings.Count(strings.Join(r.router.Log(), ","), "exit timeout"); n != 3 {
		t.Errorf("ACD log %q; want three timeouts before the hang-up", r.router.Log())
	}
}

var _ = routing.Answered
