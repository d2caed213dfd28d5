package redisstate

import (
	"context"
	"fmt"
	"math/rand"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/switchboard-cc/switchboard/internal/testsvc"
)

var shared testsvc.SharedRedis

func TestMain(m *testing.M) {
	code := m.Run()
	shared.Stop()
	os.Exit(code)
}

// cluster gives a test a database of its own and a Store per node name,
// each with its own client (as separate processes would have).
type cluster struct {
	t    *testing.T
	addr string
	db   int
	opt  Options
}

func newCluster(t *testing.T, opt Options) *cluster {
	db := shared.DB(t)
	return &cluster{t: t, addr: shared.Server(t).Addr(), db: db, opt: opt}
}

func (c *cluster) node(name string) *Store {
	c.t.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: c.addr, DB: c.db})
	opt := c.opt
	opt.Node = name
	s, err := New(rdb, opt)
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() { s.Close() })
	return s
}

func must[T any](t *testing.T) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func TestReserveRules(t *testing.T) {
	ctx := context.Background()
	c := newCluster(t, Options{})
	a, b := c.node("a"), c.node("b")
	for _, s := range []*Store{a, b} {
		if _, err := s.Heartbeat(ctx, nil); err != nil {
			t.Fatal(err)
		}
	}
	must[bool](t)(a.SetPresence(ctx, "1001", "ready"))
	must[bool](t)(a.SetPresence(ctx, "1002", "not_ready:break"))
	ghost := c.node("ghost") // never beat: not alive
	steps := []struct {
		name        string
		s           *Store
		agent, call string
		want        Outcome
	}{
		{"not ready agent", a, "1002", "c1", NotReady},
		{"unknown agent", a, "1999", "c1", NotReady},
		{"ready and free", a, "1001", "c1", Reserved},
		{"same call renews", a, "1001", "c1", Reserved},
		{"other call same node", a, "1001", "c2", Busy},
		{"other node", b, "1001", "c3", Busy},
		{"node never alive", ghost, "1001", "c4", Busy},
	}
	for _, st := range steps {
		got, err := st.s.Reserve(ctx, st.agent, st.call)
		if err != nil || got != st.want {
			t.Fatalf("%s: Reserve(%s, %s) on %s = %q, %v; want %q", st.name, st.agent, st.call, st.s.Node(), got, err, st.want)
		}
	}
	if h := must[[2]string](t)(holder(ctx, b, "1001")); h != [2]string{"a", "c1"} {
		t.Fatalf("holder = %v, want a/c1", h)
	}
	if ok := must[bool](t)(b.Release(ctx, "1001", "c1")); ok {
		t.Fatal("node b released node a's reservation")
	}
	if ok := must[bool](t)(a.Release(ctx, "1001", "c2")); ok {
		t.Fatal("a release for another call ended the reservation")
	}
	notices := must[<-chan Notice](t)(b.Subscribe(ctxT(t)))
	if ok := must[bool](t)(a.Release(ctx, "1001", "c1")); !ok {
		t.Fatal("own release refused")
	}
	waitNotice(t, notices, Notice{Kind: "free", Agent: "1001"})
	if got := must[Outcome](t)(ghost.Reserve(ctx, "1001", "c4")); got != NodeIsDead {
		t.Fatalf("a node with no heartbeat reserved: %q", got)
	}
	if got := must[Outcome](t)(b.Reserve(ctx, "1001", "c3")); got != Reserved {
		t.Fatalf("after release: %q", got)
	}
	if changed := must[bool](t)(a.SetPresence(ctx, "1002", "not_ready:break")); changed {
		t.Fatal("setting the same presence reported a change")
	}
	if changed := must[bool](t)(a.SetPresence(ctx, "1002", "ready")); !changed {
		t.Fatal("a presence change was not reported")
	}
	waitNotice(t, notices, Notice{Kind: "presence", Agent: "1002", Presence: "ready"})
}

func holder(ctx context.Context, s *Store, agent string) ([2]string, error) {
	n, c, err := s.Holder(ctx, agent)
	return [2]string{n, c}, err
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	return ctx
}

func waitNotice(t *testing.T, ch <-chan Notice, want Notice) {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case n := <-ch:
			if n == want {
				return
			}
		case <-timeout:
			t.Fatalf("no notice %+v", want)
		}
	}
}

// Several nodes, each with its own connection, race to reserve the same
// few agents for their calls; an agent is never held by two calls at once,
// and every agent gets used.
func TestConcurrentNodesNeverDoubleBook(t *testing.T) {
	ctx := context.Background()
	c := newCluster(t, Options{})
	const nodes, workers, agents, rounds = 4, 4, 6, 150
	setup := c.node("setup")
	for i := range agents {
		must[bool](t)(setup.SetPresence(ctx, agentID(i), "ready"))
	}
	holders := make([]atomic.Int32, agents)
	used := make([]atomic.Int32, agents)
	var doubles, reserved atomic.Int32
	var wg sync.WaitGroup
	for n := range nodes {
		s := c.node(fmt.Sprintf("n%d", n))
		if _, err := s.Heartbeat(ctx, nil); err != nil {
			t.Fatal(err)
		}
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				rng := rand.New(rand.NewSource(int64(n*100 + w)))
				for r := range rounds {
					i := rng.Intn(agents)
					call := fmt.Sprintf("%s-w%d-r%d", s.Node(), w, r)
					got, err := s.Reserve(ctx, agentID(i), call)
					if err != nil {
						t.Error(err)
						return
					}
					if got != Reserved {
						continue
					}
					reserved.Add(1)
					used[i].Add(1)
					if holders[i].Add(1) != 1 {
						doubles.Add(1)
					}
					for range rng.Intn(3) { // hold it over a few more round trips
						s.Reserve(ctx, agentID(i), call)
					}
					holders[i].Add(-1)
					if ok, err := s.Release(ctx, agentID(i), call); err != nil || !ok {
						t.Errorf("release %s for %s: %v, %v", agentID(i), call, ok, err)
						return
					}
				}
			}()
		}
	}
	wg.Wait()
	if doubles.Load() != 0 {
		t.Fatalf("%d times an agent was held by two calls at once", doubles.Load())
	}
	for i := range agents {
		if used[i].Load() == 0 {
			t.Errorf("agent %s was never reserved", agentID(i))
		}
	}
	t.Logf("%d reservations over %d attempts", reserved.Load(), nodes*workers*rounds)
}

func agentID(i int) string { return fmt.Sprintf("%d", 1001+i) }
