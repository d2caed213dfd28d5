package routing

import "fmt"

// AgentTransfer is an agent's blind transfer of the caller they are
// talking to: to a skill group (Group) or to a number (Number).
type AgentTransfer struct {
	CallID string
	Group  string // a skill group to queue the caller in again
	Number string // a number to dial instead; one of Group and Number
}

// CheckTransfer says whether serve can carry out an agent's transfer that
// the phone side's rules already allowed: into a skill group this ACD
// has, or to a number. Refused (an error): the agent keeps the caller.
// The transfer itself is the flow engine's (the queue node re-queues the
// caller or dials the number when the agent's leg ends with it).
func (a *ACD) CheckTransfer(t AgentTransfer) error {
	switch {
	case t.Group != "" && t.Number != "":
		return fmt.Errorf("transfer of call %s: both a group and a number", t.CallID)
	case t.Group != "":
		if _, err := a.Group(t.Group); err != nil {
			return fmt.Errorf("transfer of call %s: %w", t.CallID, err)
		}
		return nil
	case t.Number != "":
		return nil
	}
	return fmt.Errorf("transfer of call %s: no group and no number", t.CallID)
}
