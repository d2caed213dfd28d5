package ivr_test

import (
	"context"
	"errors"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/events"
	"github.com/switchboard-cc/switchboard/flows"
	"github.com/switchboard-cc/switchboard/internal/clock"
	"github.com/switchboard-cc/switchboard/ivr"
	. "github.com/switchboard-cc/switchboard/ivr/ivrtest"
	"github.com/switchboard-cc/switchboard/routing"
)

// brokenPlay is a transport whose media failed: Play errors out.
type brokenPlay struct{ *Call }

func (b brokenPlay) Play(context.Context, ivr.Playback) (string, error) {
	return "", errors.New("rtp: write udp: connection refused")
}

func TestTransportErrorIsAnOutcome(t *testing.T) {
	b := NewFlow("test", "en", "100")
	menuFlow(b, "")
	cat := Catalog(b.Flow())
	clk := clock.NewVirtual(mondayMorning)
	rec := &Recorder{}
	eng, _ := ivr.New(ivr.Config{}, ivr.Deps{Catalog: func() *flows.Catalog { return cat }, Clock: clk, Events: rec})
	fake := NewCall(Config{To: "100", Clock: clk})
	out := eng.Run(context.Background(), brokenPlay{fake})
	if out.Result != ivr.Failed || out.Reason != ivr.ReasonCallError || out.Err == nil || out.LastNode != "menu" {
		t.Errorf("outcome %+v; want failed/call_error at menu with the error", out)
	}
	if by, cause := fake.Ended(); by != "system" || cause != "failure" {
		t.Errorf("ended by %q cause %q; want the engine to hang up with failure", by, cause)
	}
}

func TestShutdownEndsTheCall(t *testing.T) {
	b := NewFlow("test", "en", "100")
	menuFlow(b, "")
	cat := Catalog(b.Flow())
	clk := clock.NewVirtual(mondayMorning)
	eng, _ := ivr.New(ivr.Config{}, ivr.Deps{Catalog: func() *flows.Catalog { return cat }, Clock: clk})
	call := NewCall(Config{To: "100", Clock: clk})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan ivr.Outcome)
	go func() { done <- eng.Run(ctx, call) }()
	if err := clk.BlockUntil(ctx, 1); err != nil { // the menu prompt is playing
		t.Fatal(err)
	}
	cancel()
	out := <-done
	if out.Result != ivr.Failed || out.Reason != ivr.ReasonShutdown {
		t.Errorf("outcome %+v; want failed/shutdown", out)
	}
	if by, cause := call.Ended(); by != "system" || cause != "normal" {
		t.Errorf("ended by %q cause %q; want the engine to hang up although its context is gone", by, cause)
	}
}

func TestRecordKeepsMessageOnHangup(t *testing.T) {
	b := NewFlow("test", "en", "100")
	recordFlow(b)
	r := world{catalog: Catalog(b.Flow()), script: []Step{{Talk: 9 * time.Second, Hangup: true}}}.run(t)
	checkOutcome(t, r, ivr.CallerHangup, ivr.ReasonCallerHangup, "voicemail")
	ev, ok := r.events.Last(events.VoicemailSaved)
	if !ok || ev.Data["duration_ms"] != "9000" || ev.Data["stop"] != "hangup" {
		t.Errorf("voicemail.saved = %v; want the 9 s message kept", ev.Data)
	}
}

func TestRecordPathsAreUnique(t *testing.T) {
	b := NewFlow("test", "en", "100")
	b.Node("vm", "again", &flows.RecordSpec{Max: 5 * time.Second, Var: "msg"})
	b.Node("again", "", &flows.RecordSpec{Max: 5 * time.Second})
	// A call ID as SIP writes it, with characters a file name must not hold.
	w := world{catalog: Catalog(b.Flow()), id: "a84b4c76e66710@pc33.atlanta.com/x"}
	r := w.run(t)
	var paths []string
	for _, e := range r.events.Events() {
		if e.Type == events.VoicemailSaved {
			paths = append(paths, e.Data["path"])
		}
	}
	want := []*regexp.Regexp{
		regexp.MustCompile(`^/rec/a84b4c76e66710_pc33\.atlanta\.com_x-vm-[0-9a-f]{12}\.wav$`),
		regexp.MustCompile(`^/rec/a84b4c76e66710_pc33\.atlanta\.com_x-again-[0-9a-f]{12}\.wav$`),
	}
	if len(paths) != len(want) || !want[0].MatchString(paths[0]) || !want[1].MatchString(paths[1]) {
		t.Errorf("paths %q; want %q", paths, want)
	}
}

// Call-IDs are the caller's to choose: two that clean to the same file
// name, or one longer than a file name may be, must still give each
// recording a file of its own.
func TestRecordPathsOfHostileCallIDs(t *testing.T) {
	b := NewFlow("test", "en", "100")
	b.Node("vm", "", &flows.RecordSpec{Max: 5 * time.Second})
	seen := map[string]string{}
	for _, id := range []string{"dup/x", "dup_x", "dup_x", strings.Repeat("a", 4000)} {
		r := world{catalog: Catalog(b.Flow()), id: id}.run(t)
		ev, ok := r.events.Last(events.VoicemailSaved)
		if !ok {
			t.Fatalf("call %.20q: no voicemail.saved", id)
		}
		p := ev.Data["path"]
		if other, dup := seen[p]; dup {
			t.Errorf("calls %.20q and %.20q both record to %q", other, id, p)
		}
		seen[p] = id
		if n := len(filepath.Base(p)); n > 255 {
			t.Errorf("call %.20q: file name of %d bytes; want at most 255", id, n)
		}
	}
}

func TestQueueExits(t *testing.T) {
	cases := []struct {
		name   string
		q      Queue
		spec   func(b *Builder) *flows.QueueSpec
		last   string
		reason string
	}{
		{"overflow takes on_timeout", Queue{Exit: time.Minute, ExitReason: routing.Overflowed}, nil, "after_hours", ivr.ReasonEndOfFlow},
		{"closed while waiting takes on_closed", Queue{Exit: time.Minute, ExitReason: routing.Closed}, nil, "closed", ivr.ReasonEndOfFlow},
		{"timeout with no on_timeout ends the call", Queue{Exit: time.Minute}, func(b *Builder) *flows.QueueSpec {
			return &flows.QueueSpec{Group: "billing"}
		}, "q", ivr.ReasonQueueTimeout},
		{"closed with no on_closed ends the call", Queue{Closed: true}, func(b *Builder) *flows.QueueSpec {
			return &flows.QueueSpec{Group: "billing"}
		}, "q", ivr.ReasonQueueClosed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := NewFlow("test", "en", "100")
			if tc.spec != nil {
				b.Node("q", "", tc.spec(b))
			} else {
				queueFlow(flows.Announce{})(b)
			}
			r := world{catalog: Catalog(b.Flow()), groups: map[string]Queue{"billing": tc.q}}.run(t)
			checkOutcome(t, r, ivr.Completed, tc.reason, tc.last)
		})
	}
}

// With announce.every unset the position is announced once, on entry.
func TestQueueAnnouncesOnceWithoutEvery(t *testing.T) {
	b := NewFlow("test", "en", "100")
	queueFlow(flows.Announce{Position: true})(b)
	r := world{catalog: Catalog(b.Flow()),
		groups: map[string]Queue{"billing": {Position: 12, Exit: 5 * time.Minute}}}.run(t)
	want := []string{"en/you_are_number.wav", "en/numbers/12.wav", "en/after_hours.wav"}
	if got := r.call.Played(); !slices.Equal(got, want) {
		t.Errorf("played %q; want %q", got, want)
	}
}

// The agent hangs up and the queue node has no next: the agent ended the call.
func TestAgentEndsTheCall(t *testing.T) {
	b := NewFlow("test", "en", "100")
	b.Node("q", "", &flows.QueueSpec{Group: "billing"})
	r := world{catalog: Catalog(b.Flow()),
		groups: map[string]Queue{"billing": {Offers: []ScheduledOffer{{After: time.Second, Agents: []string{"a1"}}}}},
		agents: map[string]Agent{"a1": {Talk: time.Minute}}}.run(t)
	checkOutcome(t, r, ivr.Completed, ivr.ReasonAgentHangup, "q")
	if r.out.By != ivr.ByAgent {
		t.Errorf("by %q; want agent", r.out.By)
	}
}
