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

	// shared: the gates of the nodes of a cluster act as one, so an agent
	// any of them parked counts as parked by this one.
	shared bool

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

// NewSharedDeviceGate returns the gate of one node of a cluster whose
// agents' presence is shared (routing/redisstate): every node's gate hears
// the same registrar, and an agent found not_ready(phone_unavailable) —
// a reason only gates give — is taken as parked by this gate too, so the
// agent comes back when the phone does even if the node that parked it
// has since died or restarted.
func NewSharedDeviceGate(acd *ACD, log *slog.Logger) *DeviceGate {
	g := NewDeviceGate(acd, log)
	g.shared = true
	return g
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
	if g.parked[agentID] || g.shared {
		delete(g.parked, agentID)
		if a.Presence == NotReady && a.Reason == ReasonPhoneUnavailable {
			if err := g.acd.Ready(ctx, agentID, "registrar"); err != nil {
				g.log.Warn("agent phone back", "agent", agentID, "err", err)
			}
		}
	}
}
