package routing

import (
	"errors"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/events"
	"github.com/switchboard-cc/switchboard/hours"
	"github.com/switchboard-cc/switchboard/internal/clock"
)

// officeHarness is a harness whose "office" calendar is a real one:
// Monday to Friday 08:00-18:00 in t0's zone (t0 is Monday 10:00).
func officeHarness(t *testing.T, cfg Config) *harness {
	t.Helper()
	cal, err := hours.New(hours.Spec{Name: "office", Location: t0.Location(), Weekly: map[time.Weekday][]hours.Range{
		time.Monday: {{Start: 8 * 3600, End: 18 * 3600}}, time.Tuesday: {{Start: 8 * 3600, End: 18 * 3600}},
		time.Wednesday: {{Start: 8 * 3600, End: 18 * 3600}}, time.Thursday: {{Start: 8 * 3600, End: 18 * 3600}},
		time.Friday: {{Start: 8 * 3600, End: 18 * 3600}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, clk: clock.NewVirtual(t0), rec: &recorder{}, ctx: t.Context()}
	h.acd, err = New(cfg, Options{Clock: h.clk, Events: h.rec, Calendars: map[string]Calendar{"office": cal}})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func (h *harness) callback(id string, outsideHours bool) *Ticket {
	h.t.Helper()
	h.must(h.acd.RequestCallback(h.ctx, Request{CallID: id, Group: "billing", OutsideHours: outsideHours}, "+8613800000000"))
	h.acd.lock()
	defer h.acd.unlock()
	return h.acd.tickets[id]
}

// TestCallbackWaitsForOpening: a callback booked after hours is not
// offered to an agent who stays late; it is offered the moment the group's
// calendar opens. A callback in line when the calendar closes is held
// too. OutsideHours lets one be made at once.
func TestCallbackWaitsForOpening(t *testing.T) {
	h := officeHarness(t, Config{
		Groups: map[string]GroupConfig{"billing": {Calendar: "office"}},
		Agents: []AgentConfig{ag("late", nil, "not_ready")},
	})
	early := h.callback("early", false)     // 10:00, open, nobody ready: in line
	h.advance(8*time.Hour + 30*time.Minute) // Monday 18:30: closed
	booked := h.callback("booked", false)
	if _, err := h.acd.Enqueue(h.ctx, Request{CallID: "caller", Group: "billing"}); !errors.Is(err, ErrClosed) {
		t.Fatalf("a caller after hours: %v; want ErrClosed", err)
	}
	h.must(h.acd.Ready(h.ctx, "late", "late")) // an agent staying late
	h.noOffer(early)
	h.noOffer(booked)
	if g, _ := h.acd.Group("billing"); g.Waiting != 2 || g.Callbacks != 2 {
		t.Errorf("billing waiting %d (callbacks %d); want both callbacks still waiting", g.Waiting, g.Callbacks)
	}
	h.advance(13*time.Hour + 29*time.Minute) // Tuesday 07:59
	h.noOffer(early)
	h.advance(time.Minute) // 08:00: open
	o := h.offer(early)    // the older place first
	if want := t0.Add(22 * time.Hour).UTC(); !h.rec.of(events.AgentOffer)[0].Time.Equal(want) {
		t.Errorf("first offer at %v; want the opening, %v", h.rec.of(events.AgentOffer)[0].Time, want)
	}
	early.Answered(o, "late")
	early.Finish("agent")
	if o := h.offer(booked); agentIDs(o)[0] != "late" {
		t.Errorf("booked offered to %v; want late", agentIDs(o))
	}
}

func TestCallbackOutsideHours(t *testing.T) {
	h := officeHarness(t, Config{
		Groups: map[string]GroupConfig{"billing": {Calendar: "office"}},
		Agents: []AgentConfig{ag("late", nil, "ready")},
	})
	h.advance(9 * time.Hour) // Monday 19:00
	tk := h.callback("cb", true)
	if o := h.offer(tk); agentIDs(o)[0] != "late" {
		t.Errorf("offer to %v; want late at once (outside_hours)", agentIDs(o))
	}
}
