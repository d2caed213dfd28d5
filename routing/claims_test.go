package routing

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/internal/clock"
)

// arbiter grants each agent to one call at a time across ACDs, as the
// Redis adapter does, and tells the other ACDs when an agent is let go.
type arbiter struct {
	mu     sync.Mutex
	holder map[string]string
	claims int
	last   ClaimRequest
	freed  []string // agents released, for the test to pass on
	refuse bool     // the arbiter cannot be asked
}

func (ar *arbiter) Claim(c ClaimRequest) bool {
	ar.mu.Lock()
	defer ar.mu.Unlock()
	agentID, callID := c.AgentID, c.CallID
	ar.claims++
	ar.last = c
	if ar.refuse {
		return false
	}
	if h, ok := ar.holder[agentID]; ok && h != callID {
		return false
	}
	ar.holder[agentID] = callID
	return true
}

func (ar *arbiter) Release(agentID, callID string) {
	ar.mu.Lock()
	defer ar.mu.Unlock()
	if ar.holder[agentID] == callID {
		delete(ar.holder, agentID)
		ar.freed = append(ar.freed, agentID)
	}
}

func (ar *arbiter) takeFreed() []string {
	ar.mu.Lock()
	defer ar.mu.Unlock()
	f := ar.freed
	ar.freed = nil
	return f
}

// Two ACDs share agent a1 through the arbiter: while one node's call holds
// a1 (ringing, talking, wrapping up), the other node's call waits; once a1
// is idle again, AgentFreed lets the other node offer it at once.
func TestClaimsShareAnAgentAcrossACDs(t *testing.T) {
	clk := clock.NewVirtual(t0)
	ar := &arbiter{holder: map[string]string{}}
	cfg := Config{
		Groups: map[string]GroupConfig{"g": {WrapUp: Duration(10 * time.Second)}},
		Agents: []AgentConfig{ag("a1", nil, "ready"), ag("a2", nil, "not_ready")},
	}
	nodes := make([]*ACD, 2)
	for i := range nodes {
		acd, err := New(cfg, Options{Clock: clk, Claims: ar})
		if err != nil {
			t.Fatal(err)
		}
		nodes[i] = acd
	}
	ctx := context.Background()
	enqueue := func(acd *ACD, id string) *Ticket {
		tk, err := acd.Enqueue(ctx, Request{CallID: id, Group: "g"})
		if err != nil {
			t.Fatal(err)
		}
		return tk
	}
	offerOf := func(tk *Ticket) (Offer, bool) {
		select {
		case o := <-tk.Offers():
			return o, true
		default:
			return Offer{}, false
		}
	}
	c1 := enqueue(nodes[0], "c1")
	o1, ok := offerOf(c1)
	if !ok || o1.Agents[0].AgentID != "a1" {
		t.Fatalf("node 0: no offer of a1 (%v)", o1)
	}
	c2 := enqueue(nodes[1], "c2")
	if o, ok := offerOf(c2); ok {
		t.Fatalf("node 1 offered %v while node 0's call holds a1", agentIDs(o))
	}
	if s, _ := nodes[1].Agent("a1"); s.RestUntil.IsZero() {
		t.Fatal("node 1 does not skip a1 after the refused claim")
	}
	c1.Answered(o1, "a1")
	// Retries while a1 talks are refused again: no offer.
	clk.Advance(ClaimRetry)
	nodes[1].lock()
	nodes[1].unlock()
	if o, ok := offerOf(c2); ok {
		t.Fatalf("node 1 offered %v while a1 talks on node 0", agentIDs(o))
	}
	c1.Finish("caller")
	clk.Advance(5 * time.Second)
	if f := ar.takeFreed(); len(f) != 0 {
		t.Fatalf("a1 freed during wrap-up: %v", f)
	}
	clk.Advance(5 * time.Second) // wrap-up over on node 0
	nodes[0].lock()
	nodes[0].unlock()
	freed := ar.takeFreed()
	if len(freed) != 1 || freed[0] != "a1" {
		t.Fatalf("freed %v after wrap-up; want a1", freed)
	}
	nodes[1].AgentFreed(ctx, "a1")
	o2, ok := offerOf(c2)
	if !ok || o2.Agents[0].AgentID != "a1" {
		t.Fatalf("node 1: no offer of a1 after AgentFreed (%v)", o2)
	}
	// Node 0's own a1 is now node 1's: a new call there waits.
	c3 := enqueue(nodes[0], "c3")
	if o, ok := offerOf(c3); ok {
		t.Fatalf("node 0 offered %v while node 1 holds a1", agentIDs(o))
	}
	// A miss on node 1 releases a1 without waiting for wrap-up.
	c2.Missed(o2, map[string]string{"a1": "timeout"})
	if f := ar.takeFreed(); len(f) != 1 {
		t.Fatalf("freed %v after a miss; want a1", f)
	}
}

// When the arbiter cannot be asked, nothing is offered, and the agent is
// looked at again after ClaimRetry (not in a busy loop).
func TestClaimsRefusedRetriesLater(t *testing.T) {
	clk := clock.NewVirtual(t0)
	ar := &arbiter{holder: map[string]string{}, refuse: true}
	acd, err := New(Config{
		Groups: map[string]GroupConfig{"g": {}},
		Agents: []AgentConfig{ag("a1", nil, "ready"), ag("a2", nil, "ready")},
	}, Options{Clock: clk, Claims: ar})
	if err != nil {
		t.Fatal(err)
	}
	tk, err := acd.Enqueue(context.Background(), Request{CallID: "c1", Group: "g"})
	if err != nil {
		t.Fatal(err)
	}
	if ar.claims != 2 {
		t.Fatalf("%d claims; want one per agent", ar.claims)
	}
	ar.mu.Lock()
	ar.refuse = false
	ar.mu.Unlock()
	clk.Advance(ClaimRetry - time.Millisecond)
	acd.lock()
	acd.unlock()
	select {
	case <-tk.Offers():
		t.Fatal("offered before ClaimRetry")
	default:
	}
	clk.Advance(time.Millisecond)
	acd.lock()
	acd.unlock()
	select {
	case <-tk.Offers():
	default:
		t.Fatal("no offer after ClaimRetry")
	}
}

// A claim carries what the arbiter needs to keep calls in order across
// ACDs: the call's priority and place in line (a callback keeps its
// caller's) and the groups the agent serves.
func TestClaimCarriesPlaceAndGroups(t *testing.T) {
	clk := clock.NewVirtual(t0)
	ar := &arbiter{holder: map[string]string{}}
	acd, err := New(Config{
		Groups: map[string]GroupConfig{
			"billing": {Skills: map[string]int{"billing": 1}},
			"repair":  {Skills: map[string]int{"repair": 1}},
			"sales":   {Skills: map[string]int{"sales": 1}},
		},
		Agents: []AgentConfig{
			ag("a1", map[string]int{"billing": 1, "repair": 2}, "ready"),
			ag("a2", map[string]int{"sales": 1}, "ready"),
		},
	}, Options{Clock: clk, Claims: ar})
	if err != nil {
		t.Fatal(err)
	}
	place := t0.Add(-2 * time.Minute)
	req := Request{CallID: "cb1", Group: "repair", Priority: 3, EnqueuedAt: place, Callback: true}
	if err := acd.RequestCallback(context.Background(), req, "+8610"); err != nil {
		t.Fatal(err)
	}
	got := ar.last
	if got.AgentID != "a1" || got.CallID != "cb1" || got.Priority != 3 || !got.Place.Equal(place) {
		t.Fatalf("claim %+v; want a1 for cb1 at priority 3, place %v", got, place)
	}
	if want := []string{"billing", "repair"}; !slices.Equal(got.Groups, want) {
		t.Fatalf("claim's groups %v; want %v", got.Groups, want)
	}
}
