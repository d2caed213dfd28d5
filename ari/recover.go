package ari

import (
	"context"
	"strings"

	"github.com/CyCoreSystems/ari/v5"

	"github.com/switchboard-cc/switchboard/events"
	"github.com/switchboard-cc/switchboard/ivr"
)

// Channel variables where the transport keeps what a restarted Switchboard
// needs to re-adopt a caller.
const (
	VarNode  = "SWITCHBOARD_NODE"  // the flow node the call was at
	VarQueue = "SWITCHBOARD_QUEUE" // the queue it waited in, "" when none
)

// resync reconciles with Asterisk after each (re)connection. Calls whose
// channel is gone end; channels in the application that no call runs are
// adopted:
//   - a caller not yet answered (state Ring) is a new call whose StasisStart
//     we missed or have buffered: it runs normally;
//   - an answered caller alone is a call of an earlier run: it hears the
//     recovery prompt and the handler runs it again with ResumeNode set;
//   - an answered caller bridged with an agent is a conversation of an
//     earlier run: it is watched, and when either side leaves the other is
//     hung up and the bridge removed;
//   - an agent leg nobody waits for is hung up.
func (t *Transport) resync(ctx context.Context) {
	var app *ari.ApplicationData
	err := t.do(ctx, "application", func() (err error) {
		app, err = t.rest.Application().Data(t.key(ari.ApplicationKey, t.cfg.Application))
		return err
	})
	if err != nil {
		t.log.Warn("ari: cannot list the application's channels; skipping re-adoption", "err", err)
		return
	}
	inApp := map[string]bool{}
	for _, id := range app.ChannelIDs {
		inApp[id] = true
	}
	t.mu.Lock()
	var lost []*call
	for id, c := range t.calls {
		if !inApp[id] {
			lost = append(lost, c)
		}
	}
	t.mu.Unlock()
	for _, c := range lost {
		c.log.Info("ari: channel left while the events connection was down")
		c.markGone()
	}
	var bridges map[string][]string
	for _, id := range app.ChannelIDs {
		t.mu.Lock()
		_, known := t.calls[id]
		leg := t.legs[id] || t.watching[id]
		t.mu.Unlock()
		if known || leg {
			continue
		}
		var ch channelJSON
		if err := t.getJSON(ctx, "/channels/"+id, &ch); err != nil {
			continue
		}
		if strings.HasPrefix(id, agentPrefix) || ch.Dialplan.AppName != "Stasis" {
			continue // agent legs are handled below; others are not in our Stasis app
		}
		if bridges == nil {
			bridges = t.bridgeMembers(ctx)
		}
		args := stasisArgs(ch.Dialplan.AppData, t.cfg.Application)
		if peers := bridges[id]; len(peers) > 0 {
			t.watchConversation(ctx, id, peers)
			continue
		}
		recovered := ch.State == "Up"
		if recovered {
			t.log.Warn("ari: re-adopting a caller left in Stasis by an earlier run", "call_id", id)
		}
		c := t.startCall(ctx, ch.data(), args, recovered)
		if c != nil && recovered {
			c.loadResume(ctx)
		}
	}
	// Agent legs that no caller waits for.
	for _, id := range app.ChannelIDs {
		t.mu.Lock()
		orphan := strings.HasPrefix(id, agentPrefix) && !t.legs[id] && !t.watching[id]
		t.mu.Unlock()
		if orphan {
			t.log.Info("ari: hanging up an agent leg left by an earlier run", "channel", id)
			_ = t.do(ctx, "hangup orphan", func() error { return t.rest.Channel().Hangup(t.key(ari.ChannelKey, id), "normal") })
		}
	}
}

// stasisArgs recovers the Stasis() arguments from the dialplan app data
// "switchboard,inbound,96069".
func stasisArgs(appData, app string) []string {
	parts := strings.Split(appData, ",")
	if len(parts) > 0 && parts[0] == app {
		return parts[1:]
	}
	return nil
}

// bridgeMembers maps each channel in a bridge to the other channels there.
func (t *Transport) bridgeMembers(ctx context.Context) map[string][]string {
	out := map[string][]string{}
	var keys []*ari.Key
	if err := t.do(ctx, "bridges", func() (err error) {
		keys, err = t.rest.Bridge().List(nil)
		return err
	}); err != nil {
		return out
	}
	for _, k := range keys {
		var b *ari.BridgeData
		if t.do(ctx, "bridge", func() (err error) {
			b, err = t.rest.Bridge().Data(k)
			return err
		}) != nil {
			continue
		}
		for _, id := range b.ChannelIDs {
			for _, other := range b.ChannelIDs {
				if other != id {
					out[id] = append(out[id], other)
				}
			}
		}
	}
	return out
}

// watchConversation keeps a re-adopted caller and agent talking; when one
// side leaves, the other is hung up.
func (t *Transport) watchConversation(ctx context.Context, caller string, peers []string) {
	ids := append([]string{caller}, peers...)
	t.mu.Lock()
	for _, id := range ids {
		t.watching[id] = true
	}
	t.wg.Add(1)
	t.mu.Unlock()
	t.log.Warn("ari: re-adopting a conversation in progress", "call_id", caller, "peers", peers)
	subs := make([]ari.Subscription, len(ids))
	left := make(chan string, len(ids))
	for i, id := range ids {
		subs[i] = t.bus.Subscribe(t.key(ari.ChannelKey, id), ari.Events.StasisEnd, ari.Events.ChannelDestroyed)
		go func(id string, s ari.Subscription) {
			if _, ok := <-s.Events(); ok {
				left <- id
			}
		}(id, subs[i])
	}
	go func() {
		defer t.wg.Done()
		defer func() {
			for _, s := range subs {
				s.Cancel()
			}
			t.mu.Lock()
			for _, id := range ids {
				delete(t.watching, id)
			}
			t.mu.Unlock()
		}()
		select {
		case gone := <-left:
			hctx, cancel := t.detached()
			defer cancel()
			for _, id := range ids {
				if id != gone {
					_ = t.do(hctx, "hangup", func() error { return t.rest.Channel().Hangup(t.key(ari.ChannelKey, id), "normal") })
				}
			}
		case <-ctx.Done():
		}
	}()
}

// loadResume reads where an earlier run left the call.
func (c *call) loadResume(ctx context.Context) {
	for _, v := range []struct {
		name string
		dst  *string
	}{{VarNode, &c.node}, {VarQueue, &c.queue}} {
		var val string
		if c.t.do(ctx, "get "+v.name, func() (err error) {
			val, err = c.t.rest.Channel().GetVariable(c.key(), v.name)
			return err
		}) == nil {
			c.mu.Lock()
			*v.dst = val
			c.mu.Unlock()
		}
	}
}

// ResumeNode says where to resume a call re-adopted after a restart: the
// node it was at (the queue node when it was waiting for an agent) and
// whether the call is such a recovery. A handler runs the flow from that
// node instead of the start; see docs/asterisk.md.
func ResumeNode(ic ivr.Call) (node string, recovered bool) {
	c, ok := ic.(*call)
	if !ok || !c.recovered {
		return "", false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.queue != "" {
		return c.queue, true
	}
	return c.node, true
}

// ResumeNode is the method form of the package function, for an engine
// that checks its Call for `interface{ ResumeNode() (string, bool) }`.
func (c *call) ResumeNode() (string, bool) { return ResumeNode(c) }

// Track wraps the event sink so that the transport remembers, on each of its
// channels, the node the flow is at and the queue it waits in (channel
// variables VarNode and VarQueue), which a restarted Switchboard reads to
// re-adopt the caller. Events of calls on other transports pass through.
func (t *Transport) Track(next events.Sink) events.Sink {
	return events.SinkFunc(func(ctx context.Context, e events.Event) {
		next.Emit(ctx, e)
		t.mu.Lock()
		c := t.calls[e.CallID]
		t.mu.Unlock()
		if c == nil {
			return
		}
		var name, val string
		switch e.Type {
		case events.IVRNode:
			name, val = VarNode, e.Node
		case events.QueueEnter:
			name, val = VarQueue, e.Node
			if val == "" {
				val = e.Queue
			}
		case events.QueueConnect, events.QueueAbandon, events.QueueTimeout, events.QueueOverflow, events.QueueClosed:
			name, val = VarQueue, ""
		default:
			return
		}
		c.remember(name, val)
	})
}

// remember stores a channel variable in the background; one writer per
// call sends the latest values in order, so a quick run of nodes never
// leaves an older node on the channel.
func (c *call) remember(name, val string) {
	c.mu.Lock()
	if c.pendingVars == nil {
		c.pendingVars = map[string]string{}
	}
	c.pendingVars[name] = val
	if c.writingVars {
		c.mu.Unlock()
		return
	}
	c.writingVars = true
	c.mu.Unlock()
	go func() {
		for {
			c.mu.Lock()
			vars := c.pendingVars
			c.pendingVars = nil
			if len(vars) == 0 || c.gone {
				c.writingVars = false
				c.mu.Unlock()
				return
			}
			c.mu.Unlock()
			for name, val := range vars {
				ctx, cancel := c.t.detached()
				_ = c.t.do(ctx, "set "+name, func() error { return c.t.rest.Channel().SetVariable(c.key(), name, val) })
				cancel()
			}
		}
	}()
}
