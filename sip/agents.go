package sip

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/switchboard-cc/switchboard/events"
	"github.com/switchboard-cc/switchboard/internal/clock"
	"github.com/switchboard-cc/switchboard/ivr"
	"github.com/switchboard-cc/switchboard/routing"
	"github.com/switchboard-cc/switchboard/sip/b2bua"
	"github.com/switchboard-cc/switchboard/sip/registrar"
)

// AgentPhones is the agent side of the native transport, sharing its SIP
// socket: the registrar agents' phones REGISTER with, and the B2BUA that
// rings them for Call.Connect. Build both in cmd/switchboard and pass them
// in Deps.Agents; the server binds them once it listens.
type AgentPhones struct {
	Registrar *registrar.Registrar
	Legs      *b2bua.B2BUA
	// HoldMusic is what a caller hears while the agent holds the call.
	HoldMusic ivr.Playback
}

// AgentHooks connect the agent side to the ACD and the flow engine.
type AgentHooks struct {
	// OnAvailability: an agent's phone became callable or stopped being
	// (registration lapsed, phone unreachable, back again).
	OnAvailability func(agentID string, available bool, reason string)
	// OnRinging: the agent's phone rings for the call (180/183).
	OnRinging func(callID, agentID string)
	// OnTransfer carries out a blind transfer the rules allow (nil refuses
	// every transfer).
	OnTransfer func(ctx context.Context, t b2bua.TransferRequest) error
	HoldMusic  ivr.Playback
}

// NewAgentPhones builds the registrar and the B2BUA from the sip section of
// the configuration (cfg.Registrar, cfg.Transfers, cfg.MediaAddr) and the
// agent roster's passwords (agent ID -> password).
func NewAgentPhones(cfg Config, passwords map[string]string, hooks AgentHooks, sink events.Sink, clk clock.Clock, log *slog.Logger) (*AgentPhones, error) {
	mediaIP, err := agentMediaIP(cfg)
	if err != nil {
		return nil, err
	}
	rc := cfg.Registrar
	rc.Passwords = make(map[string]registrar.Password, len(passwords))
	for id, pw := range passwords {
		if pw != "" {
			rc.Passwords[id] = registrar.Password(pw)
		}
	}
	rc.Events, rc.Clock, rc.Log, rc.OnAvailability = sink, clk, log, hooks.OnAvailability
	reg, err := registrar.New(rc)
	if err != nil {
		return nil, fmt.Errorf("sip: %w", err)
	}
	legs, err := b2bua.New(b2bua.Config{
		Phones: phoneLocator(cfg, reg), MediaIP: mediaIP, Transfers: cfg.Transfers,
		OnTransfer: hooks.OnTransfer, OnRinging: hooks.OnRinging,
		Events: sink, Clock: clk, Log: log,
	})
	if err != nil {
		reg.Close()
		return nil, fmt.Errorf("sip: %w", err)
	}
	return &AgentPhones{Registrar: reg, Legs: legs, HoldMusic: hooks.HoldMusic}, nil
}

// agentMediaIP is where agent legs bind RTP: media_addr, else the listen
// host, else loopback (the same choice Serve makes for callers).
func agentMediaIP(cfg Config) (netip.Addr, error) {
	if cfg.MediaAddr != "" {
		ip, err := netip.ParseAddr(cfg.MediaAddr)
		if err != nil {
			return ip, fmt.Errorf("sip: media_addr %q: %w", cfg.MediaAddr, err)
		}
		return ip, nil
	}
	listen := cfg.Listen
	if listen == "" {
		listen = DefaultListen
	}
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("sip: listen %q: %w", listen, err)
	}
	ip, err := netip.ParseAddr(host)
	if err != nil || ip.IsUnspecified() {
		return netip.MustParseAddr("127.0.0.1"), nil
	}
	return ip, nil
}

// mountAgents puts the agent side on the listening socket: REGISTER goes to
// the registrar (whose OPTIONS qualify runs until ctx ends), and the
// in-dialog requests of agent legs reach the B2BUA before this server's own
// handlers see them.
func (s *Server) mountAgents(ctx context.Context, client *sipgo.Client, laddr netip.AddrPort) {
	a := s.agents
	if a == nil {
		return
	}
	if a.Registrar != nil {
		s.handle(sip.REGISTER, a.Registrar.OnRegister)
		go a.Registrar.Qualify(ctx, registrar.SIPPinger{Client: client})
	}
	if a.Legs == nil {
		return
	}
	contact := sip.Uri{Scheme: "sip", User: "switchboard", Host: laddr.Addr().String(), Port: int(laddr.Port())}
	if err := a.Legs.Bind(client, contact); err != nil {
		s.log.Error("agent legs not bound", "error", err)
		return
	}
	s.handle(sip.INVITE, a.Legs.Wrap(s.onInvite))
	s.handle(sip.ACK, a.Legs.Wrap(s.onAck))
	s.handle(sip.BYE, a.Legs.Wrap(s.onBye))
	s.handle(sip.OPTIONS, a.Legs.Wrap(s.onOptions))
	s.handle(sip.INFO, a.Legs.Wrap(s.onInfo))
	s.handle(sip.NOTIFY, a.Legs.Wrap(s.onNotify))
	s.handle(sip.REFER, a.Legs.Wrap(nil))
}

// connectAgents rings the offered agents through the B2BUA and bridges the
// one who answers with this caller. The caller's RTP is handed over through
// the media session's SetReceiver/WriteRTP; a media package without them
// leaves every agent unreachable (logged).
func (c *Call) connectAgents(ctx context.Context, o routing.Offer) (ivr.Leg, error) {
	a := c.srv.agents
	m, ok := any(c.session).(b2bua.CallerMedia)
	if !ok {
		c.log.Error("agent legs need media.Session.SetReceiver and WriteRTP; reporting agents unreachable")
		misses := make(map[string]string, len(o.Agents))
		for _, ag := range o.Agents {
			misses[ag.AgentID] = ivr.MissUnreachable
		}
		return nil, &ivr.ConnectError{Misses: misses}
	}
	c.mu.Lock()
	codec, dtmf := c.offer.Codec, c.offer.DTMFPT
	c.mu.Unlock()
	leg, err := a.Legs.Connect(ctx, b2bua.Caller{
		CallID: c.id, Number: c.from, Codec: codec, DTMFPayloadType: dtmf, Media: m,
		MusicOnHold: func(ctx context.Context) error { return c.Hold(ctx, a.HoldMusic) },
		Done:        c.done,
	}, o)
	if err != nil {
		if errors.Is(err, ivr.ErrHangup) {
			return nil, c.gone()
		}
		return nil, err
	}
	return leg, nil
}
