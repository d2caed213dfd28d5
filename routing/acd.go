package routing

import (
	"context"
	"errors"
	"log/slog"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/switchboard-cc/switchboard/events"
	"github.com/switchboard-cc/switchboard/hours"
	"github.com/switchboard-cc/switchboard/internal/clock"
)

// Errors. ErrClosed and ErrUnknownGroup are what Enqueue fails with; the
// agent methods fail with ErrUnknownAgent, ErrInvalidTransition (a change
// the state machine refuses) or ErrInvalidReason.
var (
	ErrClosed            = errors.New("queue closed")
	ErrUnknownGroup      = errors.New("unknown skill group")
	ErrUnknownAgent      = errors.New("unknown agent")
	ErrInvalidTransition = errors.New("invalid agent state change")
	ErrInvalidReason     = errors.New("unknown not-ready reason")
	ErrDuplicateCall     = errors.New("call already queued")
)

// Calendar is the part of *hours.Calendar the ACD needs.
type Calendar interface {
	Status(t time.Time) hours.Status
}

// Options are the ACD's collaborators.
type Options struct {
	Clock clock.Clock // default clock.Real{}
	// Events receives every fact in the state machine's order: Emit is
	// called with the ACD's lock held, so it must not call back into the
	// ACD (buffer, as the event stores do). Default events.Discard.
	Events    events.Sink
	Logger    *slog.Logger        // default discards
	Calendars map[string]Calendar // by name, for groups' calendar field
	// Callbacks is told each time a callback (virtual hold) reaches an
	// agent: the dialer rings CallbackDue.Offer's agents, then the
	// customer's number, and reports on CallbackDue.Ticket exactly as the
	// queue node does for a caller on the line. It is called without the
	// ACD's lock held, in the goroutine that made the decision, so it must
	// not block (start a goroutine).
	Callbacks func(CallbackDue)
	// Claims, when set, arbitrates agents shared with other ACDs (a
	// cluster; see Claims). Nil: this ACD alone decides for its agents.
	Claims Claims
}

// CallbackDue is a callback whose turn has come.
type CallbackDue struct {
	Number  string
	Request Request
	Offer   Offer
	Ticket  *Ticket
}

// Change says what a state change touched, for live views (the wallboard).
type Change struct {
	Agents []string
	Groups []string
}

// ACD is the automatic call distributor: agents, skill groups and the
// decisions between them. It is safe for use from many goroutines: one
// mutex guards the whole state machine, and timers (ring, reservation,
// wrap-up, max wait, overflow steps, rest after a miss) run on the injected
// clock. See the package documentation for the contract.
type ACD struct {
	mu        sync.Mutex
	clock     clock.Clock
	sink      events.Sink
	log       *slog.Logger
	reasons   []string
	callbacks func(CallbackDue)
	claims    Claims
	book      claimBook // with claims only

	groups     map[string]*group
	groupNames []string
	agents     map[string]*agent
	agentOrder int
	pools      map[string]*pool
	bySkill    map[string]map[*agent]struct{}
	tickets    map[string]*Ticket // queued or connected, by call ID
	places     placeMemory        // where calls that left without an agent stood

	seq   uint64 // tickets, for FIFO ties
	now   time.Time
	dues  deadlineHeap
	dseq  uint64
	armed clock.Timer
	armAt time.Time

	after   []func() // run after the lock is released
	subs    map[int]func(Change)
	subSeq  int
	touched map[string]bool // "a:"+agent or "g:"+group, while subscribers exist
}

// group is a configured skill group with its live state.
type group struct {
	name        string
	skills      map[string]int
	strategy    Strategy
	ringTimeout time.Duration
	wrapUp      time.Duration
	maxWait     time.Duration
	retry       time.Duration
	maxMisses   int
	sl          ServiceLevel
	calendar    Calendar
	base        *pool
	own         []*pool // the group's own pool at each overflow step (0: none yet)
	steps       []groupStep
	waiting     map[*Ticket]struct{}
	stats       groupStats
	// calendarDue fires when the group's calendar next opens or closes,
	// while callbacks wait that must keep to its hours (hold.go).
	calendarDue deadline
}

// groupStep is the requirement after an overflow step, cumulative.
type groupStep struct {
	after  time.Duration
	skills map[string]int // own requirement after this step
	groups []*group       // other groups whose agents may take the call
	added  []string       // what this step added, for the event
}

// New builds an ACD from a validated configuration. Agents whose State is
// ready or not_ready are logged in at once (recorded as events).
func New(cfg Config, opts Options) (*ACD, error) {
	known := func(name string) bool { _, ok := opts.Calendars[name]; return ok }
	if err := cfg.validate(known); err != nil {
		return nil, err
	}
	if opts.Clock == nil {
		opts.Clock = clock.Real{}
	}
	if opts.Events == nil {
		opts.Events = events.Discard
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	a := &ACD{
		clock:     opts.Clock,
		sink:      opts.Events,
		log:       opts.Logger,
		reasons:   cfg.NotReadyReasons,
		callbacks: opts.Callbacks,
		claims:    opts.Claims,
		groups:    map[string]*group{},
		agents:    map[string]*agent{},
		pools:     map[string]*pool{},
		bySkill:   map[string]map[*agent]struct{}{},
		tickets:   map[string]*Ticket{},
		places:    placeMemory{byCall: map[string]linePlace{}},
		subs:      map[int]func(Change){},
	}
	a.now = a.clock.Now()
	if a.claims != nil {
		a.book = claimBook{held: map[*agent]string{}, elsewhere: map[*agent]struct{}{}}
	}
	for name, gc := range cfg.Groups {
		a.groups[name] = newGroup(name, gc, opts.Calendars[gc.Calendar])
		a.groupNames = append(a.groupNames, name)
	}
	sort.Strings(a.groupNames)
	for _, name := range a.groupNames {
		g := a.groups[name]
		var others []*group
		for i, st := range cfg.Groups[name].Overflow {
			for _, o := range st.Groups {
				others = append(others, a.groups[o])
			}
			g.steps[i].groups = append([]*group(nil), others...)
		}
	}
	// Pools for every group's base and step requirements exist from the
	// start; pools for calls with extra skills are made when first needed.
	for _, name := range a.groupNames {
		g := a.groups[name]
		g.base = a.poolFor(g.skills, g.strategy)
		g.base.baseOf = append(g.base.baseOf, g)
		g.own = []*pool{g.base}
		for _, st := range g.steps {
			g.own = append(g.own, a.poolFor(st.skills, g.strategy))
		}
	}
	ctx := context.Background()
	a.lock()
	defer a.unlock()
	for _, ac := range cfg.Agents {
		a.addAgent(ctx, ac, "config")
	}
	return a, nil
}

func newGroup(name string, gc GroupConfig, cal Calendar) *group {
	g := &group{
		name:        name,
		skills:      cloneSkills(gc.Skills),
		strategy:    gc.Strategy,
		ringTimeout: gc.RingTimeout.D(),
		wrapUp:      gc.WrapUp.D(),
		maxWait:     gc.MaxWait.D(),
		retry:       gc.Retry.D(),
		maxMisses:   gc.MaxMisses,
		sl:          gc.ServiceLevel,
		calendar:    cal,
		waiting:     map[*Ticket]struct{}{},
	}
	g.calendarDue = deadline{kind: dueCalendar, off: &offer{group: g}}
	if g.strategy == "" {
		g.strategy = LongestIdle
	}
	if g.ringTimeout == 0 {
		g.ringTimeout = DefaultRingTimeout
	}
	if g.retry == 0 {
		g.retry = DefaultRetry
	}
	if g.maxMisses == 0 {
		g.maxMisses = DefaultMaxMisses
	}
	current := cloneSkills(g.skills)
	for _, st := range gc.Overflow {
		for s, l := range st.Skills {
			if l == 0 {
				delete(current, s)
			} else {
				current[s] = l
			}
		}
		added := append([]string(nil), st.Groups...)
		if len(st.Skills) > 0 {
			req := newRequirement(current).String()
			if req == "" {
				req = "any" // every requirement dropped: any agent
			}
			added = append([]string{"skills:" + req}, added...)
		}
		g.steps = append(g.steps, groupStep{after: st.After.D(), skills: cloneSkills(current), added: added})
	}
	return g
}

// poolFor returns the pool for a requirement and strategy, building its
// membership on first use.
func (a *ACD) poolFor(skills map[string]int, s Strategy) *pool {
	req := newRequirement(skills)
	key := poolKey(req, s)
	if p, ok := a.pools[key]; ok {
		return p
	}
	p := &pool{key: key, req: req, strategy: s, members: map[*agent]*membership{}, byPriority: map[int]int{}}
	a.pools[key] = p
	a.forCandidates(req, func(ag *agent) {
		if ag.meets(req) {
			a.join(ag, p)
		}
	})
	return p
}

// forCandidates calls f for every agent that might meet req: the holders
// of its rarest skill, or everyone for an empty requirement.
func (a *ACD) forCandidates(req requirement, f func(*agent)) {
	if len(req) == 0 {
		for _, ag := range a.agents {
			f(ag)
		}
		return
	}
	var best map[*agent]struct{}
	for i, r := range req {
		set := a.bySkill[r.skill]
		if i == 0 || len(set) < len(best) {
			best = set
		}
	}
	for ag := range best {
		f(ag)
	}
}

func (a *ACD) join(ag *agent, p *pool) {
	m := &membership{ag: ag, pool: p, index: -1}
	for _, r := range p.req {
		m.score += ag.skills[r.skill]
	}
	p.members[ag] = m
	ag.memberships = append(ag.memberships, m)
	if ag.presence != LoggedOut {
		p.loggedIn++
	}
	if ag.available {
		p.agents.push(m)
	}
}

// lock takes the mutex and runs the timers that fell due, so every public
// method sees the state as of the clock's now even before the clock's
// timer goroutine has run.
func (a *ACD) lock() {
	a.mu.Lock()
	a.runDue(a.clock.Now())
}

// unlock re-arms the clock timer, releases the mutex and then runs the
// notifications collected under it (callback hook, subscribers).
func (a *ACD) unlock() {
	a.arm()
	if len(a.touched) > 0 {
		ch := Change{}
		for k := range a.touched {
			if k[0] == 'a' {
				ch.Agents = append(ch.Agents, k[2:])
			} else {
				ch.Groups = append(ch.Groups, k[2:])
			}
		}
		sort.Strings(ch.Agents)
		sort.Strings(ch.Groups)
		a.touched = nil
		for _, f := range a.subs {
			a.after = append(a.after, func() { f(ch) })
		}
	}
	fns := a.after
	a.after = nil
	a.mu.Unlock()
	for _, f := range fns {
		f()
	}
}

// Subscribe calls f after every change with what it touched, without the
// ACD's lock held (f may call Groups or Agents). Calls may arrive from
// several goroutines at once. cancel ends the subscription.
func (a *ACD) Subscribe(f func(Change)) (cancel func()) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.subSeq++
	id := a.subSeq
	a.subs[id] = f
	return func() {
		a.mu.Lock()
		defer a.mu.Unlock()
		delete(a.subs, id)
	}
}

func (a *ACD) touchAgent(ag *agent) {
	if len(a.subs) == 0 {
		return
	}
	if a.touched == nil {
		a.touched = map[string]bool{}
	}
	a.touched["a:"+ag.id] = true
}

func (a *ACD) touchGroup(g *group) {
	if len(a.subs) == 0 {
		return
	}
	if a.touched == nil {
		a.touched = map[string]bool{}
	}
	a.touched["g:"+g.name] = true
}

// emit records an event. It runs under the lock so the log's order is the
// state machine's order.
func (a *ACD) emit(ctx context.Context, e events.Event) {
	e.Time = a.now.UTC()
	a.sink.Emit(ctx, e)
}

func ms(d time.Duration) string { return strconv.FormatInt(d.Milliseconds(), 10) }

// deadline is one timer of the state machine. Each is embedded in what it
// times (a ticket's max wait, an agent's wrap-up, ...), so scheduling does
// not allocate; pos is its 1-based place in the heap, 0 when not pending.
type deadline struct {
	when time.Time
	seq  uint64
	pos  int
	kind dueKind
	t    *Ticket
	ag   *agent
	off  *offer // for dueCalendar, a stand-in whose group is the group (no field of its own: every ticket holds two deadlines)
}

type dueKind uint8

const (
	dueMaxWait dueKind = iota + 1
	dueStep
	dueReservation
	dueRest
	dueWrap
	dueCalendar
)

// fire runs a deadline that fell due, under the lock with a.now at its
// instant.
func (a *ACD) fire(d *deadline) {
	ctx := context.Background()
	switch d.kind {
	case dueMaxWait:
		a.maxWaitPassed(d.t)
	case dueStep:
		a.overflowStep(d.t)
	case dueReservation:
		a.reservationLapsed(d.t, d.off)
	case dueRest:
		if a.claims != nil {
			delete(a.book.elsewhere, d.ag)
		}
		a.reindex(d.ag)
		a.touchAgent(d.ag)
		a.matchAgent(ctx, d.ag)
	case dueWrap:
		a.endWrap(ctx, d.ag)
	case dueCalendar:
		a.calendarChanged(ctx, d.off.group)
	}
}

type deadlineHeap = indexedHeap[*deadline]

func (d *deadline) before(o *deadline) bool {
	if d.when.Equal(o.when) {
		// A calendar change goes first: the callbacks it holds must be
		// out of line before an agent freed in the same instant looks.
		if cd, co := d.kind == dueCalendar, o.kind == dueCalendar; cd != co {
			return cd
		}
		return d.seq < o.seq
	}
	return d.when.Before(o.when)
}

// pos is 1-based so a zero deadline (embedded, never scheduled) is in no heap.
func (d *deadline) heapIndex() int     { return d.pos - 1 }
func (d *deadline) setHeapIndex(i int) { d.pos = i + 1 }

// schedule sets d to fall due at when (moving it if already pending).
func (a *ACD) schedule(d *deadline, when time.Time) {
	a.dues.remove(d)
	a.dseq++
	d.when, d.seq = when, a.dseq
	a.dues.push(d)
}

func (a *ACD) cancel(d *deadline) { a.dues.remove(d) }

// runDue fires every deadline up to now, in order, each at its own instant.
func (a *ACD) runDue(now time.Time) {
	for len(a.dues) > 0 && !a.dues[0].when.After(now) {
		d := a.dues[0]
		a.dues.remove(d)
		if d.when.After(a.now) {
			a.now = d.when
		}
		a.fire(d)
	}
	if now.After(a.now) {
		a.now = now
	}
}

// arm keeps a clock timer set no later than the earliest deadline. A timer
// that would fire early is kept (the wake-up finds nothing due and re-arms),
// which spares a clock timer per call.
func (a *ACD) arm() {
	if len(a.dues) == 0 {
		if a.armed != nil { // nothing to wait for: leave no timer pending on the clock
			a.armed.Stop()
			a.armed = nil
		}
		return
	}
	next := a.dues[0].when
	if a.armed != nil && !a.armAt.After(next) {
		return
	}
	if a.armed != nil {
		a.armed.Stop()
	}
	a.armAt = next
	a.armed = a.clock.AfterFunc(next.Sub(a.clock.Now()), a.onTimer)
}

func (a *ACD) onTimer() {
	a.lock()
	if !a.armAt.After(a.now) {
		a.armed = nil // this timer has fired; arm sets the next one
	}
	a.unlock()
}
