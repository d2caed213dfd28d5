package ivr_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/events"
	"github.com/switchboard-cc/switchboard/flows"
	"github.com/switchboard-cc/switchboard/internal/clock"
	"github.com/switchboard-cc/switchboard/ivr"
	. "github.com/switchboard-cc/switchboard/ivr/ivrtest"
	"github.com/switchboard-cc/switchboard/routing"
)

// With the real ACD: an agent who logs out while their phone rings stops
// ringing at once (the queue node cancels the transport's ring when the
// ACD withdraws the offer), and the next agent gets the call then — not
// after the 28 s ring timeout.
func TestQueueOfferWithdrawnAtLogout(t *testing.T) {
	b := NewFlow("test", "en", "100")
	queueFlow(flows.Announce{})(b)
	w := newACDWorld(t, routing.Config{
		Groups: map[string]routing.GroupConfig{"billing": {RingTimeout: routing.Duration(28 * time.Second)}},
		Agents: []routing.AgentConfig{
			{ID: "a1", Endpoint: "fake:a1", State: "ready"},
			{ID: "a2", Endpoint: "fake:a2", State: "ready"},
		},
	}, b.Flow())
	call := w.call(map[string]Agent{
		"a1": {Behavior: NoAnswer},
		"a2": {AnswerAfter: 2 * time.Second, Talk: 10 * time.Second},
	})
	start := w.clk.Now()
	w.clk.AfterFunc(3*time.Second, func() {
		if err := w.acd.Logout(context.Background(), "a1", "supervisor:mei", "end_of_shift"); err != nil {
			t.Errorf("Logout: %v", err)
		}
	})
	w.runToBye(t, call)
	var connected *events.Event
	for _, e := range w.rec.Events() {
		switch {
		case e.Type == events.QueueConnect:
			connected = &e
		case e.Type == events.AgentNoAnswer:
			t.Errorf("agent.noanswer %+v: a logout is not a missed call", e)
		}
	}
	if connected == nil || connected.Agent != "a2" {
		t.Fatalf("queue.connect %+v; want a2", connected)
	}
	if at := connected.Time.Sub(start); at != 5*time.Second {
		t.Errorf("a2 answered at +%v; want +5s (withdrawn at +3s, 2 s to answer), not after the 28 s ring", at)
	}
}

// With the real ACD: the queue node's own overflow steps reach the router —
// a call for English 3 that widens to English 1 after 120 s waits while
// only an English 1 agent is ready (instead of taking on_closed) and is
// connected at 120 s.
func TestQueueNodeOverflowWithTheACD(t *testing.T) {
	b := NewFlow("test", "en", "100")
	b.Node("english", "bye", &flows.QueueSpec{Group: "support", Skills: map[string]int{"english": 3},
		Overflow: []flows.QueueStep{{After: 120 * time.Second, Skills: map[string]int{"english": 1}}},
		OnClosed: b.Ref("closed")})
	b.Node("closed", "", &flows.PlaySpec{Prompts: P("closed")})
	b.Node("bye", "", &flows.PlaySpec{Prompts: P("goodbye")})
	w := newACDWorld(t, routing.Config{
		Groups: map[string]routing.GroupConfig{"support": {}},
		Agents: []routing.AgentConfig{{ID: "e1", Endpoint: "fake:e1", Skills: map[string]int{"english": 1}, State: "ready"}},
	}, b.Flow())
	call := w.call(map[string]Agent{
		"e1": {AnswerAfter: time.Second, Talk: 10 * time.Second},
	})
	start := w.clk.Now()
	w.runToBye(t, call)
	for _, e := range w.rec.Events() {
		if e.Type == events.QueueConnect {
			if at := e.Time.Sub(start); e.Agent != "e1" || at != 121*time.Second {
				t.Errorf("queue.connect %s at +%v; want e1 at +121s (offered at the 120 s step, 1 s to answer)", e.Agent, at)
			}
			return
		}
	}
	t.Error("no queue.connect")
}

// recordingRouter accepts every callback and keeps the requests.
type recordingRouter struct {
	ivr.NoAgents
	mu   sync.Mutex
	reqs []routing.Request
}

func (r *recordingRouter) RequestCallback(_ context.Context, req routing.Request, _ string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reqs = append(r.reqs, req)
	return nil
}

// The callback node's outside_hours reaches the router; without it a
// callback keeps to the group's hours.
func TestCallbackOutsideHoursReachesTheRouter(t *testing.T) {
	for _, outside := range []bool{false, true} {
		router := &recordingRouter{}
		b := NewFlow("test", "en", "100")
		b.Node("cb", "bye", &flows.CallbackSpec{Number: T("{{caller}}"), Group: "billing", OutsideHours: outside})
		b.Node("bye", "", &flows.PlaySpec{Prompts: P("goodbye")})
		clk := clock.NewVirtual(mondayMorning)
		eng, err := ivr.New(ivr.Config{}, ivr.Deps{
			Catalog: func() *flows.Catalog { return Catalog(b.Flow()) },
			Clock:   clk, Events: &Recorder{}, Router: router,
		})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		go clk.AutoAdvance(ctx, quietTime)
		eng.Run(ctx, NewCall(Config{ID: "c1", From: "5551234", To: "100", Clock: clk}))
		cancel()
		if len(router.reqs) != 1 || router.reqs[0].OutsideHours != outside || !router.reqs[0].Callback {
			t.Errorf("outside_hours %v: requests %+v; want one callback with OutsideHours %v", outside, router.reqs, outside)
		}
	}
}
