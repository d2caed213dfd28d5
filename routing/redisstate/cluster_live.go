package redisstate

import (
	"context"
	"time"
)

// liveTimeout bounds recording a call start: the call waits for it.
const liveTimeout = 250 * time.Millisecond

// AckedBy tells the cluster how to wait until the events emitted so far
// are in the event log (the events writer's Flush). A call is taken out
// of the node's live calls only once its call.end is acknowledged, so a
// node dying with a call.end still unwritten leaves that call to the
// reaper. Without it the call is taken out at once.
func (c *Cluster) AckedBy(flush func(context.Context) error) { c.acked = flush }

// callStarted records the call as live before its call.start can reach
// the log: a call the log shows started is one the reaper can end.
func (c *Cluster) callStarted(ctx context.Context, id string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), liveTimeout)
	defer cancel()
	if err := c.store.CallStarted(ctx, id); err != nil {
		c.log.Warn("cluster: record live call", "call_id", id, "err", err)
	}
}

func (c *Cluster) callEnded(id string) {
	select {
	case c.ended <- id:
	default:
		c.log.Error("cluster: ended-calls queue full; a call stays live in Redis", "call_id", id)
	}
}

// forgetEnded takes ended calls out of the live set, in batches, each once
// the log acknowledged their call.end (a failed flush is retried with the
// next batch, or after a second).
func (c *Cluster) forgetEnded(ctx context.Context) {
	var ids []string
	for {
		var retry <-chan time.Time
		if len(ids) > 0 {
			retry = time.After(time.Second)
		}
		select {
		case id := <-c.ended:
			ids = append(ids, id)
		case <-retry:
		case <-ctx.Done():
			return
		}
		for more := true; more; {
			select {
			case id := <-c.ended:
				ids = append(ids, id)
			default:
				more = false
			}
		}
		if c.acked != nil {
			fctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			err := c.acked(fctx)
			cancel()
			if err != nil {
				if ctx.Err() == nil {
					c.log.Warn("cluster: event log not acknowledging; ended calls stay live", "calls", len(ids), "err", err)
				}
				continue
			}
		}
		batch := ids
		ids = nil
		c.enqueue(func(ctx context.Context) {
			if err := c.store.CallsEnded(ctx, batch); err != nil {
				c.log.Warn("cluster: forget ended calls", "calls", len(batch), "err", err)
			}
		})
	}
}
