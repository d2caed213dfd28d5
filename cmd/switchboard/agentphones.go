package main

import (
	"context"
	"log/slog"
	"sync"

	"github.com/switchboard-cc/switchboard/routing"
)

// reasonPhoneUnavailable is the not-ready reason serve gives an agent whose
// phone stopped being callable, so the ACD offers them nothing until it is.
const reasonPhoneUnavailable = "phone_unavailable"

// rosterPasswords are the credentials agents' phones register with.
func rosterPasswords(cfg *Config) map[string]string {
	pw := make(map[string]string, len(cfg.Agents))
	for _, a := range cfg.Agents {
		if a.Password != "" {
			pw[a.ID] = a.Password
		}
	}
	return pw
}

// deviceGate ties the registrar's view of agents' phones to the ACD: a
// ready agent whose phone lapses or stops answering OPTIONS is set
// not_ready(phone_unavailable), and set ready again when the phone comes
// back, unless the agent or a supervisor changed their state meanwhile.
type deviceGate struct {
	acd *routing.ACD
	log *slog.Logger

	mu     sync.Mutex
	parked map[string]bool // agents this gate took out of rotation
}

func (g *deviceGate) changed(agentID string, available bool, reason string) {
	ctx := context.Background()
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.parked == nil {
		g.parked = map[string]bool{}
	}
	a, err := g.acd.Agent(agentID)
	if err != nil {
		return // a phone of someone not in the roster: the registrar refused it anyway
	}
	if !available {
		if a.Presence == routing.Ready {
			if err := g.acd.NotReady(ctx, agentID, "registrar", reasonPhoneUnavailable); err != nil {
				g.log.Warn("agent phone unavailable", "agent", agentID, "reason", reason, "err", err)
				return
			}
			g.parked[agentID] = true
		}
		return
	}
	if g.parked[agentID] {
		delete(g.parked, agentID)
		if a.Presence == routing.NotReady && a.Reason == reasonPhoneUnavailable {
			if err := g.acd.Ready(ctx, agentID, "registrar"); err != nil {
				g.log.Warn("agent phone back", "agent", agentID, "err", err)
			}
		}
	}
}
