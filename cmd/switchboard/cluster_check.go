package main

import (
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
	"gopkg.in/yaml.v3"

	"github.com/switchboard-cc/switchboard/events/postgres"
	"github.com/switchboard-cc/switchboard/routing/redisstate"
	"github.com/switchboard-cc/switchboard/sip/kamailio"
)

// configIssue is a problem in the config at a position of its file (Line
// 0: none, the value came from a flag or the file has no such key).
type configIssue struct {
	Line, Col int
	Message   string
}

// format is file:line:col: message, as validate prints flow issues.
func (i configIssue) format(source string) string {
	if i.Line == 0 {
		return source + ": " + i.Message
	}
	return fmt.Sprintf("%s:%d:%d: %s", source, i.Line, i.Col, i.Message)
}

// checkServices checks what the config says about the outside services a
// cluster node uses — cluster.redis, cluster.registrar_rpc and
// registrar_poll, dead_after, lease, node, and events.store — without
// contacting any of them: the URLs are parsed by the clients that will
// use them (go-redis, pgx, the Kamailio RPC client). validate reports the
// issues; serve refuses to start with any.
func (c *Config) checkServices() []configIssue {
	var issues []configIssue
	add := func(path []string, format string, args ...any) {
		line, col := c.position(path...)
		issues = append(issues, configIssue{line, col, strings.Join(path, ".") + ": " + fmt.Sprintf(format, args...)})
	}
	if c.Events.Store != "" {
		checkStore(c.Events.Store, func(f string, a ...any) { add([]string{"events", "store"}, f, a...) })
	}
	cl := c.Cluster
	if cl == nil {
		return issues
	}
	if cl.Redis != "" {
		if _, err := redis.ParseURL(cl.Redis); err != nil {
			add([]string{"cluster", "redis"}, "%s is not a redis:// URL: %v", redactURL(cl.Redis), plainURLError(err))
		}
	}
	if cl.RegistrarRPC != "" {
		if _, err := kamailio.NewLocation(cl.RegistrarRPC, 0); err != nil {
			add([]string{"cluster", "registrar_rpc"}, "%s: want an http:// or https:// URL with a host, like http://10.0.0.5:5064/RPC", redactURL(cl.RegistrarRPC))
		}
	}
	positive := func(key string, d time.Duration) {
		if c.has("cluster", key) && d <= 0 {
			add([]string{"cluster", key}, "%v: must be positive (leave it out for the default)", d)
		}
	}
	positive("registrar_poll", cl.RegistrarPoll)
	positive("dead_after", cl.DeadAfter)
	positive("lease", cl.Lease)
	lease, dead := cl.Lease, cl.DeadAfter
	if lease <= 0 {
		lease = redisstate.DefaultLease
	}
	if dead <= 0 {
		dead = redisstate.DefaultDeadAfter
	}
	if lease <= dead && (cl.Lease > 0 || cl.DeadAfter > 0) {
		path := []string{"cluster", "lease"}
		if cl.Lease <= 0 {
			path = []string{"cluster", "dead_after"}
		}
		add(path, "lease %v must exceed dead_after %v", lease, dead)
	}
	if strings.ContainsAny(cl.Node, " \x1f") { // as redisstate.New refuses
		add([]string{"cluster", "node"}, "%q: no spaces", cl.Node)
	}
	sort.SliceStable(issues, func(i, j int) bool { return issues[i].Line < issues[j].Line })
	return issues
}

// checkStore: events.store is a postgres:// URL or a data folder; a value
// with another scheme is a mistake (it would become a folder named
// "mysql:").
func checkStore(store string, issue func(string, ...any)) {
	if postgres.IsURL(store) {
		if _, err := pgxpool.ParseConfig(store); err != nil {
			issue("%s is not a usable postgres:// URL: %v", redactURL(store), plainURLError(err))
		}
		return
	}
	if scheme, _, ok := strings.Cut(store, "://"); ok && !strings.ContainsAny(scheme, `/\`) {
		issue("%s: want a postgres:// (or postgresql://) URL, or a data folder", redactURL(store))
	}
}

// redactURL is u for a message: the password replaced (url.Redacted);
// when u does not parse as a URL with user info, only its scheme or what
// follows the last @.
func redactURL(u string) string {
	p, err := url.Parse(u)
	switch {
	case err == nil && (p.User != nil || !strings.Contains(u, "@")):
		return fmt.Sprintf("%q", p.Redacted())
	case strings.Contains(u, "://"):
		scheme, _, _ := strings.Cut(u, "://")
		return fmt.Sprintf("%q", scheme+"://…")
	case strings.Contains(u, "@"):
		return fmt.Sprintf("%q", "…@"+u[strings.LastIndex(u, "@")+1:])
	}
	return fmt.Sprintf("%q", u)
}

// plainURLError drops the URL an error repeats (it may hold a password,
// and the message names it already): a *url.Error's, or pgx's "cannot
// parse `URL`: " prefix.
func plainURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	if _, rest, ok := strings.Cut(err.Error(), "`: "); ok && strings.HasPrefix(err.Error(), "cannot parse `") {
		return errors.New(rest)
	}
	return err
}

// has reports whether the config file sets the key at path.
func (c *Config) has(path ...string) bool {
	line, _ := c.position(path...)
	return line > 0
}

// position is where the value at path (mapping keys) is in the config
// file; 0, 0 when the file does not set it.
func (c *Config) position(path ...string) (line, col int) {
	n := c.doc
	if n != nil && n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	for _, key := range path {
		if n == nil || n.Kind != yaml.MappingNode {
			return 0, 0
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == key {
				next = n.Content[i+1]
			}
		}
		n = next
	}
	if n == nil {
		return 0, 0
	}
	return n.Line, n.Column
}
