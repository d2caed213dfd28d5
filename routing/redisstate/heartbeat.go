package redisstate

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/redis/go-redis/v9"
)

// serverNow is the Lua snippet for the Redis server's clock in ms: every
// node's liveness is judged by one clock, so skew between hosts does not
// matter.
const serverNow = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`

// heartbeatScript: KEYS nodes, owned; ARGV node, lease ms, prefix, sep,
// then agent, call pairs.
var heartbeatScript = redis.NewScript(serverNow + `
local alive = redis.call('ZSCORE', KEYS[1], ARGV[1])
redis.call('ZADD', KEYS[1], now, ARGV[1])
local held, conflicts = {}, {}
for i = 5, #ARGV, 2 do
  local agent, val = ARGV[i], ARGV[1] .. ARGV[4] .. ARGV[i + 1]
  held[agent] = true
  local k = ARGV[3] .. 'resv:' .. agent
  local cur = redis.call('GET', k)
  if cur == val then
    redis.call('PEXPIRE', k, ARGV[2])
  elseif not cur then
    redis.call('SET', k, val, 'PX', ARGV[2])
    redis.call('SADD', KEYS[2], agent)
  else
    table.insert(conflicts, agent)
  end
end
for _, agent in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  if not held[agent] then
    local k = ARGV[3] .. 'resv:' .. agent
    local cur = redis.call('GET', k)
    if cur and string.sub(cur, 1, #ARGV[1] + #ARGV[4]) == ARGV[1] .. ARGV[4] then
      redis.call('DEL', k)
      local ck = ARGV[3] .. 'call:' .. string.sub(cur, #ARGV[1] + #ARGV[4] + 1)
      if tonumber(redis.call('HGET', ck, 'ringing') or '0') > 0 then
        redis.call('HINCRBY', ck, 'ringing', -1)
      end
      redis.call('PUBLISH', ARGV[3] .. 'notices', 'free ' .. agent)
    end
    redis.call('SREM', KEYS[2], agent)
  end
end
if alive then return {1, conflicts} end
return {0, conflicts}
`)

// Beat is what a heartbeat found.
type Beat struct {
	// WasDead: another node had declared this one dead (its heartbeat was
	// late); its reservations and waiting calls were handed on.
	WasDead bool
	// Conflicts are agents this node holds that another node's call holds
	// in Redis (possible only after WasDead).
	Conflicts []string
}

// Heartbeat marks this node alive and makes the shared reservations of
// this node exactly held (agent -> call): those are renewed (or taken
// again if they lapsed and are free), any others this node still had are
// released.
func (s *Store) Heartbeat(ctx context.Context, held map[string]string) (Beat, error) {
	args := []any{s.node, ms(s.lease), s.prefix, sep}
	agents := make([]string, 0, len(held))
	for a := range held {
		agents = append(agents, a)
	}
	sort.Strings(agents)
	for _, a := range agents {
		args = append(args, a, held[a])
	}
	v, err := s.run(ctx, heartbeatScript, []string{s.nodesKey(), s.ownedKey(s.node)}, args...).Slice()
	if err != nil {
		return Beat{}, fmt.Errorf("redisstate: heartbeat: %w", err)
	}
	b := Beat{WasDead: v[0].(int64) == 0}
	for _, c := range v[1].([]any) {
		b.Conflicts = append(b.Conflicts, c.(string))
	}
	return b, nil
}

// reapScript: KEYS nodes, orphans, lost; ARGV prefix, dead after ms, sep,
// lost records kept.
var reapScript = redis.NewScript(serverNow + `
local dead = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. (now - tonumber(ARGV[2])))
local freed, orphaned, lost, cut = {}, {}, {}, {}
for _, node in ipairs(dead) do
  local closed = {}
  local owned = ARGV[1] .. 'owned:' .. node
  for _, agent in ipairs(redis.call('SMEMBERS', owned)) do
    local k = ARGV[1] .. 'resv:' .. agent
    local cur = redis.call('GET', k)
    if cur and string.sub(cur, 1, #node + #ARGV[3]) == node .. ARGV[3] then
      redis.call('DEL', k)
      redis.call('PUBLISH', ARGV[1] .. 'notices', 'free ' .. agent)
      table.insert(freed, agent)
    end
  end
  redis.call('DEL', owned)
  local calls = ARGV[1] .. 'node-calls:' .. node
  for _, id in ipairs(redis.call('SMEMBERS', calls)) do
    local ck = ARGV[1] .. 'call:' .. id
    local c = redis.call('HMGET', ck, 'group', 'callback', 'score')
    if c[2] == '1' then
      redis.call('HSET', ck, 'node', '')
      redis.call('HDEL', ck, 'ringing')
      redis.call('ZADD', KEYS[2], c[3], id)
      table.insert(orphaned, id)
    elseif c[1] then
      redis.call('ZREM', ARGV[1] .. 'wait:' .. c[1], id)
      redis.call('DEL', ck)
      local rec = node .. ARGV[3] .. id .. ARGV[3] .. c[1]
      redis.call('RPUSH', KEYS[3], rec)
      redis.call('LTRIM', KEYS[3], -tonumber(ARGV[4]), -1)
      table.insert(lost, rec)
      closed[id] = true
    end
  end
  redis.call('DEL', calls)
  local live = ARGV[1] .. 'live:' .. node
  for _, id in ipairs(redis.call('SMEMBERS', live)) do
    if not closed[id] then
      table.insert(cut, node .. ARGV[3] .. id)
    end
  end
  redis.call('DEL', live)
  redis.call('ZREM', KEYS[1], node)
end
return {dead, freed, orphaned, lost, cut}
`)

// LostCall is a caller who was waiting on a node that died: the SIP call
// died with the node.
type LostCall struct {
	Node, CallID, Group string
}

// Reaped is what one Reap did.
type Reaped struct {
	Nodes     []string   // declared dead
	Freed     []string   // agents whose reservations were released
	Orphaned  []string   // waiting callbacks put up for adoption
	LostCalls []LostCall // callers waiting on a dead node
	// CutCalls are the dead node's other calls in progress (talking to an
	// agent, or still in the flow): their SIP dialogs died with it. Group
	// is empty.
	CutCalls []LostCall
}

// Reap declares dead every node whose heartbeat is older than DeadAfter
// and hands on what it held. Every live node runs it; the script makes
// concurrent runs safe (each dead node is handled once).
func (s *Store) Reap(ctx context.Context) (Reaped, error) {
	v, err := s.run(ctx, reapScript, []string{s.nodesKey(), s.key("orphans"), s.key("lost")},
		s.prefix, ms(s.deadAfter), sep, s.lostKept).Slice()
	if err != nil {
		return Reaped{}, fmt.Errorf("redisstate: reap: %w", err)
	}
	strs := func(x any) []string {
		var out []string
		for _, e := range x.([]any) {
			out = append(out, e.(string))
		}
		return out
	}
	r := Reaped{Nodes: strs(v[0]), Freed: strs(v[1]), Orphaned: strs(v[2])}
	for _, rec := range strs(v[3]) {
		f := strings.SplitN(rec, sep, 3)
		if len(f) == 3 {
			r.LostCalls = append(r.LostCalls, LostCall{Node: f[0], CallID: f[1], Group: f[2]})
		}
	}
	for _, rec := range strs(v[4]) {
		if node, id, ok := strings.Cut(rec, sep); ok {
			r.CutCalls = append(r.CutCalls, LostCall{Node: node, CallID: id})
		}
	}
	sort.Slice(r.CutCalls, func(i, j int) bool { return r.CutCalls[i].CallID < r.CutCalls[j].CallID })
	return r, nil
}

// Nodes is every node believed alive, with its last heartbeat (Redis
// server time, ms since the epoch).
func (s *Store) Nodes(ctx context.Context) (map[string]int64, error) {
	s.trips.Add(1)
	zs, err := s.rdb.ZRangeWithScores(ctx, s.nodesKey(), 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("redisstate: nodes: %w", err)
	}
	out := make(map[string]int64, len(zs))
	for _, z := range zs {
		out[z.Member.(string)] = int64(z.Score)
	}
	return out, nil
}

// Leave takes this node out of the cluster at a clean shutdown: its
// reservations are released and its waiting callbacks put up for adoption
// at once, without waiting for DeadAfter.
func (s *Store) Leave(ctx context.Context) (Reaped, error) {
	s.trips.Add(1)
	// A node that stops cleanly has ended its calls itself: none is cut.
	if err := s.rdb.Del(ctx, s.liveKey(s.node)).Err(); err != nil {
		return Reaped{}, fmt.Errorf("redisstate: leave: %w", err)
	}
	s.trips.Add(1)
	if err := s.rdb.ZAdd(ctx, s.nodesKey(), redis.Z{Score: 0, Member: s.node}).Err(); err != nil {
		return Reaped{}, fmt.Errorf("redisstate: leave: %w", err)
	}
	return s.Reap(ctx)
}
