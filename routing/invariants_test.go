package routing

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/events"
	"github.com/switchboard-cc/switchboard/hours"
	"github.com/switchboard-cc/switchboard/internal/clock"
)

// The randomized tests drive the ACD with generated sequences of calls,
// agent actions, transport reports and clock jumps (fixed seeds, so a
// failure names its seed and replays) and check DESIGN §5's invariants
// after every step and at every offer:
//   - no agent ever holds two offers or calls;
//   - within a priority, calls are offered first-in-first-out: an offered
//     call is never behind another waiting call the same agent could take;
//   - every call that enters a queue leaves it exactly once, with a reason;
//   - a logged-out (or not-ready) agent is never offered a call;
//   - no free agent is left eligible for a waiting call.

func randomConfig(r *rand.Rand) Config {
	skills := []string{"a", "b", "c"}
	cfg := Config{
		Skills: skills,
		Groups: map[string]GroupConfig{
			"ga": {Skills: map[string]int{"a": 1}, WrapUp: Duration(5 * time.Second), MaxWait: Duration(120 * time.Second),
				MaxMisses: 2, Retry: Duration(3 * time.Second), Overflow: []OverflowStep{{After: Duration(30 * time.Second), Groups: []string{"gc"}}}},
			"gb": {Skills: map[string]int{"b": 3}, Strategy: RingAll, RingTimeout: Duration(10 * time.Second), MaxWait: Duration(90 * time.Second)},
			"gc": {Skills: map[string]int{"c": 1}, Strategy: RoundRobin, Overflow: []OverflowStep{{After: Duration(20 * time.Second), Skills: map[string]int{"c": 0}}}},
			"gd": {Skills: map[string]int{"a": 2, "b": 1}, Strategy: SkillLevel, WrapUp: Duration(2 * time.Second), MaxWait: Duration(60 * time.Second)},
			"ge": {Skills: map[string]int{"b": 1}, Strategy: Strategies[r.IntN(len(Strategies))], MaxWait: Duration(100 * time.Second), Calendar: "shift"},
		},
	}
	states := []string{"", "ready", "ready", "not_ready"}
	for i := range 8 {
		sk := map[string]int{}
		for _, s := range skills {
			if r.IntN(2) == 0 {
				sk[s] = 1 + r.IntN(10)
			}
		}
		cfg.Agents = append(cfg.Agents, ag(fmt.Sprintf("a%d", i), sk, states[r.IntN(len(states))]))
	}
	return cfg
}

// shiftCalendar opens for 60 s and closes for 30 s from 09:30 to 11:30
// (the sequences start at 10:00 and last well under an hour), so the
// randomized sequences see group ge open, close and reopen with callbacks
// waiting.
func shiftCalendar(t testing.TB) map[string]Calendar {
	cal, err := shift()
	if err != nil {
		t.Fatal(err)
	}
	return map[string]Calendar{"shift": cal}
}

var shift = sync.OnceValues(func() (*hours.Calendar, error) {
	var day []hours.Range
	for start := 9*3600 + 1800; start < 11*3600+1800; start += 90 {
		day = append(day, hours.Range{Start: start, End: start + 60})
	}
	return hours.New(hours.Spec{Name: "shift", Location: t0.Location(), Weekly: map[time.Weekday][]hours.Range{t0.Weekday(): day}})
})

// checker holds the event-derived model and checks each event as the ACD
// emits it (under the ACD's lock, so it may read the ACD's state).
type checker struct {
	t        testing.TB
	acd      *ACD
	presence map[string]string // agent -> state from agent.state events
	inQueue  map[string]bool   // call -> entered and not yet left
	place    map[string]place  // call -> its place in line, as it entered
	entered  int
	fail     func(format string, args ...any)
}

// place is the model's own record of a call's place in line, so a bug that
// moves a call (say, to the end after a miss) is caught.
type place struct {
	prio  int
	at    time.Time
	seq   int
	group string
	left  time.Time // when the visit ended
	gone  bool      // it ended without an agent
}

func (p place) ahead(o place) bool {
	if p.prio != o.prio {
		return p.prio > o.prio
	}
	if !p.at.Equal(o.at) {
		return p.at.Before(o.at)
	}
	return p.seq < o.seq
}

func newChecker(t testing.TB, fail func(string, ...any)) *checker {
	return &checker{t: t, presence: map[string]string{}, inQueue: map[string]bool{}, place: map[string]place{}, fail: fail}
}

func (c *checker) event(e events.Event) {
	switch e.Type {
	case events.AgentState:
		switch e.Data["state"] {
		case "login":
			c.presence[e.Agent] = "not_ready"
		case "logout":
			c.presence[e.Agent] = "logged_out"
		default:
			c.presence[e.Agent] = e.Data["state"]
		}
	case events.QueueEnter:
		if c.inQueue[e.CallID] {
			c.fail("call %s entered a queue twice without leaving", e.CallID)
		}
		c.inQueue[e.CallID] = true
		c.entered++
		pl := place{at: e.Time, seq: c.entered, group: e.Queue}
		if t := c.acd.tickets[e.CallID]; t != nil {
			pl.prio = t.req.Priority
			if at := t.req.EnqueuedAt; !at.IsZero() && at.Before(e.Time) {
				pl.at = at
			}
			// A callback without a time takes the place its call left
			// this group without an agent, within rememberPlace.
			prev, had := c.place[e.CallID]
			if t.req.Callback && t.req.EnqueuedAt.IsZero() && had && prev.gone && prev.group == e.Queue &&
				e.Time.Sub(prev.left) <= rememberPlace && prev.at.Before(e.Time) {
				pl.at = prev.at
			}
		}
		c.place[e.CallID] = pl
	case events.QueueClosed:
		if _, waited := e.Data["wait_ms"]; !waited { // refused at the door: never entered
			if c.inQueue[e.CallID] {
				c.fail("call %s refused while in a queue", e.CallID)
			}
			break
		}
		fallthrough
	case events.QueueConnect, events.QueueAbandon, events.QueueTimeout:
		if !c.inQueue[e.CallID] {
			c.fail("call %s left (%s) without being in a queue, or twice", e.CallID, e.Type)
		}
		c.inQueue[e.CallID] = false
		pl := c.place[e.CallID]
		pl.left, pl.gone = e.Time, e.Type == events.QueueTimeout || e.Type == events.QueueClosed
		c.place[e.CallID] = pl
	case events.AgentOffer:
		if p := c.presence[e.Agent]; p != "ready" {
			c.fail("agent %s offered call %s while %s", e.Agent, e.CallID, p)
		}
		if t := c.acd.tickets[e.CallID]; t != nil && t.req.Callback && !t.req.OutsideHours && t.group.calendar != nil && !t.group.calendar.Status(e.Time).Open {
			c.fail("callback %s offered while group %s's calendar is closed", e.CallID, t.group.name)
		}
		c.fifo(e)
	}
}

// fifo checks that no waiting call the offered agent could take is ahead
// of the offered one.
func (c *checker) fifo(e events.Event) {
	a := c.acd
	t, ag := a.tickets[e.CallID], a.agents[e.Agent]
	if t == nil || ag == nil {
		c.fail("offer event for unknown call %s or agent %s", e.CallID, e.Agent)
		return
	}
	for _, w := range a.tickets {
		if w == t || w.state != waiting || w.held { // a held callback waits for its calendar, out of line
			continue
		}
		for _, en := range w.entries {
			if _, member := en.pool.members[ag]; member && c.place[w.req.CallID].ahead(c.place[t.req.CallID]) {
				c.fail("agent %s offered %s (prio %d, at %s) while %s (prio %d, at %s) waited ahead of it",
					ag.id, t.req.CallID, t.req.Priority, t.enqueuedAt.Format("15:04:05"),
					w.req.CallID, w.req.Priority, w.enqueuedAt.Format("15:04:05"))
			}
		}
	}
}

// checkState walks the ACD's state and reports any broken invariant.
func checkState(a *ACD) error {
	a.lock()
	defer a.unlock()
	holder := map[*agent]string{}
	hold := func(ag *agent, what string) error {
		if prev, ok := holder[ag]; ok {
			return fmt.Errorf("agent %s holds %s and %s", ag.id, prev, what)
		}
		holder[ag] = what
		return nil
	}
	for id, t := range a.tickets {
		switch t.state {
		case offered:
			for _, ag := range t.offer.agents {
				if err := hold(ag, "offer "+t.offer.pub.ID); err != nil {
					return err
				}
				if ag.offer != t.offer || ag.activity != Reserved {
					return fmt.Errorf("agent %s in offer %s but %v with offer %v", ag.id, t.offer.pub.ID, ag.activity, ag.offer)
				}
			}
		case connected:
			if err := hold(t.agent, "call "+id); err != nil {
				return err
			}
			if t.agent.call != t || (t.agent.activity != OnCall) {
				return fmt.Errorf("call %s connected to %s who is %v", id, t.agent.id, t.agent.activity)
			}
		case waiting:
			closed := t.group.calendar != nil && !t.group.calendar.Status(a.now).Open
			if want := t.req.Callback && !t.req.OutsideHours && closed; t.held != want {
				return fmt.Errorf("waiting call %s held=%v; want %v (callback %v, calendar closed %v)", id, t.held, want, t.req.Callback, closed)
			}
			for _, e := range t.entries {
				if t.held && e.index >= 0 {
					return fmt.Errorf("held callback %s is in a line", id)
				}
				if !t.held && (e.index < 0 || e.pool.calls[e.index] != e) {
					return fmt.Errorf("waiting call %s missing from a line", id)
				}
			}
			if !t.req.Callback && !someoneCouldTake(a, t) {
				return fmt.Errorf("call %s waits though nobody logged in could take it at any overflow step", id)
			}
		default:
			return fmt.Errorf("ticket %s in state %d still registered", id, t.state)
		}
	}
	for _, ag := range a.agents {
		if ag.presence == LoggedOut && (ag.activity != Idle || ag.offer != nil || ag.call != nil) {
			return fmt.Errorf("logged-out agent %s is %v", ag.id, ag.activity)
		}
		if (ag.activity == Reserved) != (ag.offer != nil) {
			return fmt.Errorf("agent %s %v with offer %v", ag.id, ag.activity, ag.offer)
		}
		if busy := ag.activity == OnCall || ag.activity == WrapUp; busy != (ag.call != nil) {
			return fmt.Errorf("agent %s %v with call %v", ag.id, ag.activity, ag.call)
		}
		if ag.activity == WrapUp {
			if _, ok := holder[ag]; ok {
				return fmt.Errorf("agent %s in wrap-up holds %s", ag.id, holder[ag])
			}
		}
		if ag.available != ag.free(a.now) {
			return fmt.Errorf("agent %s indexed available=%v but free=%v", ag.id, ag.available, ag.free(a.now))
		}
		for _, m := range ag.memberships {
			if (m.index >= 0) != ag.available || (m.index >= 0 && m.pool.agents[m.index] != m) {
				return fmt.Errorf("agent %s index in pool %s out of step", ag.id, m.pool.key)
			}
		}
	}
	for key, p := range a.pools {
		n := 0
		for ag := range p.members {
			if ag.presence != LoggedOut {
				n++
			}
			if !ag.meets(p.req) {
				return fmt.Errorf("agent %s in pool %s without the skills", ag.id, key)
			}
		}
		if n != p.loggedIn {
			return fmt.Errorf("pool %s counts %d logged in; %d are", key, p.loggedIn, n)
		}
		if len(p.calls) > 0 && len(p.agents) > 0 {
			return fmt.Errorf("pool %s has %d waiting calls and %d free agents", key, len(p.calls), len(p.agents))
		}
		for i := 1; i < len(p.calls); i++ {
			if p.calls.less(i, (i-1)/2) {
				return fmt.Errorf("pool %s call heap out of order", key)
			}
		}
		for i := 1; i < len(p.agents); i++ {
			if p.agents.less(i, (i-1)/2) {
				return fmt.Errorf("pool %s agent heap out of order", key)
			}
		}
	}
	return nil
}

// someoneCouldTake is the model of "nobody who could take the call",
// counted over the roster rather than the pools: an agent logged in who
// meets the call's requirement after all its steps (the group's and its
// own), or serves a group its last step adds.
func someoneCouldTake(a *ACD, t *Ticket) bool {
	g := t.group
	skills := cloneSkills(g.skills)
	var others []*group
	if n := len(g.steps); n > 0 {
		skills, others = g.steps[n-1].skills, g.steps[n-1].groups
	}
	extra := cloneSkills(t.req.Skills)
	for _, st := range t.req.Overflow {
		for s, l := range st.Skills {
			if l == 0 {
				delete(extra, s)
			} else {
				extra[s] = l
			}
		}
	}
	for s, l := range extra {
		skills = cloneSkills(skills)
		skills[s] = max(skills[s], l)
	}
	meets := func(ag *agent, req map[string]int) bool {
		for s, l := range req {
			if ag.skills[s] < l {
				return false
			}
		}
		return true
	}
	for _, ag := range a.agents {
		if ag.presence == LoggedOut {
			continue
		}
		if meets(ag, skills) {
			return true
		}
		for _, o := range others {
			if meets(ag, o.skills) {
				return true
			}
		}
	}
	return false
}

var (
	moreSeeds = flag.Int("routing.seeds", 0, "run this many randomized sequences instead of 3,000")
	seqSteps  = flag.Int("routing.steps", 80, "steps per randomized sequence")
)

// TestRandomizedInvariants runs 3,000 generated sequences of 80 steps
// (go test -run Randomized -routing.seeds 100000 for a longer hunt).
func TestRandomizedInvariants(t *testing.T) {
	seeds := 3000
	if testing.Short() {
		seeds = 200
	}
	if *moreSeeds > 0 {
		seeds = *moreSeeds
	}
	for seed := range seeds {
		if !runSequence(t, uint64(seed), *seqSteps) {
			return
		}
	}
}

func runSequence(t *testing.T, seed uint64, steps int) bool {
	r := rand.New(rand.NewPCG(seed, 0x5b0a7d))
	var failure string
	fail := func(format string, args ...any) {
		if failure == "" {
			failure = fmt.Sprintf(format, args...)
		}
	}
	chk := newChecker(t, fail)
	rec := &recorder{check: chk.event}
	clk := clock.NewVirtual(t0)
	cfg := randomConfig(r)
	acd, err := New(cfg, Options{Clock: clk, Events: rec, Calendars: shiftCalendar(t)})
	if err != nil {
		t.Fatalf("seed %d: New: %v", seed, err)
	}
	chk.acd = acd
	ctx := context.Background()
	type call struct {
		tk    *Ticket
		offer *Offer
	}
	var calls []*call
	groups := []string{"ga", "gb", "gc", "gd", "ge"}
	reasons := []string{"timeout", "busy", "decline", "unreachable"}
	var log []string
	pick := func() *call {
		if len(calls) == 0 {
			return nil
		}
		return calls[r.IntN(len(calls))]
	}
	next := 0
	for step := range steps {
		did := "nothing"
		switch op := r.IntN(100); {
		case op < 25:
			next++
			req := Request{CallID: fmt.Sprintf("c%d", next), Group: groups[r.IntN(len(groups))], Priority: r.IntN(3)}
			if r.IntN(6) == 0 {
				req.Skills = map[string]int{"c": 1 + r.IntN(3)}
				if r.IntN(2) == 0 { // the queue node's own overflow: widen c, or drop it
					req.Overflow = []SkillStep{{After: time.Duration(5+r.IntN(30)) * time.Second, Skills: map[string]int{"c": r.IntN(req.Skills["c"])}}}
				}
			}
			tk, err := acd.Enqueue(ctx, req)
			did = fmt.Sprintf("enqueue %s to %s prio %d skills %v steps %v: %v", req.CallID, req.Group, req.Priority, req.Skills, req.Overflow, err)
			if err == nil {
				calls = append(calls, &call{tk: tk})
			} else if !errors.Is(err, ErrClosed) {
				t.Fatalf("seed %d: Enqueue: %v", seed, err)
			}
		case op < 28:
			next++
			id := fmt.Sprintf("c%d", next)
			req := Request{CallID: id, Group: groups[r.IntN(len(groups))], EnqueuedAt: clk.Now().Add(-time.Duration(r.IntN(120)) * time.Second)}
			if c := pick(); c != nil && c.tk.state == gone && r.IntN(2) == 0 {
				// the caller who left asks for a callback: their place is remembered
				req = Request{CallID: c.tk.req.CallID, Group: c.tk.req.Group}
				id = req.CallID
			}
			req.OutsideHours = r.IntN(4) == 0
			err := acd.RequestCallback(ctx, req, "+86100")
			did = fmt.Sprintf("callback %s: %v", id, err)
			if err == nil {
				tk := acd.tickets[id] // test-only peek: the dialer would get it from the hook
				calls = append(calls, &call{tk: tk})
			}
		case op < 50:
			c := pick()
			if c == nil || c.offer == nil {
				break
			}
			o := *c.offer
			switch k := r.IntN(10); {
			case k < 5:
				who := o.Agents[r.IntN(len(o.Agents))].AgentID
				c.tk.Answered(o, who)
				did = fmt.Sprintf("answer %s by %s", o.ID, who)
			case k < 9:
				m := map[string]string{}
				for _, e := range o.Agents {
					if r.IntN(4) > 0 {
						m[e.AgentID] = reasons[r.IntN(len(reasons))]
					}
				}
				c.tk.Missed(o, m)
				did = fmt.Sprintf("missed %s %v", o.ID, m)
			default:
				did = "leave offer " + o.ID + " unreported"
			}
			c.offer = nil
		case op < 56:
			if c := pick(); c != nil {
				c.tk.Abandon()
				did = "abandon " + c.tk.req.CallID
			}
		case op < 66:
			if c := pick(); c != nil {
				c.tk.Finish([]string{"caller", "agent"}[r.IntN(2)])
				did = "finish " + c.tk.req.CallID
			}
		case op < 82:
			id := cfg.Agents[r.IntN(len(cfg.Agents))].ID
			var err error
			switch r.IntN(5) {
			case 0:
				err = acd.Login(ctx, id, id)
				did = "login " + id
			case 1:
				err = acd.Logout(ctx, id, "sup", "shift")
				did = "logout " + id
			case 2, 3:
				err = acd.Ready(ctx, id, id)
				did = "ready " + id
			case 4:
				err = acd.NotReady(ctx, id, id, "break")
				did = "not ready " + id
			}
			if err != nil && !errors.Is(err, ErrInvalidTransition) {
				t.Fatalf("seed %d: %s: %v", seed, did, err)
			}
		case op < 84:
			id := cfg.Agents[r.IntN(len(cfg.Agents))].ID
			_ = acd.EndWrapUp(ctx, id, "sup")
			did = "end wrap-up " + id
		case op < 86:
			i := r.IntN(len(cfg.Agents))
			up := cfg.Agents[i]
			up.Skills = map[string]int{"a": 1 + r.IntN(10), "b": 1 + r.IntN(10)}
			if r.IntN(2) == 0 {
				delete(up.Skills, "a")
			}
			if err := acd.UpdateAgent(ctx, up); err != nil {
				t.Fatalf("seed %d: UpdateAgent: %v", seed, err)
			}
			did = fmt.Sprintf("update %s skills %v", up.ID, up.Skills)
		default:
			d := time.Duration(r.IntN(25000)) * time.Millisecond
			clk.Advance(d)
			acd.lock()
			acd.unlock()
			did = "advance " + d.String()
		}
		for _, c := range calls { // the transports pick up new offers
			select {
			case o := <-c.tk.Offers():
				c.offer = &o
			default:
			}
		}
		log = append(log, did)
		if err := checkState(acd); err != nil && failure == "" {
			failure = err.Error()
		}
		if failure != "" {
			t.Errorf("seed %d step %d: %s\nlast steps:\n  %s", seed, step, failure, joinLines(log[max(0, len(log)-12):]))
			return false
		}
	}
	// Every call that entered either left exactly once or is still in line.
	latest := map[string]*Ticket{}
	for _, c := range calls {
		latest[c.tk.req.CallID] = c.tk
	}
	for _, c := range calls {
		if latest[c.tk.req.CallID] != c.tk {
			continue // an earlier visit of a call that came back as a callback
		}
		in := chk.inQueue[c.tk.req.CallID]
		st := c.tk.state
		if in != (st == waiting || st == offered) {
			t.Errorf("seed %d: call %s in queue by events=%v but ticket state %d", seed, c.tk.req.CallID, in, st)
			return false
		}
		if exited(c.tk) != (c.tk.Exit() != 0) {
			t.Errorf("seed %d: call %s Exited closed=%v with Exit %v", seed, c.tk.req.CallID, exited(c.tk), c.tk.Exit())
			return false
		}
	}
	return true
}

func joinLines(s []string) string {
	out := ""
	for i, x := range s {
		if i > 0 {
			out += "\n  "
		}
		out += x
	}
	return out
}

// TestConcurrentCalls runs callers, agents and the clock in separate
// goroutines (run it with -race) and checks the same invariants.
func TestConcurrentCalls(t *testing.T) {
	var failures []string
	chk := newChecker(t, func(f string, a ...any) { failures = append(failures, fmt.Sprintf(f, a...)) })
	rec := &recorder{check: chk.event}
	clk := clock.NewVirtual(t0)
	r := rand.New(rand.NewPCG(7, 7))
	cfg := randomConfig(r)
	for i := range cfg.Agents {
		cfg.Agents[i].State = "ready"
	}
	acd, err := New(cfg, Options{Clock: clk, Events: rec, Calendars: shiftCalendar(t)})
	if err != nil {
		t.Fatal(err)
	}
	chk.acd = acd
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	go clk.AutoAdvance(ctx, 200*time.Microsecond)

	const callers = 60
	done := make(chan ExitReason, callers)
	groups := []string{"ga", "gb", "gc", "gd", "ge"}
	for i := range callers {
		go func() {
			rr := rand.New(rand.NewPCG(uint64(i), 1))
			tk, err := acd.Enqueue(ctx, Request{CallID: fmt.Sprintf("k%d", i), Group: groups[i%len(groups)], Priority: rr.IntN(2)})
			if err != nil {
				done <- 0
				return
			}
			for {
				select {
				case o := <-tk.Offers():
					_ = clock.Sleep(ctx, clk, time.Duration(rr.IntN(5))*time.Second)
					if rr.IntN(3) == 0 {
						tk.Missed(o, map[string]string{o.Agents[0].AgentID: "timeout"})
						continue
					}
					tk.Answered(o, o.Agents[rr.IntN(len(o.Agents))].AgentID)
					_ = clock.Sleep(ctx, clk, time.Duration(1+rr.IntN(30))*time.Second)
					tk.Finish("caller")
					done <- tk.Exit()
					return
				case <-tk.Exited():
					done <- tk.Exit()
					return
				case <-ctx.Done():
					tk.Abandon()
					done <- tk.Exit()
					return
				}
			}
		}()
	}
	go func() { // a supervisor toggling agents
		rr := rand.New(rand.NewPCG(99, 1))
		for ctx.Err() == nil {
			id := cfg.Agents[rr.IntN(len(cfg.Agents))].ID
			if rr.IntN(2) == 0 {
				_ = acd.NotReady(ctx, id, "sup", "break")
			} else {
				_ = acd.Ready(ctx, id, "sup")
			}
			_ = clock.Sleep(ctx, clk, 7*time.Second)
		}
	}()
	got := map[ExitReason]int{}
	for range callers {
		select {
		case why := <-done:
			got[why]++
		case <-ctx.Done():
			t.Fatalf("callers did not finish: %v so far", got)
		}
	}
	cancel()
	if err := checkState(acd); err != nil {
		t.Error(err)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(failures) > 0 {
		t.Errorf("%d invariant failures, first: %s", len(failures), failures[0])
	}
	var open []string
	for id, in := range chk.inQueue {
		if in {
			open = append(open, id)
		}
	}
	sort.Strings(open)
	if len(open) > 0 {
		t.Errorf("calls never left their queue: %v", open)
	}
	if got[Answered] == 0 || !slices.ContainsFunc([]ExitReason{Answered, TimedOut, Abandoned}, func(e ExitReason) bool { return got[e] > 0 }) {
		t.Errorf("exits %v; want answered calls", got)
	}
	t.Logf("exits: %v", got)
}
