package redisstate

import (
	"context"
	"fmt"
)

// Every call in progress on a node (from call.start to a durable call.end)
// is a member of its live set, so that when the node dies the node that
// reaps it can end the calls that died with it (Reaped.CutCalls): a caller
// talking to an agent, or still in the flow, leaves no call.end otherwise.

func (s *Store) liveKey(node string) string { return s.key("live", node) }

// CallStarted records that a call is in progress on this node.
func (s *Store) CallStarted(ctx context.Context, callID string) error {
	s.trips.Add(1)
	if err := s.rdb.SAdd(ctx, s.liveKey(s.node), callID).Err(); err != nil {
		return fmt.Errorf("redisstate: call %s started: %w", callID, err)
	}
	return nil
}

// CallsEnded records that calls ended on this node. Call it once their
// call.end is in the event log: a node dying before that leaves them to
// the reaper.
func (s *Store) CallsEnded(ctx context.Context, callIDs []string) error {
	if len(callIDs) == 0 {
		return nil
	}
	members := make([]any, len(callIDs))
	for i, id := range callIDs {
		members[i] = id
	}
	s.trips.Add(1)
	if err := s.rdb.SRem(ctx, s.liveKey(s.node), members...).Err(); err != nil {
		return fmt.Errorf("redisstate: calls ended: %w", err)
	}
	return nil
}

// LiveCalls is every call in progress on node, as Redis has it.
func (s *Store) LiveCalls(ctx context.Context, node string) ([]string, error) {
	s.trips.Add(1)
	ids, err := s.rdb.SMembers(ctx, s.liveKey(node)).Result()
	if err != nil {
		return nil, fmt.Errorf("redisstate: live calls of %s: %w", node, err)
	}
	return ids, nil
}
