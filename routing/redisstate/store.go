package redisstate

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// Defaults for Options.
const (
	DefaultPrefix    = "switchboard:"
	DefaultLease     = 10 * time.Second
	DefaultDeadAfter = 3 * time.Second
)

// ErrNodeDead means the node was declared dead by another node's Reap (its
// heartbeat was late): it may not reserve agents until it beats again.
var ErrNodeDead = errors.New("redisstate: node declared dead")

// Options configure a Store.
type Options struct {
	// Node names this node; unique in the cluster.
	Node string
	// Prefix is put before every key and the notice channel, so several
	// call centers can share a server. Default DefaultPrefix.
	Prefix string
	// Lease is how long a reservation lives without a heartbeat renewing
	// it: the bound on holding an agent should every node die. Default
	// DefaultLease; it must exceed DeadAfter.
	Lease time.Duration
	// DeadAfter is how old a node's last heartbeat may be before Reap
	// declares the node dead. Default DefaultDeadAfter; heartbeats should
	// come at least three times as often.
	DeadAfter time.Duration
	// YieldWindow bounds how long a free agent is deferred to a
	// better-placed call on another node (ReserveInOrder). Default
	// DefaultYieldWindow.
	YieldWindow time.Duration
	// LostKept bounds the record of callers lost with a dead node
	// (LostCalls), newest kept. Default DefaultLostKept.
	LostKept int
}

// DefaultLostKept: the event log holds each lost caller (queue.abandon and
// call.end, reason node_lost); the record in Redis is for an operator's
// look after an outage and must not grow without end over months of
// node failures.
const DefaultLostKept = 10000

// Store is one node's handle on the shared state. It is safe for
// concurrent use.
type Store struct {
	rdb       *redis.Client
	node      string
	prefix    string
	lease     time.Duration
	deadAfter time.Duration
	// yieldWindow: see Options.YieldWindow.
	yieldWindow time.Duration
	lostKept    int
	trips       atomic.Int64
}

// New wraps a go-redis client.
func New(rdb *redis.Client, opt Options) (*Store, error) {
	if opt.Node == "" {
		return nil, errors.New("redisstate: node name is required")
	}
	if strings.ContainsAny(opt.Node, sep+" ") {
		return nil, fmt.Errorf("redisstate: node name %q has a space or a unit separator", opt.Node)
	}
	if opt.Prefix == "" {
		opt.Prefix = DefaultPrefix
	}
	if opt.Lease == 0 {
		opt.Lease = DefaultLease
	}
	if opt.DeadAfter == 0 {
		opt.DeadAfter = DefaultDeadAfter
	}
	if opt.YieldWindow == 0 {
		opt.YieldWindow = DefaultYieldWindow
	}
	if opt.LostKept <= 0 {
		opt.LostKept = DefaultLostKept
	}
	if opt.Lease <= opt.DeadAfter {
		return nil, fmt.Errorf("redisstate: lease %v must exceed dead_after %v", opt.Lease, opt.DeadAfter)
	}
	return &Store{rdb: rdb, node: opt.Node, prefix: opt.Prefix, lease: opt.Lease, deadAfter: opt.DeadAfter,
		yieldWindow: opt.YieldWindow, lostKept: opt.LostKept}, nil
}

// Dial parses a redis:// URL and connects.
func Dial(ctx context.Context, url string, opt Options) (*Store, error) {
	ro, err := redis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("redisstate: %w", err)
	}
	rdb := redis.NewClient(ro)
	if err := rdb.Ping(ctx).Err(); err != nil {
		rdb.Close()
		return nil, fmt.Errorf("redisstate: %s: %w", ro.Addr, err)
	}
	s, err := New(rdb, opt)
	if err != nil {
		rdb.Close()
		return nil, err
	}
	return s, nil
}

// Close closes the client.
func (s *Store) Close() error { return s.rdb.Close() }

// Node is this node's name.
func (s *Store) Node() string { return s.node }

// DeadAfter is the configured heartbeat age at which a node is dead.
func (s *Store) DeadAfter() time.Duration { return s.deadAfter }

// RoundTrips is how many requests this Store sent to Redis, for the
// benchmark's round trips per decision.
func (s *Store) RoundTrips() int64 { return s.trips.Load() }

// sep separates the fields of a reservation's value (node, call).
const sep = "\x1f"

func (s *Store) key(parts ...string) string { return s.prefix + strings.Join(parts, ":") }

func (s *Store) presenceKey() string            { return s.key("presence") }
func (s *Store) reservationKey(a string) string { return s.key("resv", a) }
func (s *Store) ownedKey(node string) string    { return s.key("owned", node) }
func (s *Store) nodesKey() string               { return s.key("nodes") }
func (s *Store) channel() string                { return s.key("notices") }

func (s *Store) run(ctx context.Context, sc *redis.Script, keys []string, args ...any) *redis.Cmd {
	s.trips.Add(1)
	return sc.Run(ctx, s.rdb, keys, args...)
}

func ms(d time.Duration) int64 { return d.Milliseconds() }

func atoi64(v string) int64 {
	n, _ := strconv.ParseInt(v, 10, 64)
	return n
}
