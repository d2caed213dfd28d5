package metrics

import (
	"context"
	"strconv"
	"time"

	"github.com/switchboard-cc/switchboard/events"
)

// cancelCheckEvery is how many events Compute folds between looks at its
// context: a look is an uncontended lock, a few hundred events take
// microseconds, so a report stops at once after its client leaves.
const cancelCheckEvery = 256

// Compute reads [from, to) of r in one pass and returns the metrics.
// opt.From and opt.To, when zero, are taken from from and to.
func Compute(ctx context.Context, r events.Reader, from, to time.Time, opt Options) (*Result, error) {
	if opt.From.IsZero() {
		opt.From = from
	}
	if opt.To.IsZero() {
		opt.To = to
	}
	c, err := NewComputer(opt)
	if err != nil {
		return nil, err
	}
	// Reading (decoding rows) and folding run on separate goroutines,
	// handing over batches: on two cores a million-event report takes the
	// time of the slower half instead of the sum.
	const batchSize = 2048
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := make(chan []events.Event, 8)
	free := make(chan []events.Event, 10)
	scanErr := make(chan error, 1)
	go func() {
		defer close(batches)
		batch := make([]events.Event, 0, batchSize)
		err := r.Scan(ctx, from, to, func(e events.Event) error {
			// The context is checked here too, not left to the store: a
			// store that does not watch it (or a client gone mid-batch)
			// would otherwise be read to the end of the range.
			if len(batch)%cancelCheckEvery == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			batch = append(batch, e)
			if len(batch) < batchSize {
				return nil
			}
			select {
			case batches <- batch:
			case <-ctx.Done():
				return ctx.Err()
			}
			select {
			case batch = <-free:
			default:
				batch = make([]events.Event, 0, batchSize)
			}
			return nil
		})
		if err == nil && len(batch) > 0 {
			batches <- batch
		}
		scanErr <- err
	}()
	for batch := range batches {
		if ctx.Err() != nil {
			continue // drain: the reader stops at its next check
		}
		for _, e := range batch {
			c.Add(e)
		}
		clear(batch)
		select {
		case free <- batch[:0]:
		default:
		}
	}
	if err := <-scanErr; err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return c.Result(), nil
}

// rememberEnded bounds how many ended calls a Computer remembers, so that
// a call counts once however many events follow its call.end: a wrap-up
// end, or the real end of a call whose node was declared dead (and ended
// in the log, reason node_lost) while it went on, which can come an hour
// later. 65,536 IDs take a few MB, and only in a range of that many calls.
const rememberEnded = 1 << 16

// Computer folds events into metrics one at a time, for callers that
// stream from elsewhere (a JSONL file, a live tail). Feed it events in time
// order, then call Result once.
type Computer struct {
	opt     Options
	buckets map[bucketKey]*bucket
	calls   map[string]*callState // inbound calls, by call ID
	ended   *events.EndedCalls    // inbound calls over: their late events are ignored
	agents  map[string]*agentState
	acw     map[string]*segment // agent -> ended segment awaiting wrap-up
	nodes   map[nodeKey]*NodeStats
	days    map[int64]*DayTraffic
	callers map[string]time.Time // caller number -> last call start
	repeat  RepeatCallers
	outcome CallOutcomes

	// Callbacks (callbacks.go). A callback keeps the call ID of the call
	// that asked for it, so its dialled leg and its queue visit are kept
	// apart from that call: both outlive the caller's hang-up.
	dialled   map[string]*callState  // dialled (outbound) legs in progress
	cbVisits  map[string]*visit      // callback visits waiting for their turn
	cbLeft    map[string]*exitRecord // callbacks out of line after the customer was not reached; a retry takes the place back
	callbacks CallbackStats
	first     time.Time
	last      time.Time
	count     int

	dayStart, dayEnd time.Time // cache for slot()
}

// bucketKey is the finest grain: one queue, one agent, one interval.
// Agent presence is kept with Queue "" (it belongs to no queue); waiting
// callers before an answer are kept with Agent "".
type bucketKey struct {
	Queue, Agent string
	Start        int64 // interval start, Unix seconds
}

// bucket holds additive counters; every KPI is a ratio of them.
type bucket struct {
	Offered, Answered, Abandoned, ShortAbandoned, TimedOut, Closed, OverflowedOut int
	Overflowed                                                                    int // visits that reached an overflow step (any exit)
	AnsweredWithin, AbandonedWithin, RemovedWithin                                int
	WaitAnswered, LongestWait                                                     time.Duration
	Handled, Transferred                                                          int
	Talk, Hold, ACW                                                               time.Duration
	Rung, NoAnswer                                                                int
	LoggedIn, NotReady, Busy                                                      time.Duration
	NotReadyBy                                                                    map[string]time.Duration
}

type callState struct {
	start    time.Time
	hasStart bool
	flow     string
	node     string
	nodeType string
	visit    *visit
	seg      *segment
	left     *exitRecord // the last visit, if it timed out or was closed: a callback asked in this call may take its place
	// outcome flags
	queued, reachedAgent, abandoned, transferred, selfService bool
	callback                                                  bool // the caller's place went to a callback
}

type visit struct {
	queue      string
	threshold  time.Duration // the group's own SL threshold (queue.enter sl_within_ms); 0: Options.SLThreshold
	enter      time.Time
	slot       int64
	overflowed bool // reached an overflow step (skills widened or groups added)
}

// exitRecord is how a visit was counted when it left the queue, so the
// count can be taken back when a callback takes the place it left.
type exitRecord struct {
	visit         *visit
	kind          exitKind
	at            time.Time
	short, within bool
}

type segment struct {
	queue, agent string
	slot         int64 // interval of the queue entry the call was answered from
	connect, end time.Time
	holdStart    time.Time
	onHold       bool
	hold         time.Duration
	transferred  bool
}

type agentState struct {
	loggedIn bool
	notReady bool
	reason   string
	since    time.Time
}

type nodeKey struct{ flow, node string }

// NewComputer returns an empty Computer.
func NewComputer(opt Options) (*Computer, error) {
	opt, err := opt.withDefaults()
	if err != nil {
		return nil, err
	}
	return &Computer{
		opt:     opt,
		buckets: make(map[bucketKey]*bucket),
		calls:   make(map[string]*callState),
		agents:  make(map[string]*agentState),
		acw:     make(map[string]*segment),
		nodes:   make(map[nodeKey]*NodeStats),
		days:    make(map[int64]*DayTraffic),
		callers: make(map[string]time.Time),
		ended:   events.NewEndedCalls(rememberEnded),

		dialled:  make(map[string]*callState),
		cbVisits: make(map[string]*visit),
		cbLeft:   make(map[string]*exitRecord),
	}, nil
}

func (c *Computer) bucket(queue, agent string, slot int64) *bucket {
	k := bucketKey{queue, agent, slot}
	b := c.buckets[k]
	if b == nil {
		b = &bucket{}
		c.buckets[k] = b
	}
	return b
}

// slot is the start of t's interval in the report's time zone, Unix seconds.
func (c *Computer) slot(t time.Time) int64 {
	if t.Before(c.dayStart) || !t.Before(c.dayEnd) {
		y, m, d := t.In(c.opt.Location).Date()
		c.dayStart = time.Date(y, m, d, 0, 0, 0, 0, c.opt.Location)
		c.dayEnd = time.Date(y, m, d+1, 0, 0, 0, 0, c.opt.Location)
	}
	n := t.Sub(c.dayStart) / c.opt.Interval
	return c.dayStart.Add(n * c.opt.Interval).Unix()
}

// span adds [from, to) to the buckets of (queue, agent), split at interval
// boundaries, through add.
func (c *Computer) span(queue, agent string, from, to time.Time, add func(*bucket, time.Duration)) {
	for from.Before(to) {
		s := c.slot(from)
		end := time.Unix(s, 0).Add(c.opt.Interval)
		if end.After(c.dayEnd) { // a DST day's last interval
			end = c.dayEnd
		}
		if to.Before(end) {
			end = to
		}
		add(c.bucket(queue, agent, s), end.Sub(from))
		from = end
	}
}

func (c *Computer) call(id string) *callState {
	cs := c.calls[id]
	if cs == nil {
		cs = &callState{}
		c.calls[id] = cs
	}
	return cs
}

// Add folds one event in.
func (c *Computer) Add(e events.Event) {
	ts := e.Time
	if c.count == 0 {
		c.first = ts
	}
	c.count++
	if ts.After(c.last) {
		c.last = ts
	}
	switch e.Type {
	case events.AgentState:
		c.agentState(e)
		return
	case events.AgentOffer:
		c.bucket(e.Queue, e.Agent, c.slot(ts)).Rung++
		return
	case events.AgentNoAnswer:
		c.bucket(e.Queue, e.Agent, c.slot(ts)).NoAnswer++
		return
	case events.AgentWrapupEnd:
		c.wrapupEnd(e.Agent, ts)
		return
	}
	if e.CallID == "" || c.callbackEvent(e) || c.ended.Late(e) {
		return
	}
	cs := c.call(e.CallID)
	switch e.Type {
	case events.CallStart:
		c.callStart(cs, e)
	case events.IVRNode:
		cs.node, cs.nodeType = e.Node, e.Data["node_type"]
		n := c.node(cs.flow, e.Node)
		n.Visits++
		if n.Type == "" {
			n.Type = cs.nodeType
		}
		if r := e.Data["result"]; r != "" {
			// The branch a node took on entry (hours: open, closed, holiday).
			if n.Results == nil {
				n.Results = make(map[string]int)
			}
			n.Results[r]++
		}
	case events.IVRDigits:
		// Only menu choices: digits typed at input nodes are account
		// numbers and the like, which a report must not collect. A key
		// that is no option (result=invalid) is no choice; events from
		// before results were recorded have none and count as before.
		if cs.nodeType == "menu" && e.Node == cs.node {
			n := c.node(cs.flow, e.Node)
			switch e.Data["result"] {
			case "", "ok":
				if e.Data["digits"] == "" {
					break
				}
				if n.Choices == nil {
					n.Choices = make(map[string]int)
				}
				n.Choices[e.Data["digits"]]++
			case "invalid":
				n.Invalid++
			case "no_input":
				n.NoInput++
			}
		}
	case events.VoicemailSaved:
		cs.selfService = true
	case events.CallbackRequested:
		cs.selfService = true
		c.callbacks.Requested++
	case events.SelfServiceDone:
		// A failed lookup or a refused callback served nobody.
		if r := e.Data["result"]; r == "" || r == "ok" {
			cs.selfService = true
		}
	case events.QueueEnter:
		if cs.visit != nil {
			// Entered another queue without an exit event: the earlier
			// visit ended there (counted as overflowed out).
			c.closeVisit(cs, ts, exitOverflow, "")
		}
		cs.visit = &visit{queue: e.Queue, enter: ts, slot: c.slot(ts), threshold: slWithin(e)}
		cs.queued = true
	case events.QueueConnect:
		if cs.visit == nil {
			cs.visit = &visit{queue: e.Queue, enter: ts, slot: c.slot(ts)}
		}
		slot, queue := cs.visit.slot, cs.visit.queue
		c.closeVisit(cs, ts, exitAnswered, e.Agent)
		c.startSegment(cs, queue, e.Agent, slot, ts)
		cs.reachedAgent = true
	case events.QueueAbandon:
		c.closeVisit(cs, ts, exitAbandon, "")
	case events.QueueTimeout:
		c.closeVisit(cs, ts, exitTimeout, "")
	case events.QueueOverflow:
		// The ACD's overflow steps widen the skills or add groups while the
		// call keeps its place: the visit goes on and still ends answered,
		// abandoned, timed out or closed. It is flagged, not closed.
		if cs.visit != nil && cs.visit.queue == e.Queue {
			cs.visit.overflowed = true
		}
	case events.QueueClosed:
		if cs.visit != nil {
			c.closeVisit(cs, ts, exitClosed, "")
		} else {
			c.bucket(e.Queue, "", c.slot(ts)).Closed++
		}
	case events.CallHold, events.CallUnhold, events.CallTransfer:
		c.segmentEvent(cs, e)
	case events.CallEnd:
		c.callEnd(e.CallID, cs, e)
		c.ended.Mark(e.CallID)
	}
}

func (c *Computer) node(flow, name string) *NodeStats {
	k := nodeKey{flow, name}
	n := c.nodes[k]
	if n == nil {
		n = &NodeStats{Flow: flow, Node: name}
		c.nodes[k] = n
	}
	return n
}

func (c *Computer) day(t time.Time) *DayTraffic {
	y, m, d := t.In(c.opt.Location).Date()
	k := int64(y)*10000 + int64(m)*100 + int64(d)
	dt := c.days[k]
	if dt == nil {
		dt = &DayTraffic{Day: time.Date(y, m, d, 0, 0, 0, 0, c.opt.Location).Format(time.DateOnly)}
		c.days[k] = dt
	}
	return dt
}

func (c *Computer) callStart(cs *callState, e events.Event) {
	cs.start, cs.hasStart, cs.flow = e.Time, true, e.Data["flow"]
	c.day(e.Time).Inbound++
	from := e.Data["from"]
	if from == "" || from == "anonymous" || from == "unknown" {
		return
	}
	c.repeat.Calls++
	if last, ok := c.callers[from]; ok {
		gap := e.Time.Sub(last)
		if gap <= 24*time.Hour {
			c.repeat.Within24h++
		}
		if gap <= 7*24*time.Hour {
			c.repeat.Within7d++
		}
	}
	c.callers[from] = e.Time
}

type exitKind int

const (
	exitAnswered exitKind = iota
	exitAbandon
	exitTimeout
	exitOverflow
	exitClosed
)

// closeVisit counts cs's open visit as ended at ts by kind. When it timed
// out or was closed, cs remembers how, for a callback that may take its
// place.
func (c *Computer) closeVisit(cs *callState, ts time.Time, kind exitKind, agent string) {
	v := cs.visit
	if v == nil {
		return
	}
	cs.visit = nil
	if kind == exitAbandon {
		cs.abandoned = true
	}
	x := c.countExit(v, ts, kind, agent)
	if kind == exitTimeout || kind == exitClosed {
		cs.left = &x
	}
}

// countExit counts visit v as ended at ts by kind, answered by agent.
func (c *Computer) countExit(v *visit, ts time.Time, kind exitKind, agent string) exitRecord {
	wait := nonNeg(ts.Sub(v.enter))
	threshold := c.opt.SLThreshold
	if v.threshold > 0 && !c.opt.ForceSLThreshold {
		threshold = v.threshold
	}
	x := exitRecord{visit: v, kind: kind, at: ts, within: wait <= threshold}
	if kind == exitAbandon && wait < c.opt.ShortAbandon {
		x.short = true
		c.bucket(v.queue, "", v.slot).ShortAbandoned++
		return x
	}
	b := c.bucket(v.queue, agent, v.slot)
	b.Offered++
	if v.overflowed {
		b.Overflowed++
	}
	b.LongestWait = max(b.LongestWait, wait)
	within := x.within
	if within {
		b.RemovedWithin++
	}
	switch kind {
	case exitAnswered:
		b.Answered++
		b.WaitAnswered += wait
		if within {
			b.AnsweredWithin++
		}
	case exitAbandon:
		b.Abandoned++
		if within {
			b.AbandonedWithin++
		}
	case exitTimeout:
		b.TimedOut++
	case exitOverflow:
		b.OverflowedOut++
	case exitClosed:
		b.Closed++
	}
	return x
}

// uncount takes back how an unanswered visit was counted when it left the
// queue: a callback took its place, so the visit goes on. Its wait stays
// in the longest wait, which the going-on visit only lengthens.
func (c *Computer) uncount(x *exitRecord) {
	v := x.visit
	b := c.bucket(v.queue, "", v.slot)
	if x.short {
		b.ShortAbandoned--
		return
	}
	b.Offered--
	if v.overflowed {
		b.Overflowed--
	}
	if x.within {
		b.RemovedWithin--
	}
	switch x.kind {
	case exitAbandon:
		b.Abandoned--
		if x.within {
			b.AbandonedWithin--
		}
	case exitTimeout:
		b.TimedOut--
	case exitOverflow:
		b.OverflowedOut--
	case exitClosed:
		b.Closed--
	}
}

func (c *Computer) callEnd(id string, cs *callState, e events.Event) {
	ts := e.Time
	if cs.visit != nil {
		// The ACD never reported the exit: the caller hung up waiting.
		c.closeVisit(cs, ts, exitAbandon, "")
	}
	if cs.seg != nil {
		c.endSegment(cs, ts, false)
	}
	delete(c.calls, id)
	c.outcome.Total++
	by := e.Data["by"]
	switch {
	case cs.reachedAgent:
		c.outcome.Agent++
	case cs.transferred:
		c.outcome.Transferred++
	case cs.selfService || (by != "caller" && !cs.abandoned):
		c.outcome.SelfService++
	case cs.abandoned:
		c.outcome.Abandoned++
	default:
		c.outcome.DroppedInIVR++
		node := cs.node
		if node == "" {
			node = e.Node
		}
		if node == "" {
			node = e.Data["node"]
		}
		if node != "" {
			c.node(cs.flow, node).DropOffs++
		}
	}
	if cs.hasStart {
		d := c.day(cs.start)
		switch {
		case cs.reachedAgent:
			d.Answered++
		case cs.queued && !cs.callback:
			d.Missed++
		}
	}
}

// Result closes what is still open and returns the metrics. Agents still
// logged in are counted up to opt.To (or the last event); calls still in
// progress are left out; wrap-ups never ended count as no ACW. For a live
// report pass Options.To = now.
func (c *Computer) Result() *Result {
	end := c.opt.To
	if end.IsZero() {
		end = c.last
	}
	for id, a := range c.agents {
		c.closeAgentSpan(id, a, end)
		a.since = end
	}
	for agent, s := range c.acw {
		c.handled(s, 0)
		delete(c.acw, agent)
	}
	c.outcome.InProgress = len(c.calls)
	c.callbacks.Waiting = len(c.cbVisits)
	return newResult(c)
}

func nonNeg(d time.Duration) time.Duration { return max(d, 0) }

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// slWithin is the group's service-level threshold a queue.enter carries
// (sl_within_ms); 0 when it carries none (an older log, a group without a
// target).
func slWithin(e events.Event) time.Duration {
	ms, err := strconv.ParseInt(e.Data["sl_within_ms"], 10, 64)
	if err != nil || ms <= 0 {
		return 0
	}
	return time.Duration(ms) * time.Millisecond
}
