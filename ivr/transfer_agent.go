package ivr

import (
	"context"

	"github.com/switchboard-cc/switchboard/flows"
	"github.com/switchboard-cc/switchboard/routing"
)

// TransferQueue is the Transfer.Kind of an agent's blind transfer to a
// skill group: Target is the group's name.
const TransferQueue = "queue"

// TransferredLeg is a Leg that can report the agent's blind transfer (SIP
// REFER). A transport whose agents can transfer implements it on its Leg;
// once Done is closed, Transferred says whether the conversation ended
// because the agent transferred the caller, and where to: Kind
// TransferQueue with a group name, or "number" with the number to dial. The
// transport has already checked the target against its rules and recorded
// the call.transfer event (with the agent), which ends the agent's part of
// the call in the reports; the engine only carries the transfer out.
type TransferredLeg interface {
	Leg
	Transferred() (Transfer, bool)
}

// transferredBy reports the agent's transfer on leg, if it has one.
func transferredBy(leg Leg) (Transfer, bool) {
	tl, ok := leg.(TransferredLeg)
	if !ok {
		return Transfer{}, false
	}
	t, ok := tl.Transferred()
	if !ok || t.Target == "" {
		return Transfer{}, false
	}
	return t, true
}

// requeue is the caller's new place after an agent transferred them to
// group: the same call and caller, the node's priority and max wait, in
// line from now (the group's own skills: the node's extra skills were for
// the group it named).
func (r *run) requeue(prev routing.Request, group string) routing.Request {
	r.log.Info("agent transferred the caller to a group", "from", prev.Group, "to", group)
	return routing.Request{
		CallID:   prev.CallID,
		Caller:   prev.Caller,
		Group:    group,
		Priority: prev.Priority,
		MaxWait:  prev.MaxWait,
	}
}

// transferOut hands the call to the number the agent transferred it to. The
// flow ends there; when the transport cannot, the call goes to the queue
// node's Next, or ends.
func (r *run) transferOut(ctx context.Context, n *flows.Node, t Transfer) (*flows.Node, error) {
	if t.Kind == "" {
		t.Kind = "number"
	}
	if err := r.call.Transfer(ctx, t); err != nil {
		if r.callerGone(ctx, err) {
			return nil, err
		}
		r.log.Warn("agent's transfer failed", "node", n.ID, "target", t.Target, "kind", t.Kind, "err", err)
		if n.Next != nil {
			r.input()
			return n.Next, nil
		}
		return nil, r.finish(Completed, ReasonTransferFailed)
	}
	return nil, &ending{Outcome{Result: Transferred, Reason: ReasonTransfer, By: ByAgent}}
}
