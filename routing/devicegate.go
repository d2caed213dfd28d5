package routing

import (
	"context"
	"log/slog"
	"sync"
)

// ReasonPhoneUnavailable is the not-ready reason a DeviceGate gives an
// agent whose phone stopped being callable, so the ACD offers them nothing
// until it is. An ACD that uses a DeviceGate lists it among its
// Config.NotReadyReasons.
const ReasonPhoneUnavailable = "phone_unavailable"

// DeviceGate ties the registrar's view of agents' phones to the ACD: a
// ready agent whose phone lapses or stops answering is set
// not_ready(phone_unavailable), and set ready again when the phone comes
// back, unless the agent or a supervisor changed their state meanwhile.
type DeviceGate struct {
	acd *ACD
	log *slog.Logger

	mu     sync.Mutex
	parked map[string]bool // agents this gate took out of rotation
}

// NewDeviceGate returns a gate over acd; log may be nil.
func NewDeviceGate(acd *ACD, log *slog.Logger) *DeviceGate {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &DeviceGate{acd: acd, log: log, parked: map[string]bool{}}
}

// Changed is told that agentID's phone became available or not (reason
// says why, for the log): the registrar's availability hook.
func (g *DeviceGate) Changed(agentID string, available bool, reason string) {
	ctx := context.Background()
	g.mu.Lock()
	defer g.mu.Unlock()
	a, err := g.acd.Agent(agentID)
	if err != nil {
		return // a phone of someone not in the roster: the registrar refused it anyway
	}
	if !available {
		if a.Presence == Ready {
			if err := g.acd.NotReady(ctx, agentID, "registrar", ReasonPhoneUnavailable); err != nil {
				g.log.Warn("agent phone unavailable", "agent", agentID, "reason", reason, "err", err)
				return
			}
			g.parked[agentID] = true
		}
		return
	}
	if g.parked[agentID] {
		delete(g.parked, agentID)
		if a.Presence == NotReady && a.Reason == ReasonPhoneUnavailable {
			if err := g.acd.Ready(ctx, agentID, "registrar"); err != nil {
				g.log.Warn("agent phone back", "agent", agentID, "err", err)
			}
		}
	}
}
