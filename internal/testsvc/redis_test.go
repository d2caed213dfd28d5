package testsvc

import (
	"context"
	"os"
	"testing"

	"github.com/redis/go-redis/v9"
)

// A throw-away redis-server answers on its URL, keeps nothing on disk and
// is gone once stopped.
func TestRedisStartsAndStops(t *testing.T) {
	ctx := context.Background()
	r, err := StartRedis(ctx)
	if err != nil {
		unavailable(t, err, ErrRedisMissing)
	}
	opt, err := redis.ParseURL(r.URL())
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(opt)
	defer c.Close()
	if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if v, err := c.Get(ctx, "k").Result(); err != nil || v != "v" {
		t.Fatalf("get k = %q, %v; want v", v, err)
	}
	save, err := c.ConfigGet(ctx, "save").Result()
	if err != nil || save["save"] != "" {
		t.Errorf("save = %v, %v; want persistence off", save, err)
	}
	if err := r.Stop(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-r.proc.exited:
	default:
		t.Error("redis-server still running after Stop")
	}
	if _, err := os.Stat(r.Dir); !os.IsNotExist(err) {
		t.Errorf("folder %s still there after Stop (%v)", r.Dir, err)
	}
	if err := c.Ping(ctx).Err(); err == nil {
		t.Error("ping answered after Stop")
	}
}

// SharedRedis gives each test an empty logical database of its own.
func TestSharedRedisDatabasesAreEmptyAndApart(t *testing.T) {
	var s SharedRedis
	defer s.Stop()
	ctx := context.Background()
	a, b := s.DB(t), s.DB(t)
	if a == b {
		t.Fatalf("two tests got database %d", a)
	}
	ca := redis.NewClient(&redis.Options{Addr: s.Server(t).Addr(), DB: a})
	defer ca.Close()
	cb := redis.NewClient(&redis.Options{Addr: s.Server(t).Addr(), DB: b})
	defer cb.Close()
	ca.Set(ctx, "k", "a", 0)
	if n, _ := cb.Exists(ctx, "k").Result(); n != 0 {
		t.Error("a key set in one test's database is seen in another's")
	}
}
