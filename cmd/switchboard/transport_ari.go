package main

import (
	"github.com/switchboard-cc/switchboard/ari"
	"github.com/switchboard-cc/switchboard/internal/clock"
)

// newARITransport is Asterisk over ARI, beside native SIP, when the config
// has an ari section. serve does not wait for it to connect: with Asterisk
// down its Serve keeps retrying and logging while the rest serves.
func newARITransport(cfg ari.Config, deps transportDeps) (*ari.Transport, error) {
	return ari.New(cfg, deps.handler, ari.Options{Logger: deps.log.With("component", "ari"), Clock: clock.Real{}})
}
