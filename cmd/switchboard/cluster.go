package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/switchboard-cc/switchboard/routing"
	"github.com/switchboard-cc/switchboard/routing/redisstate"
)

// ClusterConfig is the cluster section of switchboard.yaml: several serve
// processes behind Kamailio (deploy/kamailio) share agents, lines and
// callbacks through Redis (docs/cluster.md). Without it (the default) a
// node needs no outside service.
type ClusterConfig struct {
	// Redis is the shared state's server, redis://[:password@]host:port/db.
	Redis string `yaml:"redis"`
	// Node names this node in the cluster; unique. Default: the host name
	// and the SIP listen port.
	Node string `yaml:"node"`
	// Proxy (host:port) is the Kamailio that is the agents' registrar:
	// agents are rung through it (sets sip.agent_proxy when that is empty).
	Proxy string `yaml:"proxy"`
	// RegistrarRPC is that Kamailio's JSON-RPC endpoint
	// (http://HOST:PORT/RPC; deploy/kamailio serves it on RPC_LISTEN). The
	// node reads Kamailio's location table there, so an agent with no
	// phone registered is parked not_ready(phone_unavailable) instead of
	// being offered calls (cluster_phones.go). Loopback or a private
	// network only: the RPC has no authentication.
	RegistrarRPC string `yaml:"registrar_rpc"`
	// RegistrarPoll is how often the location table is read (default 1s).
	RegistrarPoll time.Duration `yaml:"registrar_poll"`
	// DeadAfter is how long a node may go without a heartbeat before the
	// others release its agents and adopt its callbacks (default 3s).
	DeadAfter time.Duration `yaml:"dead_after"`
	// Lease bounds an agent's reservation should every node die (default
	// 10s; more than dead_after).
	Lease time.Duration `yaml:"lease"`
	// Prefix is put before every Redis key (default "switchboard:"), so
	// call centers can share a server.
	Prefix string `yaml:"prefix"`
}

// applyClusterFlag reads serve --cluster redis://…[,postgres://…]: the
// Redis URL joins the cluster, a PostgreSQL URL becomes events.store.
func applyClusterFlag(cfg *Config, v string) error {
	for _, u := range strings.Split(v, ",") {
		u = strings.TrimSpace(u)
		switch {
		case u == "":
		case strings.HasPrefix(u, "redis://"), strings.HasPrefix(u, "rediss://"):
			if _, err := redis.ParseURL(u); err != nil {
				return fmt.Errorf("%w: --cluster %s is not a redis:// URL: %v", errUsage, redactURL(u), plainURLError(err))
			}
			if cfg.Cluster == nil {
				cfg.Cluster = &ClusterConfig{}
			}
			cfg.Cluster.Redis = u
		case strings.HasPrefix(u, "postgres://"), strings.HasPrefix(u, "postgresql://"):
			if _, err := pgxpool.ParseConfig(u); err != nil {
				return fmt.Errorf("%w: --cluster %s is not a usable postgres:// URL: %v", errUsage, redactURL(u), plainURLError(err))
			}
			cfg.Events.Store = u
		default:
			return fmt.Errorf("%w: --cluster %s: want redis://… and optionally postgres://…", errUsage, redactURL(u))
		}
	}
	if cfg.Cluster == nil || cfg.Cluster.Redis == "" {
		return fmt.Errorf("%w: --cluster needs a redis:// URL", errUsage)
	}
	return nil
}

// clusterNode is the node's name: cluster.node, else host name and SIP
// port (with port 0: process id and a random suffix).
func clusterNode(cfg *Config) string {
	if cfg.Cluster.Node != "" {
		return cfg.Cluster.Node
	}
	host, _ := os.Hostname()
	_, port, err := net.SplitHostPort(cfg.SIP.Listen)
	if err != nil || port == "0" { // the port is not known yet: a name of its own
		return fmt.Sprintf("%s-%d-%s", host, os.Getpid(), strings.ToLower(rand.Text()[:6]))
	}
	return host + "-" + port
}

// joinCluster connects to the shared state when a cluster is configured;
// nil, nil when not. The cluster then claims the ACD's agents (Claims),
// mirrors its lines (wrap the ACD's sink with Sink) and starts with
// Start once the ACD exists.
func joinCluster(ctx context.Context, cfg *Config, log *slog.Logger) (*redisstate.Cluster, error) {
	if cfg.Cluster == nil || cfg.Cluster.Redis == "" {
		return nil, nil
	}
	if cfg.Cluster.Proxy != "" && cfg.SIP.AgentProxy == "" {
		cfg.SIP.AgentProxy = cfg.Cluster.Proxy
	}
	node := clusterNode(cfg)
	dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	store, err := redisstate.Dial(dctx, cfg.Cluster.Redis, redisstate.Options{
		Node: node, Prefix: cfg.Cluster.Prefix, DeadAfter: cfg.Cluster.DeadAfter, Lease: cfg.Cluster.Lease,
	})
	if err != nil {
		return nil, fmt.Errorf("cluster: %w", err)
	}
	log.Info("cluster", "node", node, "agent_proxy", cfg.SIP.AgentProxy)
	return redisstate.NewCluster(store, log.With("component", "cluster")), nil
}

// withClaims makes the ACD claim agents through the cluster.
func withClaims(c *redisstate.Cluster) func(*routing.Options) {
	return func(o *routing.Options) {
		if c != nil {
			o.Claims = c
		}
	}
}
