package ivr

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/switchboard-cc/switchboard/events"
	"github.com/switchboard-cc/switchboard/flows"
)

// run is one call's walk through the graph. It lives as long as Engine.Run
// and is touched by the Run goroutine only, except where queue.go says so.
type run struct {
	e       *Engine
	call    Call
	catalog *flows.Catalog
	flow    *flows.Flow
	node    *flows.Node
	vars    vars
	log     *slog.Logger

	steps     int            // transitions in total
	sinceUser int            // transitions since the last caller input
	records   map[string]int // record node ID -> times recorded, for unique paths
	// talkEndedBy is who ended the last conversation with an agent
	// (ByAgent, ByCaller): when the flow then ends on its own (a goodbye,
	// a hangup node), the call was ended by that side, not by the system.
	talkEndedBy string
}

// ending stops the walk with an outcome; node handlers return it as error.
type ending struct{ out Outcome }

func (e *ending) Error() string { return "call ends: " + e.out.Reason }

// finish ends the walk: the engine hangs up with cause "normal".
func (r *run) finish(res Result, reason string) error {
	return &ending{Outcome{Result: res, Reason: reason, By: BySystem, Cause: "normal"}}
}

// input records caller input, which resets the loop guard.
func (r *run) input() { r.sinceUser = 0 }

// Handler runs one call for a transport: every transport (native SIP,
// Asterisk over ARI, and any other) takes a Handler, normally Engine.Run.
// It returns when the flow is done; the Outcome tells the transport what
// to do with a call still up (hang up, or hand it back: Continue).
type Handler func(ctx context.Context, call Call) Outcome

// Run answers call, runs the flow its dialed number selects until the call
// ends, and returns how it ended. It returns when the caller hangs up (at
// once, whatever the node), when the flow ends, or when ctx ends. The
// caller of Run owns call; Run hangs it up unless the caller is gone, it
// was transferred, or a hangup node asked to Continue.
func (e *Engine) Run(ctx context.Context, call Call) Outcome {
	r := &run{e: e, call: call, catalog: e.catalog()}
	r.log = e.log.With("call_id", call.ID())
	if r.catalog != nil {
		r.flow = r.catalog.ByNumber[call.To()]
	}
	r.vars.init(call, r.flow)
	flowName := ""
	if r.flow != nil {
		flowName = r.flow.Name
		r.log = r.log.With("flow", flowName)
	}
	transport := ""
	if t, ok := call.(interface{ Transport() string }); ok {
		transport = t.Transport()
	}
	r.emit(ctx, events.CallStart, "", map[string]string{
		"from": call.From(), "to": call.To(), "flow": flowName, "transport": transport,
	})
	if r.flow == nil {
		out := Outcome{Result: Failed, Reason: ReasonNoFlow, By: BySystem, Cause: "unallocated",
			Err: fmt.Errorf("no flow for number %q", call.To())}
		return r.end(ctx, out)
	}

	// The run's context ends when the caller hangs up, so lookups and the
	// router stop waiting at once too.
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	go func() {
		select {
		case <-call.Done():
			cancel(ErrHangup)
		case <-ctx.Done():
		}
	}()

	if err := call.Answer(ctx); err != nil {
		return r.end(ctx, r.outcomeOf(ctx, err))
	}
	return r.end(ctx, r.walk(ctx, r.startNode()))
}

// Resumer is a Call that a transport re-adopted after Switchboard
// restarted (ARI keeps callers in Stasis across a restart): ResumeNode names
// the node the call was at, so a queued caller goes back in line instead of
// hearing the flow from the start.
type Resumer interface {
	ResumeNode() (node string, ok bool)
}

// startNode is the flow's start, or the node a re-adopted call resumes at.
func (r *run) startNode() *flows.Node {
	if rs, ok := r.call.(Resumer); ok {
		if id, ok := rs.ResumeNode(); ok {
			if n := r.flow.ByID[id]; n != nil {
				r.log.Info("resuming re-adopted call", "node", id)
				return n
			}
			r.log.Warn("re-adopted call names an unknown node; starting over", "node", id)
		}
	}
	return r.flow.Start
}

// walk runs nodes from start until one ends the call.
func (r *run) walk(ctx context.Context, n *flows.Node) Outcome {
	for {
		if n == nil {
			return r.outcomeOf(ctx, r.finish(Completed, ReasonEndOfFlow))
		}
		r.node = n
		r.steps++
		r.sinceUser++
		if r.sinceUser > r.e.cfg.MaxSteps {
			r.log.Warn("loop guard stopped the call", "node", n.ID, "steps", r.sinceUser)
			return Outcome{Result: Failed, Reason: ReasonLoopGuard, By: BySystem, Cause: "failure",
				Err: fmt.Errorf("%d node transitions without caller input", r.sinceUser-1)}
		}
		select {
		case <-r.call.Done():
			return r.outcomeOf(ctx, ErrHangup)
		default:
		}
		if n.Type != flows.Hours { // hours records its node event with the branch taken
			r.emit(ctx, events.IVRNode, n.ID, r.e.data.node(r.flow.Name, n.Type, ""))
		}
		next, err := r.exec(ctx, n)
		if err != nil {
			return r.outcomeOf(ctx, err)
		}
		n = next
	}
}

// exec dispatches on the node type: the closed set of flows.Types, one
// handler per file.
func (r *run) exec(ctx context.Context, n *flows.Node) (*flows.Node, error) {
	if h, ok := nodeHandlers[n.Type]; ok {
		return h(r, ctx, n)
	}
	return nil, fmt.Errorf("node %s: unknown type %q", n.ID, n.Type)
}

// nodeHandlers runs each node type; a test holds it to flows.Types, so a
// type the loader accepts cannot reach the engine without a handler.
var nodeHandlers = map[flows.Type]func(*run, context.Context, *flows.Node) (*flows.Node, error){
	flows.Play:     (*run).play,
	flows.Menu:     (*run).menu,
	flows.Input:    (*run).inputNode,
	flows.Hours:    (*run).hours,
	flows.Switch:   (*run).switchNode,
	flows.Set:      (*run).set,
	flows.Queue:    (*run).queue,
	flows.Transfer: (*run).transfer,
	flows.Record:   (*run).record,
	flows.Callback: (*run).callback,
	flows.Lookup:   (*run).lookup,
	flows.Goto:     (*run).gotoNode,
	flows.Hangup:   (*run).hangup,
}

// outcomeOf turns the error that stopped the walk into an Outcome.
func (r *run) outcomeOf(ctx context.Context, err error) Outcome {
	var end *ending
	switch {
	case errors.As(err, &end):
		return end.out
	case r.callerGone(ctx, err):
		var td TornDown
		if errors.As(err, &td) && td.HangupBy() != ByCaller {
			// The transport ended the call itself (no RTP, say): the
			// caller did not hang up, and there is nobody left to hang up on.
			return Outcome{Result: Failed, Reason: td.HangupReason(), By: td.HangupBy(), Err: err}
		}
		return Outcome{Result: CallerHangup, Reason: ReasonCallerHangup, By: ByCaller}
	case ctx.Err() != nil:
		return Outcome{Result: Failed, Reason: ReasonShutdown, By: BySystem, Cause: "normal", Err: context.Cause(ctx)}
	}
	return Outcome{Result: Failed, Reason: ReasonCallError, By: BySystem, Cause: "failure", Err: err}
}

// TornDown is an error, wrapping ErrHangup, by which a transport says it
// ended the call itself and why (sip: no RTP for rtp_timeout), so call.end
// records who really ended it.
type TornDown interface {
	error
	HangupBy() string     // ByCaller, ByAgent or BySystem
	HangupReason() string // e.g. "rtp_timeout"
}

// callerGone reports whether err (or the call's state) says the caller hung up.
func (r *run) callerGone(ctx context.Context, err error) bool {
	if errors.Is(err, ErrHangup) || errors.Is(context.Cause(ctx), ErrHangup) {
		return true
	}
	select {
	case <-r.call.Done():
		return true
	default:
		return false
	}
}

// end hangs the call up when that is the engine's job, records call.end and
// returns the completed outcome.
func (r *run) end(ctx context.Context, out Outcome) Outcome {
	out.Steps = r.steps
	if r.flow != nil {
		out.Flow = r.flow.Name
	}
	if r.node != nil {
		out.LastNode = r.node.ID
	}
	if out.Result == CallerHangup || out.Result == Transferred || out.Continue {
		out.Cause = ""
	} else if out.Cause != "" {
		// ctx may be the reason we are here (shutdown): tell the far end anyway.
		hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), hangupTimeout)
		err := r.call.Hangup(hctx, out.Cause)
		cancel()
		if err != nil && !errors.Is(err, ErrHangup) {
			r.log.Warn("hangup failed", "err", err)
		}
	}
	if r.talkEndedBy == ByAgent && out.By == BySystem && out.Result == Completed {
		// The agent hung up and the flow played its goodbye: the agent
		// ended the call (queue_log COMPLETEAGENT, reports "by agent").
		out.By = ByAgent
	}
	data := map[string]string{"by": out.By, "reason": out.Reason, "result": string(out.Result), "flow": out.Flow}
	if r.talkEndedBy != "" {
		data["talk_ended_by"] = r.talkEndedBy
	}
	if out.Continue {
		data["continue"] = "1"
	}
	r.emit(context.WithoutCancel(ctx), events.CallEnd, out.LastNode, data)
	if out.Err != nil {
		r.log.Info("call ended", "result", out.Result, "reason", out.Reason, "node", out.LastNode, "err", r.vars.redact(out.Err.Error()))
	}
	return out
}

func (r *run) emit(ctx context.Context, t events.Type, node string, data map[string]string) {
	r.e.sink.Emit(ctx, events.Event{
		Time:   r.e.clock.Now().UTC(),
		CallID: r.call.ID(),
		Type:   t,
		Node:   node,
		Data:   data,
	})
}
