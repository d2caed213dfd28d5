package main

import (
	"fmt"
	"log/slog"

	"github.com/switchboard-cc/switchboard/routing"
	"github.com/switchboard-cc/switchboard/sip/kamailio"
)

// deviceGate is how this node learns whether agents' phones can be rung,
// so the ACD parks agents whose phone cannot be: the node's own registrar
// feeds the gate it returns (the default), or, with cluster.registrar_rpc,
// the watch feeds it from Kamailio's location table, where a cluster's
// phones register (gate is then nil: the node's registrar sees nothing
// that counts). watch is nil unless Kamailio is polled.
func deviceGate(cfg *Config, acd *routing.ACD, log *slog.Logger) (gate *routing.DeviceGate, watch *kamailio.Watch, err error) {
	log = log.With("component", "agents")
	c := cfg.Cluster
	if c == nil || c.Redis == "" {
		return routing.NewDeviceGate(acd, log), nil, nil
	}
	// Every node hears the same registrar: a node's gate may bring back an
	// agent another node parked.
	gate = routing.NewSharedDeviceGate(acd, log)
	if c.RegistrarRPC == "" {
		if c.Proxy != "" {
			log.Warn("cluster.proxy without cluster.registrar_rpc: agents whose phone is not registered at the proxy are still offered calls (docs/cluster.md)")
		}
		return gate, nil, nil
	}
	loc, err := kamailio.NewLocation(c.RegistrarRPC, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("cluster.registrar_rpc: %w", err)
	}
	if loc.Public() {
		log.Warn("cluster.registrar_rpc is a public address: Kamailio's RPC has no authentication, keep it on loopback or a private network", "url", c.RegistrarRPC)
	}
	watch = &kamailio.Watch{
		Location:       loc,
		Agents:         func() []string { return agentIDs(acd) },
		OnAvailability: gate.Changed,
		Poll:           c.RegistrarPoll,
		Log:            log.With("registrar", c.RegistrarRPC),
	}
	return nil, watch, nil
}

// agentIDs is the ACD's roster.
func agentIDs(acd *routing.ACD) []string {
	agents := acd.Agents()
	ids := make([]string, len(agents))
	for i, a := range agents {
		ids[i] = a.ID
	}
	return ids
}
