package main

import (
	"context"
	"fmt"

	"github.com/switchboard-cc/switchboard/ivr"
	"github.com/switchboard-cc/switchboard/routing"
	"github.com/switchboard-cc/switchboard/sip/b2bua"
)

// agentTransfers is sip.AgentHooks.OnTransfer: the b2bua's rules already
// allowed the agent's blind transfer; the ACD says whether it can be
// carried out (routing.ACD.CheckTransfer), and a refusal leaves the
// caller with the agent. The transfer itself happens in the engine: the
// queue node sees the agent's leg end with the transfer
// (ivr.TransferredLeg) and re-queues the caller or dials the number.
func agentTransfers(acd *routing.ACD) func(context.Context, b2bua.TransferRequest) error {
	return func(_ context.Context, t b2bua.TransferRequest) error {
		switch t.Kind {
		case b2bua.TransferQueue:
			return acd.CheckTransfer(routing.AgentTransfer{CallID: t.CallID, Group: t.Target})
		case b2bua.TransferNumber:
			return acd.CheckTransfer(routing.AgentTransfer{CallID: t.CallID, Number: t.Target})
		}
		return fmt.Errorf("transfer of call %s: kind %q not supported", t.CallID, t.Kind)
	}
}

// The queue node finds the agent's transfer on the native SIP agent leg.
var _ ivr.TransferredLeg = (*b2bua.Leg)(nil)
