package redisstate

import (
	"context"
	"fmt"
	"strings"

	"github.com/redis/go-redis/v9"
)

// Outcome is what Reserve decided.
type Outcome string

const (
	Reserved   Outcome = "ok"        // the agent is now held by this node's call
	Busy       Outcome = "busy"      // another call (on any node) holds the agent
	NotReady   Outcome = "not_ready" // the agent's shared presence is not ready
	NodeIsDead Outcome = "dead"      // this node was declared dead; see ErrNodeDead
)

// reserveChecksLua is how every claim begins, in order or not: with KEYS
// presence, resv, owned, nodes and ARGV agent, value, lease ms, node first,
// it answers not_ready, busy or dead, or renews this call's own hold (ok),
// and otherwise falls through to the claim.
const reserveChecksLua = `
if redis.call('HGET', KEYS[1], ARGV[1]) ~= 'ready' then return 'not_ready' end
local cur = redis.call('GET', KEYS[2])
if cur then
  if cur == ARGV[2] then
    redis.call('PEXPIRE', KEYS[2], ARGV[3])
    return 'ok'
  end
  return 'busy'
end
if not redis.call('ZSCORE', KEYS[4], ARGV[4]) then return 'dead' end
`

// reserveScript: KEYS presence, resv, owned, nodes; ARGV agent, value, lease ms, node.
var reserveScript = redis.NewScript(reserveChecksLua + `
redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
redis.call('SADD', KEYS[3], ARGV[1])
return 'ok'
`)

// releaseScript: KEYS resv, owned, call; ARGV agent, value, channel.
var releaseScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[2] then return 0 end
redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[2], ARGV[1])
` + unring3 + `
redis.call('PUBLISH', ARGV[3], 'free ' .. ARGV[1])
return 1
`)

// unring3 counts one ringing agent less for the call whose hash is
// KEYS[3], if it still waits (ReserveInOrder counted it).
const unring3 = `
if tonumber(redis.call('HGET', KEYS[3], 'ringing') or '0') > 0 then
  redis.call('HINCRBY', KEYS[3], 'ringing', -1)
end
`

// Reserve holds agent for this node's call, atomically: only if the
// agent's shared presence is ready, nobody holds the agent and this node is
// alive. Reserving again for the same call renews the lease.
func (s *Store) Reserve(ctx context.Context, agent, call string) (Outcome, error) {
	v, err := s.run(ctx, reserveScript,
		[]string{s.presenceKey(), s.reservationKey(agent), s.ownedKey(s.node), s.nodesKey()},
		agent, s.node+sep+call, ms(s.lease), s.node).Text()
	if err != nil {
		return "", fmt.Errorf("redisstate: reserve %s: %w", agent, err)
	}
	return Outcome(v), nil
}

// Release ends this node's reservation of agent for call and tells every
// node the agent is free. It reports whether the reservation was still
// this node's (false: it lapsed or was reaped).
func (s *Store) Release(ctx context.Context, agent, call string) (bool, error) {
	n, err := s.run(ctx, releaseScript, []string{s.reservationKey(agent), s.ownedKey(s.node), s.callKey(call)},
		agent, s.node+sep+call, s.channel()).Int()
	if err != nil {
		return false, fmt.Errorf("redisstate: release %s: %w", agent, err)
	}
	return n == 1, nil
}

// Holder says which node and call hold agent ("" when free).
func (s *Store) Holder(ctx context.Context, agent string) (node, call string, err error) {
	s.trips.Add(1)
	v, err := s.rdb.Get(ctx, s.reservationKey(agent)).Result()
	if err == redis.Nil {
		return "", "", nil
	}
	if err != nil {
		return "", "", fmt.Errorf("redisstate: holder of %s: %w", agent, err)
	}
	node, call, _ = strings.Cut(v, sep)
	return node, call, nil
}

// setPresenceScript: KEYS presence; ARGV agent, presence, channel.
var setPresenceScript = redis.NewScript(`
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('PUBLISH', ARGV[3], 'presence ' .. ARGV[1] .. ' ' .. ARGV[2])
return 1
`)

// SetPresence records an agent's presence ("ready", "not_ready:REASON",
// "logged_out") and tells every node, unless it already had that value
// (so nodes applying each other's changes do not echo them back).
func (s *Store) SetPresence(ctx context.Context, agent, presence string) (changed bool, err error) {
	n, err := s.run(ctx, setPresenceScript, []string{s.presenceKey()}, agent, presence, s.channel()).Int()
	if err != nil {
		return false, fmt.Errorf("redisstate: presence of %s: %w", agent, err)
	}
	return n == 1, nil
}

// Presences is every agent's shared presence.
func (s *Store) Presences(ctx context.Context) (map[string]string, error) {
	s.trips.Add(1)
	m, err := s.rdb.HGetAll(ctx, s.presenceKey()).Result()
	if err != nil {
		return nil, fmt.Errorf("redisstate: presences: %w", err)
	}
	return m, nil
}

// Notice is a change another node (or this one) made.
type Notice struct {
	// Kind is "free" (an agent's reservation ended), "presence",
	// "yield" (a claim of the agent was deferred to Node's Call, which is
	// better placed: Node should offer it the agent) or "retry" (the call
	// Node's claim of the agent was deferred to is served: Node may claim
	// the agent again).
	Kind     string
	Agent    string
	Presence string // for "presence"
	Node     string // for "yield" and "retry"
	Call     string // for "yield"
}

// Subscribe delivers notices until ctx ends; the channel closes then. It
// returns once the subscription is in place, so no later change is missed.
func (s *Store) Subscribe(ctx context.Context) (<-chan Notice, error) {
	ps := s.rdb.Subscribe(ctx, s.channel())
	if _, err := ps.Receive(ctx); err != nil {
		ps.Close()
		return nil, fmt.Errorf("redisstate: subscribe: %w", err)
	}
	out := make(chan Notice, 256)
	go func() {
		defer close(out)
		defer ps.Close()
		in := ps.Channel()
		for {
			select {
			case <-ctx.Done():
				return
			case m, ok := <-in:
				if !ok {
					return
				}
				f := strings.Fields(m.Payload)
				if len(f) < 2 {
					continue
				}
				n := Notice{Kind: f[0], Agent: f[1]}
				switch {
				case n.Kind == "yield" && len(f) > 3:
					n.Node, n.Call = f[2], f[3]
				case n.Kind == "retry" && len(f) > 2:
					n.Node = f[2]
				case len(f) > 2:
					n.Presence = f[2]
				}
				select {
				case out <- n:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return out, nil
}
