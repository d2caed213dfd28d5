package routing

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/events"
	"github.com/switchboard-cc/switchboard/hours"
	"github.com/switchboard-cc/switchboard/internal/clock"
)

// The ticket as the flow engine sees it (a copy of ivr.Ticket: routing
// must not import ivr). *Ticket has to satisfy it.
type ivrTicket interface {
	Offers() <-chan Offer
	Exited() <-chan struct{}
	Exit() ExitReason
	Status() Status
	Answered(offer Offer, agentID string)
	Missed(offer Offer, misses map[string]string)
	Abandon()
	Finish(by string)
}

var _ ivrTicket = (*Ticket)(nil)

var t0 = time.Date(2026, 11, 23, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))

// fakeCalendar is open or closed as the test says.
type fakeCalendar struct {
	mu   sync.Mutex
	open bool
}

func (c *fakeCalendar) Status(time.Time) hours.Status {
	c.mu.Lock()
	defer c.mu.Unlock()
	return hours.Status{Open: c.open}
}

func (c *fakeCalendar) set(open bool) {
	c.mu.Lock()
	c.open = open
	c.mu.Unlock()
}

// recorder is an events.Sink that keeps what it was given. check, when
// set, runs inside Emit (under the ACD's lock) for invariant tests.
type recorder struct {
	mu     sync.Mutex
	events []events.Event
	check  func(events.Event)
}

func (r *recorder) Emit(_ context.Context, e events.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
	if r.check != nil {
		r.check(e)
	}
}

func (r *recorder) all() []events.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]events.Event(nil), r.events...)
}

// of returns the events of one type.
func (r *recorder) of(typ events.Type) []events.Event {
	var out []events.Event
	for _, e := range r.all() {
		if e.Type == typ {
			out = append(out, e)
		}
	}
	return out
}

type harness struct {
	t   *testing.T
	acd *ACD
	clk *clock.Virtual
	rec *recorder
	cal *fakeCalendar
	ctx context.Context
}

func newHarness(t *testing.T, cfg Config) *harness {
	t.Helper()
	h := &harness{t: t, clk: clock.NewVirtual(t0), rec: &recorder{}, cal: &fakeCalendar{open: true}, ctx: context.Background()}
	acd, err := New(cfg, Options{Clock: h.clk, Events: h.rec, Calendars: map[string]Calendar{"office": h.cal}})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	h.acd = acd
	return h
}

// advance moves virtual time and lets the ACD run what fell due.
func (h *harness) advance(d time.Duration) {
	h.clk.Advance(d)
	h.acd.lock()
	h.acd.unlock()
}

func (h *harness) enqueue(id, group string, prio int) *Ticket {
	h.t.Helper()
	tk, err := h.acd.Enqueue(h.ctx, Request{CallID: id, Caller: "555" + id, Group: group, Priority: prio})
	if err != nil {
		h.t.Fatalf("Enqueue(%s, %s): %v", id, group, err)
	}
	return tk
}

// offer returns the offer waiting on tk, failing when there is none.
func (h *harness) offer(tk *Ticket) Offer {
	h.t.Helper()
	select {
	case o := <-tk.Offers():
		return o
	default:
		h.t.Fatalf("call %s: no offer; want one", tk.req.CallID)
	}
	return Offer{}
}

func (h *harness) noOffer(tk *Ticket) {
	h.t.Helper()
	select {
	case o := <-tk.Offers():
		h.t.Fatalf("call %s: got offer %s to %v; want none", tk.req.CallID, o.ID, agentIDs(o))
	default:
	}
}

func agentIDs(o Offer) []string {
	ids := make([]string, len(o.Agents))
	for i, e := range o.Agents {
		ids[i] = e.AgentID
	}
	return ids
}

func (h *harness) agentState(id string) AgentSnapshot {
	h.t.Helper()
	s, err := h.acd.Agent(id)
	if err != nil {
		h.t.Fatal(err)
	}
	return s
}

func (h *harness) must(err error) {
	h.t.Helper()
	if err != nil {
		h.t.Fatal(err)
	}
}

func exited(tk *Ticket) bool {
	select {
	case <-tk.Exited():
		return true
	default:
		return false
	}
}

// ag builds an agent config.
func ag(id string, skills map[string]int, state string) AgentConfig {
	return AgentConfig{ID: id, Name: "Agent " + id, Endpoint: "sip:" + id + "@127.0.0.1", Skills: skills, State: state}
}
