package routing

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/events"
	"github.com/switchboard-cc/switchboard/internal/clock"
)

// TestPriorityFIFO: higher priority first, first-in-first-out within one.
func TestPriorityFIFO(t *testing.T) {
	h := newHarness(t, Config{
		Groups: map[string]GroupConfig{"g": {}},
		Agents: []AgentConfig{ag("a1", nil, "not_ready")},
	})
	calls := []struct {
		id   string
		prio int
	}{{"c1", 0}, {"c2", 5}, {"c3", 0}, {"c4", 5}, {"c5", 1}}
	tickets := map[string]*Ticket{}
	for _, c := range calls {
		tickets[c.id] = h.enqueue(c.id, "g", c.prio)
		h.advance(time.Second)
	}
	if st := tickets["c1"].Status(); st.Position != 4 {
		t.Errorf("c1 position = %d; want 4 (behind two priority-5 calls and one priority-1)", st.Position)
	}
	h.must(h.acd.Ready(h.ctx, "a1", "a1"))
	var order []string
	for range calls {
		var next string
		for _, c := range calls {
			tk := tickets[c.id]
			select {
			case o := <-tk.Offers():
				next = c.id
				tk.Answered(o, "a1")
				tk.Finish("agent")
			default:
			}
			if next != "" {
				break
			}
		}
		if next == "" {
			t.Fatalf("after %v: no call offered", order)
		}
		order = append(order, next)
	}
	if want := []string{"c2", "c4", "c5", "c1", "c3"}; !slices.Equal(order, want) {
		t.Errorf("served %v; want %v", order, want)
	}
}

// TestOverflowSteps: after each step's wait the requirement widens.
func TestOverflowSteps(t *testing.T) {
	cfg := func() Config {
		return Config{
			Groups: map[string]GroupConfig{
				"billing": {Skills: map[string]int{"billing": 5}, Overflow: []OverflowStep{
					{After: Duration(60 * time.Second), Skills: map[string]int{"billing": 1}},
					{After: Duration(120 * time.Second), Groups: []string{"operator"}},
					{After: Duration(180 * time.Second), Skills: map[string]int{"billing": 0}},
				}},
				"operator": {Skills: map[string]int{"operator": 1}},
			},
			Agents: []AgentConfig{
				ag("expert", map[string]int{"billing": 7}, "not_ready"), // logged in: the group is open
				ag("junior", map[string]int{"billing": 2}, "ready"),
				ag("op", map[string]int{"operator": 3}, "ready"),
				ag("anyone", map[string]int{"repair": 3}, "ready"),
			},
		}
	}
	cases := []struct {
		name    string
		busy    []string      // agents not ready before the call
		wait    time.Duration // when the offer is due
		want    string
		steps   int    // queue.overflow events by then
		viaWant string // Offer.Group
		to      string // the last step's queue.overflow "to"
	}{
		{"lower level after 60s", nil, 60 * time.Second, "junior", 1, "billing", "skills:billing:1"},
		{"other group after 120s", []string{"junior"}, 120 * time.Second, "op", 2, "operator", "operator"},
		{"skill dropped after 180s", []string{"junior", "op"}, 180 * time.Second, "anyone", 3, "billing", "skills:any"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, cfg())
			for _, id := range tc.busy {
				h.must(h.acd.NotReady(h.ctx, id, "sup", "meeting"))
			}
			tk := h.enqueue("c1", "billing", 0)
			h.noOffer(tk)
			h.advance(tc.wait - time.Second)
			h.noOffer(tk)
			h.advance(time.Second)
			o := h.offer(tk)
			if got := agentIDs(o); !slices.Equal(got, []string{tc.want}) || o.Group != tc.viaWant {
				t.Errorf("offer after %s to %v via %s; want [%s] via %s", tc.wait, got, o.Group, tc.want, tc.viaWant)
			}
			if ov := h.rec.of(events.QueueOverflow); len(ov) != tc.steps || ov[len(ov)-1].Data["to"] != tc.to {
				t.Errorf("queue.overflow events %+v; want %d, the last to %q", ov, tc.steps, tc.to)
			}
		})
	}
}

// TestWrapUpAcrossGroups: an agent in wrap-up after a billing call gets no
// outage call either until the billing group's wrap-up time has passed.
func TestWrapUpAcrossGroups(t *testing.T) {
	h := newHarness(t, Config{
		Groups: map[string]GroupConfig{
			"billing": {Skills: map[string]int{"billing": 1}, WrapUp: Duration(30 * time.Second)},
			"outage":  {Skills: map[string]int{"outage": 1}},
		},
		Agents: []AgentConfig{ag("a1", map[string]int{"billing": 5, "outage": 5}, "ready")},
	})
	b := h.enqueue("b1", "billing", 0)
	b.Answered(h.offer(b), "a1")
	h.advance(40 * time.Second)
	b.Finish("caller")
	if s := h.agentState("a1"); s.Activity != WrapUp {
		t.Fatalf("after the call: %v; want wrap_up", s.Activity)
	}
	o := h.enqueue("o1", "outage", 0)
	h.advance(29 * time.Second)
	h.noOffer(o)
	h.advance(time.Second)
	if got := agentIDs(h.offer(o)); !slices.Equal(got, []string{"a1"}) {
		t.Errorf("after wrap-up: offer to %v; want a1", got)
	}
	ends := h.rec.of(events.AgentWrapupEnd)
	if len(ends) != 1 || ends[0].Data["wrap_ms"] != "30000" || ends[0].CallID != "b1" {
		t.Errorf("wrapup_end events %+v; want one for b1 with wrap_ms 30000", ends)
	}
}

// TestNoAnswerKeepsPlace: a missed call goes back to its own place, not the
// end; the agent rests, and after max_misses goes not_ready(no_answer).
func TestNoAnswerKeepsPlace(t *testing.T) {
	h := newHarness(t, Config{
		Groups: map[string]GroupConfig{"g": {MaxMisses: 2, Retry: Duration(5 * time.Second)}},
		Agents: []AgentConfig{ag("a1", nil, "not_ready"), ag("a2", nil, "not_ready")},
	})
	c1 := h.enqueue("c1", "g", 0)
	h.advance(time.Second)
	c2 := h.enqueue("c2", "g", 0)
	h.advance(time.Second)
	c3 := h.enqueue("c3", "g", 0)
	h.must(h.acd.Ready(h.ctx, "a1", "a1"))
	o := h.offer(c1)
	h.advance(20 * time.Second)
	c1.Missed(o, map[string]string{"a1": "timeout"})
	if st := c1.Status(); st.Position != 1 {
		t.Errorf("c1 back in line at position %d; want 1", st.Position)
	}
	if s := h.agentState("a1"); s.Presence != Ready || s.RestUntil.IsZero() || s.Misses != 1 {
		t.Errorf("a1 after one miss: %v rest %v misses %d; want ready, resting, 1 miss", s.Presence, s.RestUntil, s.Misses)
	}
	h.must(h.acd.Ready(h.ctx, "a2", "a2"))
	o2 := h.offer(c1) // a2 gets c1, still first in line
	if got := agentIDs(o2); !slices.Equal(got, []string{"a2"}) {
		t.Fatalf("c1 re-offered to %v; want a2 (a1 is resting)", got)
	}
	h.noOffer(c2)
	h.advance(5 * time.Second) // a1 rested: offered c2
	o3 := h.offer(c2)
	c2.Missed(o3, map[string]string{"a1": "busy"})
	if s := h.agentState("a1"); s.Presence != NotReady || s.Reason != "no_answer" {
		t.Errorf("a1 after two misses: %v(%s); want not_ready(no_answer)", s.Presence, s.Reason)
	}
	noans := h.rec.of(events.AgentNoAnswer)
	if len(noans) != 2 || noans[0].Data["reason"] != "timeout" || noans[0].Data["ring_ms"] != "20000" || noans[1].Data["reason"] != "busy" {
		t.Errorf("agent.noanswer events %+v; want timeout (20000 ms) then busy", noans)
	}
	var byState []string
	for _, e := range h.rec.of(events.AgentState) {
		if e.Agent == "a1" {
			byState = append(byState, e.Data["state"]+":"+e.Data["reason"]+":"+e.Data["by"])
		}
	}
	if last := byState[len(byState)-1]; last != "not_ready:no_answer:system" {
		t.Errorf("a1's last agent.state %q; want not_ready:no_answer:system", last)
	}
	h.noOffer(c3)
}

// TestLogoutDuringCall: a logout asked during a call waits for the end of
// wrap-up, and the agent gets nothing in between.
func TestLogoutDuringCall(t *testing.T) {
	h := newHarness(t, Config{
		Groups: map[string]GroupConfig{"g": {WrapUp: Duration(10 * time.Second)}},
		Agents: []AgentConfig{ag("a1", nil, "ready"), ag("a2", nil, "not_ready")},
	})
	c1 := h.enqueue("c1", "g", 0)
	c1.Answered(h.offer(c1), "a1")
	h.must(h.acd.Logout(h.ctx, "a1", "supervisor:mei", "end_of_shift"))
	if s := h.agentState("a1"); s.Activity != OnCall || !s.LogoutPending || s.Presence != Ready {
		t.Fatalf("a1 after logout asked on a call: %v/%v pending %v; want ready/on_call, pending", s.Presence, s.Activity, s.LogoutPending)
	}
	h.advance(time.Minute)
	c1.Finish("agent")
	c2 := h.enqueue("c2", "g", 0)
	h.advance(9 * time.Second)
	h.noOffer(c2)
	if s := h.agentState("a1"); s.Activity != WrapUp {
		t.Errorf("a1 during wrap-up: %v", s.Activity)
	}
	h.advance(time.Second)
	h.noOffer(c2)
	if s := h.agentState("a1"); s.Presence != LoggedOut || s.Reason != "end_of_shift" || s.LogoutPending {
		t.Errorf("a1 after wrap-up: %v(%s) pending %v; want logged_out(end_of_shift)", s.Presence, s.Reason, s.LogoutPending)
	}
	st := h.rec.of(events.AgentState)
	last := st[len(st)-1]
	if last.Agent != "a1" || last.Data["state"] != "logout" || last.Data["by"] != "supervisor:mei" || last.Data["reason"] != "end_of_shift" {
		t.Errorf("last agent.state %+v; want a1 logout by supervisor:mei, end_of_shift", last)
	}
	if err := h.acd.Ready(h.ctx, "a1", "a1"); !errors.Is(err, ErrInvalidTransition) {
		t.Errorf("Ready while logged out: %v; want ErrInvalidTransition", err)
	}
}

// TestClosed: closed calendar, nobody logged in, unknown group.
func TestClosed(t *testing.T) {
	cases := []struct {
		name     string
		agents   []AgentConfig
		calendar bool // open?
		group    string
		want     error
		reason   string
	}{
		{"calendar closed", []AgentConfig{ag("a1", nil, "ready")}, false, "g", ErrClosed, "calendar"},
		{"nobody logged in", []AgentConfig{ag("a1", nil, "")}, true, "g", ErrClosed, "no_agents"},
		{"nobody with the skill", []AgentConfig{ag("a1", nil, "ready")}, true, "skilled", ErrClosed, "no_agents"},
		{"empty roster", nil, true, "g", ErrClosed, "no_agents"},
		{"unknown group", []AgentConfig{ag("a1", nil, "ready")}, true, "nope", ErrUnknownGroup, ""},
		{"open and staffed", []AgentConfig{ag("a1", nil, "not_ready")}, true, "g", nil, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, Config{
				Groups: map[string]GroupConfig{
					"g":       {Calendar: "office"},
					"skilled": {Skills: map[string]int{"x": 1}},
				},
				Agents: tc.agents,
			})
			h.cal.set(tc.calendar)
			tk, err := h.acd.Enqueue(h.ctx, Request{CallID: "c1", Group: tc.group})
			if !errors.Is(err, tc.want) || (err == nil) != (tk != nil) {
				t.Fatalf("Enqueue = %v, %v; want error %v", tk, err, tc.want)
			}
			closed := h.rec.of(events.QueueClosed)
			if tc.reason == "" && len(closed) != 0 || tc.reason != "" && (len(closed) != 1 || closed[0].Data["reason"] != tc.reason) {
				t.Errorf("queue.closed events %+v; want reason %q", closed, tc.reason)
			}
		})
	}
}

// TestCallbackKeepsPlace: a callback re-enters with its caller's original
// enqueue time, goes ahead of later callers, and the dialer hook gets it.
func TestCallbackKeepsPlace(t *testing.T) {
	var dues []CallbackDue
	h := &harness{t: t, rec: &recorder{}, cal: &fakeCalendar{open: true}}
	h.clk = newHarness(t, Config{}).clk
	acd, err := New(Config{
		Groups: map[string]GroupConfig{"billing": {MaxWait: Duration(10 * time.Minute)}},
		Agents: []AgentConfig{ag("a1", nil, "not_ready")},
	}, Options{Clock: h.clk, Events: h.rec, Callbacks: func(d CallbackDue) { dues = append(dues, d) }})
	if err != nil {
		t.Fatal(err)
	}
	h.acd, h.ctx = acd, t.Context()
	first := h.enqueue("c1", "billing", 0)
	firstAt := h.clk.Now()
	h.advance(30 * time.Second)
	later := h.enqueue("c2", "billing", 0)
	h.advance(30 * time.Second)
	first.Abandon() // the first caller gives up the line and asks for a callback
	h.must(acd.RequestCallback(h.ctx, Request{CallID: "c1", Group: "billing", EnqueuedAt: firstAt}, "+8613800000000"))
	if st := later.Status(); st.Position != 2 {
		t.Errorf("later caller's position = %d; want 2 (behind the callback)", st.Position)
	}
	g, _ := acd.Group("billing")
	if g.Waiting != 2 || g.Callbacks != 1 {
		t.Errorf("group waiting %d callbacks %d; want 2, 1", g.Waiting, g.Callbacks)
	}
	h.advance(20 * time.Minute) // a callback has no max wait; the caller on the line does
	if !exited(later) || later.Exit() != TimedOut {
		t.Fatalf("caller on the line after 20 min: exit %v; want timeout", later.Exit())
	}
	h.must(acd.Ready(h.ctx, "a1", "a1"))
	if len(dues) != 1 {
		t.Fatalf("callback hook called %d times; want 1", len(dues))
	}
	d := dues[0]
	if d.Number != "+8613800000000" || d.Request.CallID != "c1" || !slices.Equal(agentIDs(d.Offer), []string{"a1"}) {
		t.Errorf("due callback %+v; want c1 to +8613800000000 offered to a1", d)
	}
	d.Ticket.Answered(d.Offer, "a1")
	d.Ticket.Finish("agent")
	connects := h.rec.of(events.QueueConnect)
	if len(connects) != 1 || connects[0].Data["callback"] != "1" {
		t.Errorf("queue.connect %+v; want one for the callback", connects)
	}
}

// TestMaxWait: a call leaves with TimedOut at max_wait, but not while an
// offer rings; then it leaves when the offer is missed.
func TestMaxWait(t *testing.T) {
	h := newHarness(t, Config{
		Groups: map[string]GroupConfig{"g": {MaxWait: Duration(180 * time.Second), RingTimeout: Duration(20 * time.Second)}},
		Agents: []AgentConfig{ag("a1", nil, "not_ready")},
	})
	c1 := h.enqueue("c1", "g", 0)
	h.advance(179 * time.Second)
	if exited(c1) {
		t.Fatal("left before max_wait")
	}
	h.advance(time.Second)
	if !exited(c1) || c1.Exit() != TimedOut {
		t.Fatalf("after max_wait: exited %v exit %v; want timeout", exited(c1), c1.Exit())
	}
	if e := h.rec.of(events.QueueTimeout); len(e) != 1 || e[0].Data["wait_ms"] != "180000" {
		t.Errorf("queue.timeout events %+v; want one with wait_ms 180000", e)
	}

	c2 := h.enqueue("c2", "g", 0)
	h.advance(170 * time.Second)
	h.must(h.acd.Ready(h.ctx, "a1", "a1"))
	o := h.offer(c2)
	h.advance(15 * time.Second) // past max_wait while ringing
	if exited(c2) {
		t.Fatal("left while an agent was ringing")
	}
	h.advance(5 * time.Second)
	c2.Missed(o, map[string]string{"a1": "timeout"})
	if !exited(c2) || c2.Exit() != TimedOut {
		t.Errorf("after the missed offer past max_wait: exit %v; want timeout", c2.Exit())
	}
	c3 := h.enqueue("c3", "g", 0)
	h.noOffer(c3) // a1 rests after the miss
	c3.Abandon()
	if c3.Exit() != Abandoned || !exited(c3) {
		t.Errorf("abandoned call: exit %v", c3.Exit())
	}
	c3.Abandon() // twice: still one exit
	if n := len(h.rec.of(events.QueueAbandon)); n != 1 {
		t.Errorf("%d queue.abandon events; want 1", n)
	}
}

// TestReservationLapses: a transport that never reports loses the
// reservation after ring timeout + grace; the call goes back in line.
func TestReservationLapses(t *testing.T) {
	h := newHarness(t, Config{
		Groups: map[string]GroupConfig{"g": {RingTimeout: Duration(10 * time.Second), MaxMisses: 5}},
		Agents: []AgentConfig{ag("a1", nil, "ready")},
	})
	c1 := h.enqueue("c1", "g", 0)
	o := h.offer(c1)
	if o.RingTimeout != 10*time.Second {
		t.Errorf("RingTimeout = %v; want the group's 10s", o.RingTimeout)
	}
	h.advance(10*time.Second + ReservationGrace - time.Millisecond)
	if s := h.agentState("a1"); s.Activity != Reserved {
		t.Fatalf("before the reservation lapses: %v", s.Activity)
	}
	h.advance(time.Millisecond)
	if s := h.agentState("a1"); s.Activity != Idle || s.Misses != 1 {
		t.Errorf("after it lapsed: %v misses %d; want idle with a miss", s.Activity, s.Misses)
	}
	c1.Answered(o, "a1") // too late, and a1 is resting: still honoured, the talk is real
	if c1.Exit() != Answered {
		t.Errorf("late answer on an idle agent: exit %v; want answered", c1.Exit())
	}
}

// TestStatusEstimate: position and estimated wait from recent answers.
func TestStatusEstimate(t *testing.T) {
	h := newHarness(t, Config{
		Groups: map[string]GroupConfig{"g": {}},
		Agents: []AgentConfig{ag("a1", nil, "ready")},
	})
	for i, id := range []string{"w1", "w2", "w3", "w4"} { // four answers, 60 s apart
		if i > 0 {
			h.advance(60 * time.Second)
		}
		tk := h.enqueue(id, "g", 0)
		tk.Answered(h.offer(tk), "a1")
		tk.Finish("caller")
	}
	h.must(h.acd.NotReady(h.ctx, "a1", "a1", "break"))
	h.advance(60 * time.Second) // 240 s since the first of 4 answers: one per 60 s
	x := h.enqueue("x", "g", 0)
	y := h.enqueue("y", "g", 0)
	h.advance(10 * time.Second)
	st := y.Status()
	if st.Position != 2 || st.Waited != 10*time.Second {
		t.Errorf("Status = %+v; want position 2 waited 10s", st)
	}
	if want := 2 * 250 * time.Second / 4; st.EstimatedWait != want {
		t.Errorf("EstimatedWait = %v; want %v", st.EstimatedWait, want)
	}
	y.Abandon() // queue_log's ABANDON carries the position the caller gave up at
	if e := h.rec.of(events.QueueAbandon); len(e) != 1 || e[0].Data["position"] != "2" || e[0].Data["wait_ms"] != "10000" {
		t.Errorf("queue.abandon %+v; want position 2 after 10000 ms", e)
	}
	if st := x.Status(); st.Position != 1 {
		t.Errorf("x moved up to %d; want 1", st.Position)
	}
}

// TestLoggedOutNeverOffered and the presence transitions.
func TestPresenceTransitions(t *testing.T) {
	h := newHarness(t, Config{
		NotReadyReasons: []string{"coaching"},
		Groups:          map[string]GroupConfig{"g": {}},
		Agents:          []AgentConfig{ag("a1", nil, ""), ag("a2", nil, "not_ready")},
	})
	steps := []struct {
		name string
		do   func() error
		want error
	}{
		{"ready before login", func() error { return h.acd.Ready(h.ctx, "a1", "a1") }, ErrInvalidTransition},
		{"not ready before login", func() error { return h.acd.NotReady(h.ctx, "a1", "a1", "break") }, ErrInvalidTransition},
		{"logout before login", func() error { return h.acd.Logout(h.ctx, "a1", "a1", "") }, ErrInvalidTransition},
		{"unknown agent", func() error { return h.acd.Login(h.ctx, "zz", "sup") }, ErrUnknownAgent},
		{"login", func() error { return h.acd.Login(h.ctx, "a1", "a1") }, nil},
		{"login twice", func() error { return h.acd.Login(h.ctx, "a1", "a1") }, ErrInvalidTransition},
		{"unknown reason", func() error { return h.acd.NotReady(h.ctx, "a1", "a1", "nap") }, ErrInvalidReason},
		{"configured reason", func() error { return h.acd.NotReady(h.ctx, "a1", "a1", "coaching") }, nil},
		{"end wrap-up when idle", func() error { return h.acd.EndWrapUp(h.ctx, "a1", "a1") }, ErrInvalidTransition},
		{"logout", func() error { return h.acd.Logout(h.ctx, "a1", "sup", "sick") }, nil},
	}
	for _, s := range steps {
		if err := s.do(); !errors.Is(err, s.want) {
			t.Errorf("%s: %v; want %v", s.name, err, s.want)
		}
	}
	c1 := h.enqueue("c1", "g", 0) // a2 is logged in (not ready): the group is open
	h.noOffer(c1)
	h.must(h.acd.AddAgent(h.ctx, ag("a3", nil, ""), "sup")) // added logged out
	h.noOffer(c1)
	h.must(h.acd.Logout(h.ctx, "a2", "a2", "")) // the last one logged in leaves
	if !exited(c1) || c1.Exit() != Closed {
		t.Fatalf("waiting call after the last agent logged out: exit %v; want closed", c1.Exit())
	}
	if e := h.rec.of(events.QueueClosed); len(e) != 1 || e[0].Data["reason"] != "no_agents" || e[0].CallID != "c1" {
		t.Errorf("queue.closed events %+v; want c1 no_agents", e)
	}
	if _, err := h.acd.Enqueue(h.ctx, Request{CallID: "c2", Group: "g"}); !errors.Is(err, ErrClosed) {
		t.Errorf("Enqueue with nobody logged in: %v; want ErrClosed", err)
	}
	h.must(h.acd.Login(h.ctx, "a3", "a3"))
	c3 := h.enqueue("c3", "g", 0)
	h.noOffer(c3)
	h.must(h.acd.Ready(h.ctx, "a3", "a3"))
	if got := agentIDs(h.offer(c3)); !slices.Equal(got, []string{"a3"}) {
		t.Errorf("offer to %v; want the agent added at run time, a3", got)
	}
	if err := h.acd.RemoveAgent(h.ctx, "a3"); !errors.Is(err, ErrInvalidTransition) {
		t.Errorf("RemoveAgent while logged in: %v", err)
	}
	var states []string
	for _, e := range h.rec.of(events.AgentState) {
		if e.Agent == "a1" {
			states = append(states, e.Data["state"]+"("+e.Data["reason"]+")")
		}
	}
	want := []string{"login()", "not_ready(login)", "not_ready(coaching)", "logout(sick)"}
	if !slices.Equal(states, want) {
		t.Errorf("a1 agent.state events %v; want %v", states, want)
	}
}

// TestUpdateAgentSkills: new skills take effect for the next decision.
func TestUpdateAgentSkills(t *testing.T) {
	h := newHarness(t, Config{
		Groups: map[string]GroupConfig{"outage": {Skills: map[string]int{"outage": 3}}},
		Agents: []AgentConfig{ag("a1", map[string]int{"outage": 1}, "ready"), ag("a2", map[string]int{"outage": 5}, "not_ready")},
	})
	c1 := h.enqueue("c1", "outage", 0)
	h.noOffer(c1)
	up := ag("a1", map[string]int{"outage": 4}, "")
	h.must(h.acd.UpdateAgent(h.ctx, up))
	if got := agentIDs(h.offer(c1)); !slices.Equal(got, []string{"a1"}) {
		t.Errorf("after raising a1's level: offer to %v; want a1", got)
	}
	if s := h.agentState("a1"); !slices.Equal(s.Groups, []string{"outage"}) {
		t.Errorf("a1 groups %v; want [outage]", s.Groups)
	}
}

// TestSubscribe: the wallboard hook hears about changes, outside the lock.
func TestSubscribe(t *testing.T) {
	h := newHarness(t, Config{Groups: map[string]GroupConfig{"g": {}}, Agents: []AgentConfig{ag("a1", nil, "ready")}})
	var changes []Change
	cancel := h.acd.Subscribe(func(c Change) {
		_ = h.acd.Groups() // must not deadlock
		changes = append(changes, c)
	})
	tk := h.enqueue("c1", "g", 0)
	if len(changes) != 1 || !slices.Equal(changes[0].Agents, []string{"a1"}) || !slices.Equal(changes[0].Groups, []string{"g"}) {
		t.Errorf("changes %+v; want one touching a1 and g", changes)
	}
	cancel()
	tk.Abandon()
	if len(changes) != 1 {
		t.Errorf("%d changes after cancel; want none more", len(changes)-1)
	}
}

// TestLeaveWhenEmpty: a waiting call leaves with Closed when the last agent
// who could take it logs out — unless an overflow group still has agents;
// callbacks stay in line.
func TestLeaveWhenEmpty(t *testing.T) {
	h := newHarness(t, Config{
		Groups: map[string]GroupConfig{
			"billing":  {Skills: map[string]int{"billing": 1}, Overflow: []OverflowStep{{After: Duration(30 * time.Second), Groups: []string{"operator"}}}},
			"operator": {Skills: map[string]int{"operator": 1}},
		},
		Agents: []AgentConfig{ag("b", map[string]int{"billing": 5}, "not_ready"), ag("op", map[string]int{"operator": 5}, "not_ready")},
	})
	early := h.enqueue("early", "billing", 0)
	h.advance(30 * time.Second) // early may now go to the operators too
	late := h.enqueue("late", "billing", 0)
	h.must(h.acd.RequestCallback(h.ctx, Request{CallID: "cb", Group: "billing"}, "+86100"))
	h.must(h.acd.Logout(h.ctx, "b", "sup", "shift"))
	if exited(late) {
		t.Errorf("late (operators may take it from its overflow step at 30 s): left with %v; want still waiting", late.Exit())
	}
	if exited(early) {
		t.Errorf("early (operators may take it): left with %v; want still waiting", early.Exit())
	}
	g, _ := h.acd.Group("billing")
	if g.Waiting != 3 || g.Callbacks != 1 {
		t.Errorf("billing waiting %d (callbacks %d); want early, late and the callback", g.Waiting, g.Callbacks)
	}
	h.must(h.acd.Login(h.ctx, "b", "b"))
	h.must(h.acd.Logout(h.ctx, "op", "sup", "shift")) // the operators are gone, billing is back
	if exited(late) || exited(early) {
		t.Errorf("with b logged in again: late %v, early %v; want both waiting", late.Exit(), early.Exit())
	}
	h.must(h.acd.Login(h.ctx, "op", "op"))
	h.must(h.acd.Logout(h.ctx, "b", "sup", "shift"))
	h.advance(30 * time.Second) // late overflows to the operators too
	if !h.acd.CancelCallback(h.ctx, "cb") || h.acd.CancelCallback(h.ctx, "cb") {
		t.Error("CancelCallback: want true once, then false")
	}
	h.must(h.acd.Ready(h.ctx, "op", "op"))
	if got := agentIDs(h.offer(early)); !slices.Equal(got, []string{"op"}) {
		t.Errorf("early offered to %v; want op", got)
	}
}

// TestCallbackAfterTimeoutKeepsPlace: the flow's callback node does not
// know when the caller first queued; the ACD remembers the place the call
// left (here on max_wait) and the callback takes it.
func TestCallbackAfterTimeoutKeepsPlace(t *testing.T) {
	h := newHarness(t, Config{
		Groups: map[string]GroupConfig{"billing": {MaxWait: Duration(60 * time.Second)}},
		Agents: []AgentConfig{ag("a1", nil, "not_ready")},
	})
	first := h.enqueue("c1", "billing", 0)
	h.advance(30 * time.Second)
	h.enqueue("c2", "billing", 0)
	h.advance(30 * time.Second) // c1 times out into the after-hours menu
	if first.Exit() != TimedOut {
		t.Fatalf("c1 exit %v; want timeout", first.Exit())
	}
	h.advance(20 * time.Second) // the caller chooses "call me back"
	h.must(h.acd.RequestCallback(h.ctx, Request{CallID: "c1", Group: "billing"}, "+86100"))
	h.must(h.acd.Ready(h.ctx, "a1", "a1"))
	g, _ := h.acd.Group("billing")
	var offered []string
	for _, e := range h.rec.of(events.AgentOffer) {
		offered = append(offered, e.CallID)
	}
	if !slices.Equal(offered, []string{"c1"}) || g.Callbacks != 0 {
		t.Errorf("offered %v (callbacks still waiting %d); want the callback c1 first", offered, g.Callbacks)
	}
}

// TestPhoneOnVirtualClock drives the ticket from a goroutine as a
// transport would, ringing on the virtual clock: the test advances time
// only once both the phone and the ACD are waiting on it (BlockUntil).
func TestPhoneOnVirtualClock(t *testing.T) {
	h := newHarness(t, Config{
		Groups: map[string]GroupConfig{"g": {RingTimeout: Duration(20 * time.Second), WrapUp: Duration(10 * time.Second)}},
		Agents: []AgentConfig{ag("1001", nil, "ready")},
	})
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	tk := h.enqueue("c1", "g", 0)
	answered := make(chan error, 1)
	go func() { // the phone answers after 5 s of ringing
		o := <-tk.Offers()
		if err := clock.Sleep(ctx, h.clk, 5*time.Second); err != nil {
			answered <- err
			return
		}
		tk.Answered(o, o.Agents[0].AgentID)
		answered <- nil
	}()
	// Pending: the ACD's reservation deadline and the phone's ring.
	if err := h.clk.BlockUntil(ctx, 2); err != nil {
		t.Fatal(err)
	}
	h.clk.Advance(5 * time.Second)
	if err := <-answered; err != nil {
		t.Fatal(err)
	}
	<-tk.Exited()
	if tk.Exit() != Answered {
		t.Fatalf("exit %v; want answered", tk.Exit())
	}
	if c := h.rec.of(events.QueueConnect); len(c) != 1 || c[0].Data["ring_ms"] != "5000" {
		t.Errorf("queue.connect %+v; want ring_ms 5000", c)
	}
	tk.Finish("caller")
	// The wrap-up deadline is the ACD's only timer now; it ends by itself
	// when the clock passes it, from the clock's timer goroutine.
	if err := h.clk.BlockUntil(ctx, 1); err != nil {
		t.Fatal(err)
	}
	changed := make(chan struct{}, 8)
	defer h.acd.Subscribe(func(Change) { changed <- struct{}{} })()
	h.clk.Advance(10 * time.Second)
	select {
	case <-changed: // the timer goroutine ended the wrap-up
	case <-ctx.Done():
		t.Fatal("wrap-up never ended on the clock's timer")
	}
	if s := h.agentState("1001"); s.Activity != Idle || s.Presence != Ready {
		t.Errorf("after wrap-up: %v/%v; want ready/idle", s.Presence, s.Activity)
	}
}
