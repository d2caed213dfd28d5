package routing

import (
	"sort"
	"strconv"
	"strings"
)

// A pool is the routing index for one (skill requirement, strategy) pair:
// the free agents that meet the requirement, ordered by the strategy, and
// the calls waiting for such an agent, ordered by priority then place in
// line. Groups, overflow steps and per-call extra skills all map onto pools,
// and groups with the same requirement and strategy share one. A routing
// decision looks at the heads of a few pools, never at every agent.
type pool struct {
	key      string
	req      requirement
	strategy Strategy
	agents   agentHeap // free members, best first
	calls    callHeap  // waiting entries, first in line first
	members  map[*agent]*membership
	baseOf   []*group // groups whose own requirement this is
	loggedIn int      // members not logged out
	rrSeq    uint64   // round_robin: offers made from this pool
	// byPriority counts waiting entries per priority, so a new call's
	// position is found without scanning the line.
	byPriority map[int]int
}

// requirement is a canonical (sorted) list of skill minimums.
type requirement []skillMin

type skillMin struct {
	skill string
	min   int
}

func newRequirement(skills map[string]int) requirement {
	req := make(requirement, 0, len(skills))
	for s, l := range skills {
		if l > 0 {
			req = append(req, skillMin{s, l})
		}
	}
	sort.Slice(req, func(i, j int) bool { return req[i].skill < req[j].skill })
	return req
}

func (r requirement) String() string {
	var b strings.Builder
	for i, s := range r {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(s.skill)
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(s.min))
	}
	return b.String()
}

// merge returns the requirement with each skill at the higher of the two
// minimums.
func mergeSkills(a map[string]int, b map[string]int) map[string]int {
	out := cloneSkills(a)
	for s, l := range b {
		if l > out[s] {
			out[s] = l
		}
	}
	return out
}

func poolKey(req requirement, s Strategy) string { return req.String() + "|" + string(s) }

// membership is an agent's place in one pool's ready index.
type membership struct {
	ag    *agent
	pool  *pool
	index int    // in pool.agents; -1 when not there
	score int    // skill_level: sum of the agent's levels in the required skills
	rr    uint64 // round_robin: pool.rrSeq when last offered from this pool
}

// entry is a call's place in one pool's line, reached through group (whose
// ring timeout and wrap-up apply to an offer made from it).
type entry struct {
	t     *Ticket
	pool  *pool
	group *group
	index int // in pool.calls; -1 when not there
}

// agentHeap orders a pool's free agents by the pool's strategy. Keys only
// change while an agent is out of the heap (busy), so the order holds.
type agentHeap = indexedHeap[*membership]

func (a *membership) before(b *membership) bool {
	x, y := a.ag, b.ag
	switch a.pool.strategy {
	case FewestCalls:
		if x.calls != y.calls {
			return x.calls < y.calls
		}
	case LeastTalkTime:
		if x.talk != y.talk {
			return x.talk < y.talk
		}
	case RoundRobin:
		if a.rr != b.rr {
			return a.rr < b.rr
		}
		return x.order < y.order
	case SkillLevel:
		if a.score != b.score {
			return a.score > b.score
		}
	}
	if !x.idleSince.Equal(y.idleSince) {
		return x.idleSince.Before(y.idleSince)
	}
	return x.order < y.order
}

func (m *membership) heapIndex() int     { return m.index }
func (m *membership) setHeapIndex(i int) { m.index = i }

// callHeap orders a pool's waiting calls: higher priority first, then the
// earlier place in line (EnqueuedAt), then arrival order.
type callHeap = indexedHeap[*entry]

func (e *entry) before(o *entry) bool { return e.t.ahead(o.t) }
func (e *entry) heapIndex() int       { return e.index }
func (e *entry) setHeapIndex(i int)   { e.index = i }
