package events

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// QueueLogWriter turns events into Asterisk queue_log lines,
//
//	epoch|callid|queue|agent|EVENT|data1|data2|...
//
// so reporting tools written for Asterisk queues read Switchboard's log.
// Feed it events in time order (a Reader's Scan does that). Durations are
// whole seconds, as Asterisk writes them, except RINGNOANSWER (ms).
//
// Mapping (Asterisk's data fields in parentheses):
//
//	queue.enter     ENTERQUEUE(url|callerid|position)
//	queue.connect   CONNECT(holdtime|bridgedchanneluniqueid|ringtime)
//	call.end        COMPLETEAGENT or COMPLETECALLER(holdtime|calltime|origposition) when connected
//	call.transfer   BLINDTRANSFER(extension|context|holdtime|calltime|origposition) when connected:
//	                the agent's calltime stops at the transfer, nothing after it is charged to them
//	queue.abandon   ABANDON(position|origposition|waittime)
//	queue.timeout   EXITWITHTIMEOUT(position|origposition|waittime)
//	queue.overflow  INFO(OVERFLOW|step|to): a step, the caller stays in the queue
//	queue.closed    EXITEMPTY(position|origposition|waittime) when the call was in the queue
//	agent.noanswer  RINGNOANSWER(ringtime_ms)
//	call.hold       CALLERONHOLD(agent), call.unhold CALLEROFFHOLD(holdseconds) (QueueMetrics' verbs)
//	agent.state     login: AGENTLOGIN(channel) + ADDMEMBER(""); logout: REMOVEMEMBER("") +
//	                AGENTLOGOFF(channel|logintime); not_ready: PAUSE(reason); ready: UNPAUSE(reason)
//	agent.wrapup_end INFO(WRAPUPEND|acwseconds)
//	call.start      INFO(CALLSTART|from|to|flow)   — every call has at least this row;
//	                a dialled call (direction outbound): INFO(DIALOUT|to|kind|attempt)
//	ivr.node        INFO(IVRAPPEND|node)
//	ivr.digits      INFO(IVRAPPEND|node:digits)
//	selfservice.done, voicemail.saved, callback.requested  INFO(IVRAPPEND|node:<type>)
//
// Rows with no call use callid NONE; rows with no queue or agent use NONE,
// as Asterisk does. '|', newlines, other control characters and invalid UTF-8
// inside values become '_'.
//
// Callbacks (virtual hold) keep the call ID of the call that asked for
// them. The caller hanging up while the callback waits writes no ABANDON;
// the callback's ENTERQUEUE carries the number to call as callerid; its
// CONNECT holdtime runs from the place it keeps (the caller's first
// ENTERQUEUE after a timeout or closing in the same queue within 30
// minutes, or the callback's own after a failed attempt), as the report's
// ASA does; and the COMPLETE row comes at the end of the dialled leg, not
// of the caller's call. Rows are facts written in time order and cannot be
// taken back, so where the report counts one visit (a timeout whose place
// went to a callback, a failed attempt that was retried) the queue_log
// shows EXITWITHTIMEOUT or ABANDON followed by a second ENTERQUEUE.
type QueueLogWriter struct {
	w      *bufio.Writer
	calls  map[string]*qlCall
	logins map[string]time.Time // agent -> login time
	acw    map[string]acwStart  // agent -> when their last call left them
	err    error
}

type acwStart struct {
	at    time.Time
	queue string
}

type qlCall struct {
	from      string
	queue     string // queue of the open visit or connected segment
	enter     time.Time
	origPos   string
	offer     time.Time
	agent     string // connected agent, "" when none
	connect   time.Time
	holdStart time.Time
	waitSecs  int64
	inQueue   bool

	inbound, outbound bool    // legs open under this call ID (a callback has both)
	callback          bool    // the visit or the agent's call is a callback's
	left              qlPlace // where the last unanswered visit left: a callback may keep it
}

// qlPlace is a place in line a callback may take back.
type qlPlace struct {
	queue, origPos string
	enter, at      time.Time
	callback       bool // left by a callback whose customer was not reached
}

// keptPlace mirrors routing's rememberPlace: how long after a timeout or a
// closing a callback asked in the same call keeps the caller's place.
const keptPlace = 30 * time.Minute

// NewQueueLogWriter writes queue_log lines to w; call Close to flush.
func NewQueueLogWriter(w io.Writer) *QueueLogWriter {
	return &QueueLogWriter{
		w:      bufio.NewWriterSize(w, 64<<10),
		calls:  make(map[string]*qlCall),
		logins: make(map[string]time.Time),
		acw:    make(map[string]acwStart),
	}
}

// ExportQueueLog writes every event of r in [from, to) as queue_log lines.
func ExportQueueLog(ctx context.Context, r Reader, from, to time.Time, w io.Writer) error {
	q := NewQueueLogWriter(w)
	if err := r.Scan(ctx, from, to, q.Write); err != nil {
		return fmt.Errorf("export queue_log: %w", err)
	}
	return q.Close()
}

// Close flushes the buffered lines.
func (q *QueueLogWriter) Close() error {
	if q.err != nil {
		return q.err
	}
	return q.w.Flush()
}

func (q *QueueLogWriter) call(id string) *qlCall {
	c := q.calls[id]
	if c == nil {
		c = &qlCall{}
		q.calls[id] = c
	}
	return c
}

// Write converts one event; it returns the first write error.
func (q *QueueLogWriter) Write(e Event) error {
	if q.err != nil {
		return q.err
	}
	ts := e.Time
	secs := func(from time.Time) int64 {
		if from.IsZero() {
			return 0
		}
		return max(ts.Unix()-from.Unix(), 0)
	}
	var c *qlCall
	if e.CallID != "" {
		c = q.call(e.CallID)
	}
	queue := e.Queue
	switch e.Type {
	case CallStart:
		if Outbound(e) {
			c.outbound = true
			q.line(e, "NONE", "NONE", "INFO", "DIALOUT", e.Data["to"], e.Data["kind"], e.Data["attempt"])
			break
		}
		c.inbound, c.from = true, e.Data["from"]
		q.line(e, "NONE", "NONE", "INFO", "CALLSTART", e.Data["from"], e.Data["to"], e.Data["flow"])
	case IVRNode:
		q.line(e, "NONE", "NONE", "INFO", "IVRAPPEND", e.Node)
	case IVRDigits:
		q.line(e, "NONE", "NONE", "INFO", "IVRAPPEND", e.Node+":"+e.Data["digits"])
	case SelfServiceDone, VoicemailSaved, CallbackRequested:
		q.line(e, "NONE", "NONE", "INFO", "IVRAPPEND", e.Node+":"+string(e.Type))
	case QueueEnter:
		c.queue, c.enter, c.inQueue, c.agent = queue, ts, true, ""
		c.origPos = orDefault(e.Data["position"], "1")
		c.callback = e.Data["callback"] == "1"
		callerID := c.from
		if c.callback {
			callerID = orDefault(e.Data["number"], c.from)
			if l := c.left; l.queue == queue && (l.callback || ts.Sub(l.at) <= keptPlace) {
				c.enter, c.origPos = l.enter, l.origPos
			}
		}
		c.left = qlPlace{}
		q.line(e, queue, "NONE", "ENTERQUEUE", "", callerID, c.origPos)
	case AgentOffer:
		c.offer = ts
	case AgentNoAnswer:
		ring := e.Data["ring_ms"]
		if ring == "" {
			ring = strconv.FormatInt(ts.Sub(c.offer).Milliseconds(), 10)
		}
		q.line(e, queue, e.Agent, "RINGNOANSWER", ring)
	case QueueConnect:
		ring := int64(0)
		if ms, err := strconv.ParseInt(e.Data["ring_ms"], 10, 64); err == nil {
			ring = ms / 1000
		} else if !c.offer.IsZero() {
			ring = secs(c.offer)
		}
		c.waitSecs = secs(c.enter)
		c.agent, c.connect, c.inQueue = e.Agent, ts, false
		q.line(e, queue, e.Agent, "CONNECT", itoa(c.waitSecs), e.CallID+"."+e.Agent, itoa(ring))
	case QueueAbandon:
		c.leave(ts, c.callback)
		q.line(e, queue, "NONE", "ABANDON", orDefault(e.Data["position"], c.origPos), c.origPos, itoa(secs(c.enter)))
	case QueueTimeout:
		c.leave(ts, false)
		q.line(e, queue, "NONE", "EXITWITHTIMEOUT", orDefault(e.Data["position"], c.origPos), c.origPos, itoa(secs(c.enter)))
	case QueueOverflow:
		// An overflow step widens the search; the caller keeps waiting.
		q.line(e, queue, "NONE", "INFO", "OVERFLOW", e.Data["step"], e.Data["to"])
	case QueueClosed:
		if c.inQueue {
			c.leave(ts, false)
			q.line(e, queue, "NONE", "EXITEMPTY", orDefault(e.Data["position"], c.origPos), c.origPos, itoa(secs(c.enter)))
		} else {
			q.line(e, queue, "NONE", "INFO", "CLOSED", e.Data["reason"])
		}
	case CallHold:
		if c.agent != "" {
			c.holdStart = ts
			q.line(e, c.queue, c.agent, "CALLERONHOLD", c.agent)
		}
	case CallUnhold:
		if c.agent != "" && !c.holdStart.IsZero() {
			q.line(e, c.queue, c.agent, "CALLEROFFHOLD", itoa(secs(c.holdStart)))
			c.holdStart = time.Time{}
		}
	case CallTransfer:
		if c.agent != "" {
			q.line(e, c.queue, c.agent, "BLINDTRANSFER", e.Data["target"], orDefault(e.Data["kind"], "blind"),
				itoa(c.waitSecs), itoa(secs(c.connect)), c.origPos)
			q.acw[c.agent] = acwStart{ts, c.queue}
			c.agent = "" // the agent is not charged for what follows
		} else {
			q.line(e, "NONE", "NONE", "INFO", "IVRAPPEND", e.Node+":transfer:"+e.Data["target"])
		}
	case CallEnd:
		// A callback's agent and waiting visit belong to its dialled leg:
		// the caller's own call ending touches neither.
		dialled := c.outbound && (!c.inbound || EndsDialledLeg(e))
		if dialled {
			c.outbound = false
		} else {
			c.inbound = false
		}
		if c.agent != "" && dialled == c.callback {
			verb := "COMPLETECALLER"
			// Who ended the conversation, which is not always who ended
			// the call: after an agent's hang-up the flow may play on.
			if e.Data["talk_ended_by"] == "agent" || (e.Data["talk_ended_by"] == "" && e.Data["by"] == "agent") {
				verb = "COMPLETEAGENT"
			}
			q.line(e, c.queue, c.agent, verb, itoa(c.waitSecs), itoa(secs(c.connect)), c.origPos)
			q.acw[c.agent] = acwStart{ts, c.queue}
			c.agent = ""
		} else if c.inQueue && !c.callback {
			// The ACD did not report the exit: the caller was still waiting.
			q.line(e, c.queue, "NONE", "ABANDON", c.origPos, c.origPos, itoa(secs(c.enter)))
			c.inQueue = false
		}
		if !c.inbound && !c.outbound && !(c.inQueue && c.callback) && !c.left.callback {
			delete(q.calls, e.CallID)
		}
	case AgentWrapupEnd:
		start := q.acw[e.Agent]
		delete(q.acw, e.Agent)
		q.line(e, orDefault(queue, start.queue), e.Agent, "INFO", "WRAPUPEND", itoa(secs(start.at)))
	case AgentState:
		q.agentState(e)
	}
	return q.err
}

// leave records where an unanswered visit left the line.
func (c *qlCall) leave(at time.Time, callbackUnreached bool) {
	c.inQueue = false
	c.left = qlPlace{queue: c.queue, origPos: c.origPos, enter: c.enter, at: at, callback: callbackUnreached}
}

func (q *QueueLogWriter) agentState(e Event) {
	agent, queue := e.Agent, orDefault(e.Queue, "NONE")
	channel := orDefault(e.Data["channel"], agent)
	switch e.Data["state"] {
	case "login":
		q.logins[agent] = e.Time
		q.line(e, "NONE", agent, "AGENTLOGIN", channel)
		q.line(e, queue, agent, "ADDMEMBER", "")
	case "logout":
		var loggedIn int64
		if t, ok := q.logins[agent]; ok {
			loggedIn = max(e.Time.Unix()-t.Unix(), 0)
			delete(q.logins, agent)
		}
		q.line(e, queue, agent, "REMOVEMEMBER", "")
		q.line(e, "NONE", agent, "AGENTLOGOFF", channel, itoa(loggedIn))
	case "not_ready":
		q.line(e, queue, agent, "PAUSE", e.Data["reason"])
	case "ready":
		q.line(e, queue, agent, "UNPAUSE", e.Data["reason"])
	}
}

// line writes one row; callid comes from e (NONE when empty).
func (q *QueueLogWriter) line(e Event, queue, agent, verb string, data ...string) {
	if q.err != nil {
		return
	}
	b := q.w
	b.WriteString(strconv.FormatInt(e.Time.Unix(), 10))
	b.WriteByte('|')
	b.WriteString(clean(orDefault(e.CallID, "NONE")))
	b.WriteByte('|')
	b.WriteString(clean(orDefault(queue, "NONE")))
	b.WriteByte('|')
	b.WriteString(clean(orDefault(agent, "NONE")))
	b.WriteByte('|')
	b.WriteString(verb)
	for _, d := range data {
		b.WriteByte('|')
		b.WriteString(clean(d))
	}
	_, q.err = b.WriteString("\n")
}

// clean makes a value safe for one queue_log field: '|' (the separator),
// newlines, every other control character (NUL, escape sequences a
// terminal would run, DEL, C1) and invalid UTF-8 become '_'. Callers'
// numbers and IDs come from the network.
func clean(s string) string {
	if !needsClean(s) {
		return s
	}
	return strings.Map(func(r rune) rune {
		if r == '|' || r == utf8.RuneError || unicode.IsControl(r) {
			return '_'
		}
		return r
	}, s)
}

func needsClean(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '|' || c >= 0x7f {
			return true // >= 0x7f: DEL, or non-ASCII to look at rune by rune
		}
	}
	return false
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
