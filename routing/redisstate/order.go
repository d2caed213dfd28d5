package redisstate

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/switchboard-cc/switchboard/routing"
)

// Calls keep their order across nodes: a node's claim of a free agent for
// one of its calls is deferred while a better-placed call (a lower Score in
// one of the agent's groups' shared lines) waits on another live node, is
// not ringing anyone and has no agent deferred to it yet (a call takes one
// agent: claims of other free agents go on); that node is told at once (a
// "yield" notice) to offer the agent its call. The deferral is bounded, since that node may
// not be able to use the agent (its caller already let the agent ring out,
// the call needs a skill the agent lacks, the node is slow): the first
// deferral opens a window of Options.YieldWindow for the agent, during
// which only a call placed no worse than the one the agent was deferred to
// gets it; once the window has passed, the next claim of the agent goes
// through without looking at the lines. A refused node looks at the agent
// again after routing.ClaimRetry, so a freed agent is idle for at most
// that long because of the order, and never livelocks between nodes.

// DefaultYieldWindow is Options.YieldWindow's default: well under
// routing.ClaimRetry, so a deferred node's retry finds the window spent.
const DefaultYieldWindow = 500 * time.Millisecond

// lineLook is how many better-placed calls of each group the claim looks
// at (skipping this node's own, ringing ones and dead nodes'), so a claim's
// cost in Redis stays bounded whatever the lines' length.
const lineLook = 8

// orderGrace: a call placed less than this long ago defers no claim
// elsewhere: its own node is offering it an agent at that moment (the
// call is mirrored into the line as its first claim is made), and
// deferring to it would mostly cost round trips.
const orderGrace = 50 * time.Millisecond

// Deferred: a better-placed call on another live node may take the agent
// first; that node has been told.
const Deferred Outcome = "deferred"

// unyieldLua defines unyield: the agents deferred to a call that now
// rings an agent (or left its line) are free for other calls again, at
// once, rather than after the window: their deferral ends and a "retry"
// notice makes the node whose claim was deferred look at them again. And deferredTo: whether an
// agent is already deferred to the call within its window (one is enough:
// a call takes one agent, so another claim need not wait for it).
const unyieldLua = `
local function unyield(prefix, call, except, channel)
  local ys = prefix .. 'yielded:' .. call
  for _, a in ipairs(redis.call('SMEMBERS', ys)) do
    if a ~= except then
      local yk = prefix .. 'yield:' .. a
      local y = redis.call('HMGET', yk, 'call', 'by')
      if y[1] == call then
        redis.call('DEL', yk)
        redis.call('PUBLISH', channel, 'retry ' .. a .. ' ' .. y[2])
      end
    end
  end
  redis.call('DEL', ys)
end

local function deferredTo(prefix, call, now)
  for _, a in ipairs(redis.call('SMEMBERS', prefix .. 'yielded:' .. call)) do
    local y = redis.call('HMGET', prefix .. 'yield:' .. a, 'call', 'until')
    if y[1] == call and now < tonumber(y[2]) then return true end
  end
  return false
end
`

// reserveInOrderScript: KEYS presence, resv, owned, nodes, yield, call;
// ARGV agent, value, lease ms, node, score, window ms, yield ttl ms,
// dead after ms, prefix, channel, call, then the agent's groups.
var reserveInOrderScript = redis.NewScript(serverNow + unyieldLua + reserveChecksLua + `
local score = tonumber(ARGV[5])
local y = redis.call('HMGET', KEYS[5], 'until', 'score')
if y[1] then
  if now < tonumber(y[1]) and score > tonumber(y[2]) then return 'deferred' end
else
  local alive = now - tonumber(ARGV[8])
  local best, bestScore, bestNode
  for i = 12, #ARGV do
    local line = redis.call('ZRANGEBYSCORE', ARGV[9] .. 'wait:' .. ARGV[i], '-inf', '(' .. ARGV[5],
      'WITHSCORES', 'LIMIT', 0, ` + strconv.Itoa(lineLook) + `)
    for j = 1, #line, 2 do
      local sc = tonumber(line[j + 1])
      if best and sc >= tonumber(bestScore) then break end
      local c = {}
      if now - math.fmod(sc, 1e13) >= ` + strconv.Itoa(int(orderGrace.Milliseconds())) + ` then
        c = redis.call('HMGET', ARGV[9] .. 'call:' .. line[j], 'node', 'ringing')
      end
      if c[1] and c[1] ~= '' and c[1] ~= ARGV[4] and tonumber(c[2] or '0') <= 0
          and not deferredTo(ARGV[9], line[j], now) then
        local beat = redis.call('ZSCORE', KEYS[4], c[1])
        if beat and tonumber(beat) > alive then
          best, bestScore, bestNode = line[j], line[j + 1], c[1]
          break
        end
      end
    end
  end
  if best then
    redis.call('HSET', KEYS[5], 'until', now + tonumber(ARGV[6]), 'score', bestScore, 'call', best, 'by', ARGV[4])
    redis.call('PEXPIRE', KEYS[5], ARGV[7])
    local ys = ARGV[9] .. 'yielded:' .. best
    redis.call('SADD', ys, ARGV[1])
    redis.call('PEXPIRE', ys, ARGV[7])
    redis.call('PUBLISH', ARGV[10], 'yield ' .. ARGV[1] .. ' ' .. bestNode .. ' ' .. best)
    return 'deferred'
  end
end
redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
redis.call('SADD', KEYS[3], ARGV[1])
redis.call('DEL', KEYS[5])
redis.call('HINCRBY', KEYS[6], 'ringing', 1)
unyield(ARGV[9], ARGV[11], ARGV[1], ARGV[10])
return 'ok'
`)

// ReserveInOrder is Reserve for a call at place score (Score of its
// priority and place in line) that keeps calls in order across nodes:
// besides Reserve's rules, it is Deferred while a better-placed call that
// the agent could take (one waiting in groups, the agent's groups) waits
// on another live node and rings nobody, within the bound described
// above. The call counts as ringing until its reservation is released.
func (s *Store) ReserveInOrder(ctx context.Context, agent, call string, score float64, groups []string) (Outcome, error) {
	args := make([]any, 0, 11+len(groups))
	args = append(args, agent, s.node+sep+call, ms(s.lease), s.node,
		strconv.FormatFloat(score, 'f', -1, 64), ms(s.yieldWindow), ms(s.yieldWindow+2*routing.ClaimRetry),
		ms(s.deadAfter), s.prefix, s.channel(), call)
	for _, g := range groups {
		args = append(args, g)
	}
	v, err := s.run(ctx, reserveInOrderScript,
		[]string{s.presenceKey(), s.reservationKey(agent), s.ownedKey(s.node), s.nodesKey(), s.yieldKey(agent), s.callKey(call)},
		args...).Text()
	if err != nil {
		return "", fmt.Errorf("redisstate: reserve %s: %w", agent, err)
	}
	return Outcome(v), nil
}

func (s *Store) yieldKey(agent string) string { return s.key("yield", agent) }
