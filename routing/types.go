package routing

import "time"

// Endpoint is where an agent is rung: the transport knows how to dial URI
// ("sip:1001@127.0.0.1:5062" for the native SIP registrar's binding, or
// "PJSIP/1001" for Asterisk). Value type shared with ivr and the transports.
type Endpoint struct {
	AgentID string `json:"agent_id"`
	Name    string `json:"name,omitempty"`
	URI     string `json:"uri"`
}

// Request asks the ACD to find an agent for a call.
type Request struct {
	CallID   string
	Caller   string // caller's number, for the agent's display and callbacks
	Group    string // skill group (queue) name from the configuration
	Skills   map[string]int
	Priority int           // higher is served first; FIFO within a priority
	MaxWait  time.Duration // 0: the group's max wait
	// EnqueuedAt is the caller's original place in line; zero means now. A
	// callback re-enters with the time its caller first queued.
	EnqueuedAt time.Time
	Callback   bool // a virtual-hold callback rather than a caller on the line
	// OutsideHours lets a callback be offered while the group's calendar
	// is closed (agents working late). Without it a callback waits, not
	// offered to anyone, until the group's calendar opens.
	OutsideHours bool
	// Overflow widens Skills while the call waits (the queue node's own
	// overflow steps): once the call has waited a step's After, the
	// levels it names replace those of Skills (0 drops the skill). Steps
	// are cumulative, in order of After, and only lower levels. They add
	// to the group's own overflow steps: the call's requirement is always
	// the group's current one merged with these current extra skills.
	Overflow []SkillStep
}

// SkillStep is one of a Request's own overflow steps.
type SkillStep struct {
	After  time.Duration
	Skills map[string]int
}

// Offer is the ACD's decision: these agents (one, or several for ring_all)
// are reserved for the call and should be rung for at most RingTimeout.
type Offer struct {
	ID          string
	Group       string
	Agents      []Endpoint
	RingTimeout time.Duration

	off *offer // the ACD's reservation behind it, for Withdrawn
}

// Withdrawn returns a channel that is closed when the ACD takes the offer
// back before anyone reported on it (a rung agent logged out): the
// transport stops ringing at once and reports nothing; the call is back at
// its place and its next offer comes on Offers. It is nil for an Offer the
// ACD did not make. The channel is made on the first call, so offers
// nobody watches cost nothing.
func (o Offer) Withdrawn() <-chan struct{} {
	if o.off == nil {
		return nil
	}
	return o.off.t.acd.withdrawnChan(o.off)
}

// ExitReason says why a call left a queue. Every call that enters a queue
// leaves it exactly once with one of these.
type ExitReason int

const (
	Answered ExitReason = iota + 1
	Abandoned
	TimedOut
	Overflowed
	Closed
)

func (r ExitReason) String() string {
	switch r {
	case Answered:
		return "answered"
	case Abandoned:
		return "abandoned"
	case TimedOut:
		return "timeout"
	case Overflowed:
		return "overflow"
	case Closed:
		return "closed"
	}
	return "unknown"
}

// Status is what a waiting caller can be told.
type Status struct {
	Position      int           // 1 is next in line
	EstimatedWait time.Duration // from recent answer times; 0 when unknown
	Waited        time.Duration
}
