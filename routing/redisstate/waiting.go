package redisstate

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Waiting is a call waiting in a group, as the cluster sees it.
type Waiting struct {
	CallID     string
	Group      string
	Priority   int
	EnqueuedAt time.Time // its place in line (a callback keeps its caller's)
	Callback   bool
	Number     string // the number to call back
	Node       string // the node that holds it ("" while up for adoption)
}

// Score orders a group's line: higher priority first, then earlier place.
// Priorities are clamped to ±100 so the score stays exact in a float64
// (2e15 < 2^53) for enqueue times up to the year 2286.
func Score(priority int, at time.Time) float64 {
	p := min(max(priority, -100), 100)
	return float64(100-p)*1e13 + float64(at.UnixMilli())
}

func (s *Store) waitKey(group string) string  { return s.key("wait", group) }
func (s *Store) callKey(id string) string     { return s.key("call", id) }
func (s *Store) nodeCallsKey(n string) string { return s.key("node-calls", n) }

// Enqueue records that w waits on this node. It is idempotent.
func (s *Store) Enqueue(ctx context.Context, w Waiting) error {
	score := Score(w.Priority, w.EnqueuedAt)
	cb := "0"
	if w.Callback {
		cb = "1"
	}
	s.trips.Add(1)
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HSet(ctx, s.callKey(w.CallID), "group", w.Group, "priority", w.Priority,
			"enqueued_ms", w.EnqueuedAt.UnixMilli(), "callback", cb, "number", w.Number,
			"node", s.node, "score", strconv.FormatFloat(score, 'f', -1, 64))
		p.ZAdd(ctx, s.waitKey(w.Group), redis.Z{Score: score, Member: w.CallID})
		p.SAdd(ctx, s.nodeCallsKey(s.node), w.CallID)
		return nil
	})
	if err != nil {
		return fmt.Errorf("redisstate: enqueue %s: %w", w.CallID, err)
	}
	return nil
}

// leaveScript: KEYS call, node-calls; ARGV call ID, prefix, channel.
var leaveScript = redis.NewScript(unyieldLua + `
unyield(ARGV[2], ARGV[1], '', ARGV[3])
local g = redis.call('HGET', KEYS[1], 'group')
redis.call('DEL', KEYS[1]) -- a claim may have made it (ringing) before the call was mirrored
if not g then return 0 end
redis.call('ZREM', ARGV[2] .. 'wait:' .. g, ARGV[1])
redis.call('SREM', KEYS[2], ARGV[1])
return 1
`)

// LeaveLine records that a call left its line (answered, abandoned, timed
// out, closed). It reports whether the call was there.
func (s *Store) LeaveLine(ctx context.Context, callID string) (bool, error) {
	n, err := s.run(ctx, leaveScript, []string{s.callKey(callID), s.nodeCallsKey(s.node)}, callID, s.prefix, s.channel()).Int()
	if err != nil {
		return false, fmt.Errorf("redisstate: leave %s: %w", callID, err)
	}
	return n == 1, nil
}

// Position is the call's place in its group's line across the cluster (1
// is next) and the line's length; 0, 0 when it is not waiting.
func (s *Store) Position(ctx context.Context, group, callID string) (pos, total int64, err error) {
	s.trips.Add(1)
	var rank *redis.IntCmd
	var card *redis.IntCmd
	_, err = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		rank = p.ZRank(ctx, s.waitKey(group), callID)
		card = p.ZCard(ctx, s.waitKey(group))
		return nil
	})
	if err == redis.Nil {
		return 0, 0, nil
	}
	if err != nil {
		return 0, 0, fmt.Errorf("redisstate: position of %s: %w", callID, err)
	}
	return rank.Val() + 1, card.Val(), nil
}

// Line is a group's waiting calls, first in line first.
func (s *Store) Line(ctx context.Context, group string) ([]string, error) {
	s.trips.Add(1)
	ids, err := s.rdb.ZRange(ctx, s.waitKey(group), 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("redisstate: line of %s: %w", group, err)
	}
	return ids, nil
}

// adoptScript: KEYS orphans, node-calls; ARGV prefix, node, max.
var adoptScript = redis.NewScript(`
local ids = redis.call('ZRANGE', KEYS[1], 0, tonumber(ARGV[3]) - 1)
local out = {}
for _, id in ipairs(ids) do
  redis.call('ZREM', KEYS[1], id)
  local ck = ARGV[1] .. 'call:' .. id
  if redis.call('EXISTS', ck) == 1 then
    redis.call('HSET', ck, 'node', ARGV[2])
    redis.call('SADD', KEYS[2], id)
    table.insert(out, id)
    table.insert(out, redis.call('HGETALL', ck))
  end
end
return out
`)

// Adopt takes up to max callbacks left by dead nodes, best place first:
// they are this node's now, and the caller re-queues them in its ACD with
// their EnqueuedAt.
func (s *Store) Adopt(ctx context.Context, max int) ([]Waiting, error) {
	v, err := s.run(ctx, adoptScript, []string{s.key("orphans"), s.nodeCallsKey(s.node)}, s.prefix, s.node, max).Slice()
	if err != nil {
		return nil, fmt.Errorf("redisstate: adopt: %w", err)
	}
	var out []Waiting
	for i := 0; i+1 < len(v); i += 2 {
		f := map[string]string{}
		kv := v[i+1].([]any)
		for j := 0; j+1 < len(kv); j += 2 {
			f[kv[j].(string)] = kv[j+1].(string)
		}
		pri, _ := strconv.Atoi(f["priority"])
		out = append(out, Waiting{
			CallID: v[i].(string), Group: f["group"], Priority: pri,
			EnqueuedAt: time.UnixMilli(atoi64(f["enqueued_ms"])),
			Callback:   f["callback"] == "1", Number: f["number"], Node: s.node,
		})
	}
	return out, nil
}

// LostCalls reads the record of callers who were waiting on nodes that
// died, oldest first: the newest Options.LostKept of them.
func (s *Store) LostCalls(ctx context.Context) ([]LostCall, error) {
	s.trips.Add(1)
	recs, err := s.rdb.LRange(ctx, s.key("lost"), 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("redisstate: lost calls: %w", err)
	}
	var out []LostCall
	for _, r := range recs {
		if f := strings.SplitN(r, sep, 3); len(f) == 3 {
			out = append(out, LostCall{Node: f[0], CallID: f[1], Group: f[2]})
		}
	}
	return out, nil
}
