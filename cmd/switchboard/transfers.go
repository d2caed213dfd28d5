package main

import (
	"context"
	"fmt"

	"github.com/switchboard-cc/switchboard/ivr"
	"github.com/switchboard-cc/switchboard/routing"
	"github.com/switchboard-cc/switchboard/sip/b2bua"
)

// agentTransfers is sip.AgentHooks.OnTransfer: it accepts an agent's blind
// transfer the b2bua's rules already allowed when serve can carry it out
// (a skill group that exists, or a number), and refuses it otherwise so
// the agent's phone keeps the caller. The transfer itself happens in the
// engine: the queue node sees the agent's leg end with the transfer
// (ivr.TransferredLeg) and re-queues the caller or dials the number.
func agentTransfers(groups map[string]routing.GroupConfig) func(context.Context, b2bua.TransferRequest) error {
	return func(_ context.Context, t b2bua.TransferRequest) error {
		switch t.Kind {
		case b2bua.TransferQueue:
			if _, ok := groups[t.Target]; !ok {
				return fmt.Errorf("transfer of call %s to group %q: no such skill group", t.CallID, t.Target)
			}
			return nil
		case b2bua.TransferNumber:
			if t.Target == "" {
				return fmt.Errorf("transfer of call %s: no number", t.CallID)
			}
			return nil
		}
		return fmt.Errorf("transfer of call %s: kind %q not supported", t.CallID, t.Kind)
	}
}

// The queue node finds the agent's transfer on the native SIP agent leg.
var _ ivr.TransferredLeg = (*b2bua.Leg)(nil)
