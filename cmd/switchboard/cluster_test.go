package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/internal/testsvc"
	"github.com/switchboard-cc/switchboard/routing/redisstate"
)

func TestApplyClusterFlag(t *testing.T) {
	for _, tc := range []struct {
		flag, redis, store string
		bad                bool
	}{
		{flag: "redis://127.0.0.1:6379/0", redis: "redis://127.0.0.1:6379/0"},
		{flag: "redis://r:6379, postgres://u@db/sb", redis: "redis://r:6379", store: "postgres://u@db/sb"},
		{flag: "postgresql://db/sb,rediss://r:6380", redis: "rediss://r:6380", store: "postgresql://db/sb"},
		{flag: "postgres://db/sb", bad: true},
		{flag: "redis://r,mysql://db", bad: true},
	} {
		cfg := &Config{}
		err := applyClusterFlag(cfg, tc.flag)
		if tc.bad {
			if !errors.Is(err, errUsage) {
				t.Errorf("%q: err %v; want a usage error", tc.flag, err)
			}
			continue
		}
		if err != nil || cfg.Cluster.Redis != tc.redis || cfg.Events.Store != tc.store {
			t.Errorf("%q: redis %q store %q err %v; want %q, %q", tc.flag, cfg.Cluster.Redis, cfg.Events.Store, err, tc.redis, tc.store)
		}
	}
}

// startClusterServe runs serve --cluster in-process.
func startClusterServe(t *testing.T, configDir, redisURL, node string) (Addrs, func()) {
	t.Helper()
	ready := make(chan Addrs, 1)
	var stderr bytes.Buffer
	m := &Main{Stdin: strings.NewReader(""), Stdout: &bytes.Buffer{}, Stderr: &lockedWriter{w: &stderr}, Ready: func(a Addrs) { ready <- a }}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	cfgPath := filepath.Join(configDir, "switchboard.yaml")
	go func() {
		done <- m.Run(ctx, []string{"serve", "--config", cfgPath, "--sip", "127.0.0.1:0", "--http", "127.0.0.1:0",
			"--data", t.TempDir(), "--cluster", redisURL, "--log-level", "warn"})
	}()
	select {
	case a := <-ready:
		return a, func() {
			cancel()
			if code := <-done; code != 0 {
				t.Errorf("serve %s exited %d", node, code)
			}
		}
	case code := <-done:
		t.Fatalf("serve %s exited %d before ready", node, code)
	case <-time.After(30 * time.Second):
		t.Fatalf("serve %s not ready after 30s", node)
	}
	return Addrs{}, nil
}

// Two serve --cluster nodes share agents' presence through Redis: an agent
// logged in and made ready on one is ready on the other; each node beats,
// and a node that stops leaves at once.
func TestServeClusterSharesAgents(t *testing.T) {
	r := testsvc.RedisForTest(t)
	t.Setenv("SWITCHBOARD_TOKEN", "test-token")
	dir := testConfigDir(t)
	a, stopA := startClusterServe(t, dir, r.URL(), "a")
	b, stopB := startClusterServe(t, dir, r.URL(), "b")
	defer stopB()

	post := func(addr, path string) {
		req, _ := http.NewRequest("POST", "http://"+addr+path, nil)
		req.Header.Set("Authorization", "Bearer test-token")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode >= 300 {
			t.Fatalf("POST %s: %s", path, res.Status)
		}
	}
	stateOn := func(addr, id string) string {
		res, err := http.Get("http://" + addr + "/api/agents")
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var agents []map[string]any
		if err := json.NewDecoder(res.Body).Decode(&agents); err != nil {
			t.Fatal(err)
		}
		for _, ag := range agents {
			if ag["id"] == id {
				s, _ := ag["state"].(string)
				return s
			}
		}
		return ""
	}
	post(a.HTTP, "/api/agents/1001/login")
	post(a.HTTP, "/api/agents/1001/ready")
	deadline := time.Now().Add(15 * time.Second)
	for stateOn(b.HTTP, "1001") != "ready" {
		if time.Now().After(deadline) {
			t.Fatalf("1001 on node b: %q; want ready (set on node a)", stateOn(b.HTTP, "1001"))
		}
		time.Sleep(20 * time.Millisecond) // polling the API
	}

	store, err := redisstate.Dial(context.Background(), r.URL(), redisstate.Options{Node: "probe"})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	nodes, err := store.Nodes(context.Background())
	if err != nil || len(nodes) != 2 {
		t.Fatalf("nodes %v, %v; want both serve nodes beating", nodes, err)
	}
	stopA()
	if nodes, _ := store.Nodes(context.Background()); len(nodes) != 1 {
		t.Fatalf("nodes after a stopped: %v; want a gone at once", nodes)
	}
}
