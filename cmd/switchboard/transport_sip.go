package main

import (
	"github.com/switchboard-cc/switchboard/internal/clock"
	"github.com/switchboard-cc/switchboard/ivr"
	"github.com/switchboard-cc/switchboard/sip"
)

// newSIPTransport is native SIP: callers on UDP and TCP, and the agents'
// phones (registrar and B2BUA legs), whose availability the ACD follows
// (routing.DeviceGate, unless Kamailio is the registrar that counts:
// cluster_phones.go) and whose blind transfers it checks.
func newSIPTransport(cfg *Config, deps transportDeps) (*sip.Server, error) {
	var availability func(agentID string, available bool, reason string)
	if deps.gate != nil {
		availability = deps.gate.Changed
	}
	agents, err := sip.NewAgentPhones(cfg.SIP, rosterPasswords(cfg), sip.AgentHooks{
		OnAvailability: availability,
		HoldMusic:      ivr.Playback{Prompts: []ivr.Prompt{{Name: "moh", File: "en/moh.wav"}}},
		OnTransfer:     deps.callbacks.transfers(agentTransfers(deps.acd)),
	}, deps.events, clock.Real{}, deps.log.With("component", "agents"))
	if err != nil {
		return nil, err
	}
	return sip.New(cfg.SIP, sip.Deps{
		Agents:  agents,
		Handler: deps.handler,
		Claims:  deps.claims,
		Prompts: deps.prompts,
		Events:  deps.events,
		Clock:   clock.Real{},
		Logger:  deps.log.With("component", "sip"),
	})
}

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
