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
	"strings"
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

	cmd    *exec.Cmd
	exited chan struct{}
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
	// A probed port can be taken before the server binds it: try a few.
	for attempt := 0; ; attempt++ {
		err = r.start(ctx, bin)
		if err == nil {
			return r, nil
		}
		if attempt == 4 || !strings.Contains(err.Error(), "in use") {
			os.RemoveAll(dir)
			return nil, err
		}
	}
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
	// The server dies with the test binary, even when it is killed.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start redis-server: %w", err)
	}
	r.cmd, r.Port, r.exited = cmd, port, make(chan struct{})
	go func() { cmd.Wait(); close(r.exited) }()

	client := redis.NewClient(&redis.Options{Addr: r.Addr(), MaxRetries: -1})
	defer client.Close()
	deadline := time.Now().Add(30 * time.Second)
	for {
		pctx, cancel := context.WithTimeout(ctx, time.Second)
		err := client.Ping(pctx).Err()
		cancel()
		if err == nil {
			return nil
		}
		select {
		case <-r.exited:
			log, _ := os.ReadFile(logPath)
			return fmt.Errorf("redis-server exited at start: %s", log)
		case <-ctx.Done():
			r.Stop()
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(logPath)
			r.Stop()
			return fmt.Errorf("redis-server not answering after 30s: %w\n%s", err, log)
		}
	}
}

// Stop ends the server (SIGTERM, SIGKILL after 10 s) and removes its folder.
func (r *Redis) Stop() error {
	if r.cmd != nil && r.cmd.Process != nil {
		r.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-r.exited:
		case <-time.After(10 * time.Second):
			r.cmd.Process.Kill()
			<-r.exited
		}
	}
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

// unavailable skips the test when a server cannot be had because it is not
// installed (missing), except under SWITCHBOARD_E2E=1, where it fails like
// any other start error.
func unavailable(t testing.TB, err, missing error) {
	t.Helper()
	if errors.Is(err, missing) && os.Getenv("SWITCHBOARD_E2E") != "1" {
		t.Skip(err)
	}
	t.Fatal(err)
}

// probeLoopbackPort finds a port free on 127.0.0.1 for TCP, and for UDP
// too when udp is set (a SIP server listens on both).
func probeLoopbackPort(udp bool) (int, error) {
	for attempt := 0; attempt < 20; attempt++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		port := ln.Addr().(*net.TCPAddr).Port
		if !udp {
			ln.Close()
			return port, nil
		}
		pc, err := net.ListenPacket("udp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		ln.Close()
		if err == nil {
			pc.Close()
			return port, nil
		}
	}
	return 0, errors.New("testsvc: no loopback port free for both TCP and UDP")
}
