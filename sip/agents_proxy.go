package sip

import (
	"github.com/switchboard-cc/switchboard/sip/b2bua"
	"github.com/switchboard-cc/switchboard/sip/registrar"
)

// phoneLocator is where agent legs find phones: this node's registrar, or
// with Config.AgentProxy the proxy that is the cluster's shared location.
func phoneLocator(cfg Config, reg *registrar.Registrar) b2bua.Locator {
	if cfg.AgentProxy == "" {
		return reg
	}
	return proxyLocator(cfg.AgentProxy)
}

// proxyLocator rings every agent through the proxy (sip:AGENT@proxy over
// UDP); the proxy looks the agent's phone up in its own location table and
// answers 404 for an agent with no phone registered, which counts as
// unreachable.
type proxyLocator string

func (p proxyLocator) Lookup(agentID string) []registrar.Contact {
	return []registrar.Contact{{AgentID: agentID, URI: "sip:" + agentID + "@" + string(p), Source: string(p), Transport: "udp"}}
}
