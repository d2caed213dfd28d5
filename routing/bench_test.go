package routing

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/internal/clock"
)

// bigConfig is 10,000 agents in 500 skill groups: group gN needs skill sN;
// each agent has three random skills, so each group has about 60 agents.
func bigConfig(state string) Config {
	r := rand.New(rand.NewPCG(1, 2))
	cfg := Config{Groups: map[string]GroupConfig{}}
	for g := range 500 {
		cfg.Groups["g"+strconv.Itoa(g)] = GroupConfig{
			Skills:  map[string]int{"s" + strconv.Itoa(g): 1},
			MaxWait: Duration(time.Hour),
		}
	}
	for i := range 10000 {
		sk := map[string]int{}
		for len(sk) < 3 {
			sk["s"+strconv.Itoa(r.IntN(500))] = 1 + r.IntN(10)
		}
		id := strconv.Itoa(10000 + i)
		cfg.Agents = append(cfg.Agents, AgentConfig{ID: id, Endpoint: "sip:" + id + "@10.0.0.1", Skills: sk, State: state})
	}
	return cfg
}

// BenchmarkRoute measures routing decisions with 10,000 agents in 500
// groups.
//
//   - decide: the decision alone for a call arriving in one of the 500
//     groups, plus reserving the chosen agent (out of the ready index of
//     every group they serve) and releasing them again.
//   - arrive: a call arrives while agents are free; the ACD picks one (call
//     side decision), then the call is abandoned, which frees the agent
//     (agent-side decision over its groups). Two decisions per op, plus the
//     ticket, its timers and events.
//   - backlog: calls wait in every group; an agent finishes a call and the
//     ACD picks the longest-waiting call across its groups for it; a new
//     call joins the answered call's group to keep the backlog. One decision per op plus the answer,
//     the finish and the enqueue.
func BenchmarkRoute(b *testing.B) {
	ctx := context.Background()
	b.Run("decide", func(b *testing.B) {
		acd, err := New(bigConfig("ready"), Options{Clock: clock.NewVirtual(t0)})
		if err != nil {
			b.Fatal(err)
		}
		probes := make([]*Ticket, 0, 500) // one call per group, not in line
		for _, name := range acd.groupNames {
			t := &Ticket{req: Request{CallID: "probe-" + name, Group: name}, group: acd.groups[name]}
			t.entries = acd.entriesFor(t, nil)
			probes = append(probes, t)
		}
		acd.mu.Lock()
		defer acd.mu.Unlock()
		b.ReportAllocs()
		b.ResetTimer()
		defer reportCPU(b)()
		for i := range b.N {
			e := probes[i%len(probes)].pickLine() // the decision
			ag := e.pool.agents[0].ag
			acd.set(ag, ag.presence, ag.reason, Reserved) // the reservation: out of every ready index
			acd.set(ag, ag.presence, ag.reason, Idle)     // and back, to keep the state steady
		}
	})
	b.Run("arrive", func(b *testing.B) {
		clk := clock.NewVirtual(t0)
		acd, err := New(bigConfig("ready"), Options{Clock: clk})
		if err != nil {
			b.Fatal(err)
		}
		r := rand.New(rand.NewPCG(3, 4))
		b.ReportAllocs()
		b.ResetTimer()
		defer reportCPU(b)()
		for i := range b.N {
			tk, err := acd.Enqueue(ctx, Request{CallID: strconv.Itoa(i), Group: "g" + strconv.Itoa(r.IntN(500))})
			if err != nil {
				b.Fatal(err)
			}
			select {
			case <-tk.Offers():
			default:
				b.Fatal("no offer with 10,000 free agents")
			}
			tk.Abandon()
		}
	})
	b.Run("backlog", func(b *testing.B) {
		clk := clock.NewVirtual(t0)
		cfg := bigConfig("not_ready")
		acd, err := New(cfg, Options{Clock: clk})
		if err != nil {
			b.Fatal(err)
		}
		r := rand.New(rand.NewPCG(5, 6))
		next := 0
		enqueue := func(group string) {
			next++
			if _, err := acd.Enqueue(ctx, Request{CallID: strconv.Itoa(next), Group: group}); err != nil {
				b.Fatal(err)
			}
		}
		for range 10000 {
			enqueue("g" + strconv.Itoa(r.IntN(500)))
		}
		agentID := cfg.Agents[0].ID
		if err := acd.Ready(ctx, agentID, "bench"); err != nil {
			b.Fatal(err)
		}
		current := func() *Ticket {
			acd.mu.Lock()
			defer acd.mu.Unlock()
			return acd.agents[agentID].offer.t
		}
		b.ReportAllocs()
		b.ResetTimer()
		defer reportCPU(b)()
		for range b.N {
			tk := current()
			o := <-tk.Offers()
			tk.Answered(o, agentID)
			tk.Finish("caller") // agent free: picks the next call across its groups
			enqueue(tk.req.Group)
		}
	})
}

// reportCPU reports CPU nanoseconds per op (user+system, all threads)
// alongside wall time: on a loaded machine wall time includes waiting for a
// core. Call as defer reportCPU(b)() after ResetTimer.
func reportCPU(b *testing.B) func() {
	start := processCPU()
	return func() {
		if used := processCPU() - start; used > 0 && b.N > 0 {
			b.ReportMetric(float64(used.Nanoseconds())/float64(b.N), "cpu-ns/op")
		}
	}
}

// BenchmarkWaitingCall measures the memory one waiting call keeps (its
// ticket, lines, timers and channels): bytes/op of Enqueue, and the heap
// retained per call over a batch of up to 50,000 waiting calls (batches are
// then abandoned, off the clock, so a long run does not fill the machine).
func BenchmarkWaitingCall(b *testing.B) {
	const batch = 50000
	ctx := context.Background()
	clk := clock.NewVirtual(t0)
	acd, err := New(bigConfig("not_ready"), Options{Clock: clk})
	if err != nil {
		b.Fatal(err)
	}
	keep := make([]*Ticket, 0, batch)
	var before runtime.MemStats
	retained := -1.0
	measure := func() {
		var after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&after)
		retained = float64(after.HeapAlloc-before.HeapAlloc) / float64(len(keep))
	}
	runtime.GC()
	runtime.ReadMemStats(&before)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if len(keep) == batch {
			b.StopTimer()
			if retained < 0 {
				measure()
			}
			for _, tk := range keep {
				tk.Abandon()
			}
			keep = keep[:0]
			clk.Advance(rememberPlace + time.Minute) // let the ACD forget the abandoned places
			b.StartTimer()
		}
		tk, err := acd.Enqueue(ctx, Request{CallID: strconv.Itoa(i), Group: "g" + strconv.Itoa(i%500), Caller: "+8613800000000"})
		if err != nil {
			b.Fatal(err)
		}
		keep = append(keep, tk)
	}
	b.StopTimer()
	if retained < 0 && len(keep) >= 1000 {
		measure()
	}
	if retained >= 0 {
		b.ReportMetric(retained, "retained-B/call")
	}
	runtime.KeepAlive(keep)
}

// ExampleACD shows the queue node's side of the contract.
func ExampleACD() {
	clk := clock.NewVirtual(time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC))
	acd, err := New(Config{
		Groups: map[string]GroupConfig{"billing": {Skills: map[string]int{"billing": 1}, WrapUp: Duration(10 * time.Second)}},
		Agents: []AgentConfig{{ID: "1001", Name: "Li Wei", Endpoint: "sip:1001@127.0.0.1", Skills: map[string]int{"billing": 7}, State: "ready"}},
	}, Options{Clock: clk})
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	tk, err := acd.Enqueue(ctx, Request{CallID: "call-1", Caller: "+8613800000000", Group: "billing"})
	if err != nil {
		panic(err) // errors.Is(err, ErrClosed): take the on_closed branch
	}
	offer := <-tk.Offers()
	fmt.Println("ring", offer.Agents[0].URI, "for", offer.RingTimeout)
	tk.Answered(offer, "1001") // the transport bridged the caller with 1001
	fmt.Println("exit:", tk.Exit())
	tk.Finish("caller")
	s, _ := acd.Agent("1001")
	fmt.Println("agent:", s.State())
	// Output:
	// ring sip:1001@127.0.0.1 for 20s
	// exit: answered
	// agent: wrap_up
}
