package testsvc

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// ErrRedisMissing means redis-server is not installed (Debian's
// redis-server package).
var ErrRedisMissing = errors.New("testsvc: redis-server not found; apt-get install redis-server")

// Redis is a running throw-away redis-server: no persistence, listening on
// 127.0.0.1 on a probed free port, its folder removed by Stop.
type Redis struct {
	Dir  string
	Port int

	proc *process
}

// URL is the server's redis:// URL, for redis.ParseURL and serve --cluster.
func (r *Redis) URL() string { return fmt.Sprintf("redis://127.0.0.1:%d/0", r.Port) }

// Addr is host:port.
func (r *Redis) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(r.Port)) }

// StartRedis starts a server in a new temporary folder. It returns
// ErrRedisMissing (wrapped) when redis-server is not installed.
func StartRedis(ctx context.Context) (*Redis, error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrRedisMissing, err)
	}
	dir, err := os.MkdirTemp("", "switchboard-redis-")
	if err != nil {
		return nil, err
	}
	r := &Redis{Dir: dir}
	if err := retryInUse(func() error { return r.start(ctx, bin) }); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return r, nil
}

func (r *Redis) start(ctx context.Context, bin string) error {
	port, err := probeLoopbackPort(false)
	if err != nil {
		return err
	}
	logPath := filepath.Join(r.Dir, "redis.log")
	cmd := exec.Command(bin,
		"--port", strconv.Itoa(port),
		"--bind", "127.0.0.1",
		"--dir", r.Dir,
		"--save", "",
		"--appendonly", "no",
		"--daemonize", "no",
		"--logfile", logPath,
		"--protected-mode", "yes")
	proc, err := startProcess(cmd, nil)
	if err != nil {
		return fmt.Errorf("start redis-server: %w", err)
	}
	r.proc, r.Port = proc, port

	client := redis.NewClient(&redis.Options{Addr: r.Addr(), MaxRetries: -1})
	defer client.Close()
	ping := func() error {
		pctx, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		return client.Ping(pctx).Err()
	}
	log := func() string { b, _ := os.ReadFile(logPath); return string(b) }
	return proc.waitReady(ctx, "redis-server", "not answering", 30*time.Second, 20*time.Millisecond,
		ping, log, func() { r.Stop() })
}

// Stop ends the server (SIGTERM, SIGKILL after 10 s) and removes its folder.
func (r *Redis) Stop() error {
	r.proc.stop(syscall.SIGTERM, false)
	return os.RemoveAll(r.Dir)
}

// RedisForTest starts a server for this test, stopped when it ends. It
// skips the test when redis-server is missing, except under
// SWITCHBOARD_E2E=1 (make test installs it), where it fails.
func RedisForTest(t testing.TB) *Redis {
	t.Helper()
	r, err := StartRedis(context.Background())
	if err != nil {
		unavailable(t, err, ErrRedisMissing)
	}
	t.Cleanup(func() { r.Stop() })
	return r
}

// SharedRedis is one server for a whole test package, started on first
// use; Client hands each test its own logical database, flushed. Call
// Stop from TestMain after m.Run.
type SharedRedis struct {
	once sync.Once
	srv  *Redis
	err  error
	mu   sync.Mutex
	next int
}

// Server starts the shared server on first use (skipping or failing the
// test when it cannot be had) and returns it.
func (s *SharedRedis) Server(t testing.TB) *Redis {
	t.Helper()
	s.once.Do(func() { s.srv, s.err = StartRedis(context.Background()) })
	if s.err != nil {
		unavailable(t, s.err, ErrRedisMissing)
	}
	return s.srv
}

// DB returns the number of a logical database (0..15) of its own for the
// test, emptied first. Tests beyond the sixteenth share, so flushes between
// tests keep them apart only when they do not run in parallel.
func (s *SharedRedis) DB(t testing.TB) int {
	t.Helper()
	srv := s.Server(t)
	s.mu.Lock()
	db := s.next % 16
	s.next++
	s.mu.Unlock()
	c := redis.NewClient(&redis.Options{Addr: srv.Addr(), DB: db})
	defer c.Close()
	if err := c.FlushDB(context.Background()).Err(); err != nil {
		t.Fatal(err)
	}
	return db
}

// Stop stops the shared server if it was started.
func (s *SharedRedis) Stop() {
	if s.srv != nil {
		s.srv.Stop()
	}
}
