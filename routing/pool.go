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
type agentHeap []*membership

func (h agentHeap) Len() int { return len(h) }

func (h agentHeap) less(i, j int) bool {
	a, b := h[i], h[j]
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

func (h agentHeap) swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index = i
	h[j].index = j
}

func (h *agentHeap) push(m *membership) {
	m.index = len(*h)
	*h = append(*h, m)
	h.up(m.index)
}

func (h *agentHeap) remove(m *membership) {
	i := m.index
	if i < 0 {
		return
	}
	n := len(*h) - 1
	if i != n {
		h.swap(i, n)
	}
	(*h)[n] = nil
	*h = (*h)[:n]
	m.index = -1
	if i != n {
		if !h.down(i) {
			h.up(i)
		}
	}
}

func (h agentHeap) up(j int) {
	for j > 0 {
		i := (j - 1) / 2
		if !h.less(j, i) {
			break
		}
		h.swap(i, j)
		j = i
	}
}

func (h agentHeap) down(i0 int) bool {
	i, n := i0, len(h)
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		j := l
		if r := l + 1; r < n && h.less(r, l) {
			j = r
		}
		if !h.less(j, i) {
			break
		}
		h.swap(i, j)
		i = j
	}
	return i > i0
}

// callHeap orders a pool's waiting calls: higher priority first, then the
// earlier place in line (EnqueuedAt), then arrival order.
type callHeap []*entry

func (h callHeap) Len() int { return len(h) }

func (h callHeap) less(i, j int) bool { return h[i].t.ahead(h[j].t) }

func (h callHeap) swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index = i
	h[j].index = j
}

func (h *callHeap) push(e *entry) {
	e.index = len(*h)
	*h = append(*h, e)
	h.up(e.index)
}

func (h *callHeap) remove(e *entry) {
	i := e.index
	if i < 0 {
		return
	}
	n := len(*h) - 1
	if i != n {
		h.swap(i, n)
	}
	(*h)[n] = nil
	*h = (*h)[:n]
	e.index = -1
	if i != n {
		if !h.down(i) {
			h.up(i)
		}
	}
}

func (h callHeap) up(j int) {
	for j > 0 {
		i := (j - 1) / 2
		if !h.less(j, i) {
			break
		}
		h.swap(i, j)
		j = i
	}
}

func (h callHeap) down(i0 int) bool {
	i, n := i0, len(h)
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		j := l
		if r := l + 1; r < n && h.less(r, l) {
			j = r
		}
		if !h.less(j, i) {
			break
		}
		h.swap(i, j)
		i = j
	}
	return i > i0
}
