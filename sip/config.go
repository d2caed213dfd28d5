package sip

import (
	"fmt"
	"io/fs"
	"log/slog"
	"net/netip"
	"time"

	"github.com/switchboard-cc/switchboard/events"
	"github.com/switchboard-cc/switchboard/internal/clock"
	"github.com/switchboard-cc/switchboard/ivr"
	"github.com/switchboard-cc/switchboard/sip/b2bua"
	"github.com/switchboard-cc/switchboard/sip/registrar"
)

// Defaults, each with its reason.
const (
	// DefaultListen is loopback so a fresh install exposes nothing.
	DefaultListen = "127.0.0.1:5060"
	// DefaultRTPPortMin/Max: 10,000 ports is 10,000 calls at one port each
	// (we do not use RTCP), well above one core's capacity.
	DefaultRTPPortMin = 20000
	DefaultRTPPortMax = 29999
	// DefaultMaxCalls keeps one node below the load it was measured clean at.
	DefaultMaxCalls = 1000
	// DefaultRTPTimeout: phones send 50 packets/s; 30 s of nothing is a dead
	// peer (a lost BYE, a crashed phone), the same default as Asterisk's
	// rtptimeout in common configs.
	DefaultRTPTimeout = 30 * time.Second
	// DefaultFloodRate/Burst: a real caller or trunk sends a few INVITEs a
	// second; a flood from one address gets 503 Retry-After instead.
	DefaultFloodRate  = 20.0
	DefaultFloodBurst = 40
	// DefaultRetryAfter is the Retry-After sent with flood and limit 503s.
	DefaultRetryAfter = 5 * time.Second
)

// Config is the sip section of switchboard.yaml.
type Config struct {
	// Listen is the UDP and TCP address for SIP (host:port; port 0 picks one).
	Listen string `yaml:"listen"`
	// MediaAddr is the IP put in SDP answers and bound for RTP. Empty: the
	// Listen host (or 127.0.0.1 when that is a wildcard).
	MediaAddr string `yaml:"media_addr"`
	// AgentProxy (host:port) is a SIP proxy that is the agents' registrar
	// for a cluster of nodes (deploy/kamailio): agents are rung at
	// sip:AGENT@AgentProxy and the proxy finds their phones. Empty: agents
	// register with this node, and are rung where they registered.
	AgentProxy string `yaml:"agent_proxy"`
	// RTPPortMin/RTPPortMax bound the RTP ports (one per call). 0,0 uses the
	// defaults; RTPPortMin -1 lets the kernel pick (tests).
	RTPPortMin int `yaml:"rtp_port_min"`
	RTPPortMax int `yaml:"rtp_port_max"`
	// MaxCalls is how many calls run at once; more are refused with
	// AtLimitStatus (486 Busy Here or 503 Service Unavailable).
	MaxCalls      int `yaml:"max_calls"`
	AtLimitStatus int `yaml:"at_limit_status"`
	// RTPTimeout tears down a call whose caller sent no RTP for this long
	// (not while the caller holds us). Negative: never.
	RTPTimeout time.Duration `yaml:"rtp_timeout"`
	// FloodRate (INVITEs per second) and FloodBurst limit each source IP.
	// FloodRate < 0 turns the limit off (benchmarks from one address).
	FloodRate  float64 `yaml:"flood_rate"`
	FloodBurst int     `yaml:"flood_burst"`
	// TCPIdleTimeout closes a SIP/TCP connection that sent nothing for
	// this long, unless a call in progress uses it (0: DefaultTCPIdleTimeout;
	// negative: never). TCPMaxPerSource caps connections from one IP and
	// TCPMaxConns all of them; more are closed as soon as they are
	// accepted (0: the defaults, see tcplimit.go; negative: no cap).
	TCPIdleTimeout  time.Duration `yaml:"tcp_idle_timeout"`
	TCPMaxPerSource int           `yaml:"tcp_max_per_source"`
	TCPMaxConns     int           `yaml:"tcp_max_conns"`
	// PacerShards splits the 20 ms media tick over this many goroutines;
	// 0: one per CPU (GOMAXPROCS).
	PacerShards int `yaml:"pacer_shards"`
	// UserAgent is sent in the User-Agent and Server headers.
	UserAgent string `yaml:"user_agent"`
	// Registrar and Transfers configure agents' phones (AgentPhones,
	// docs/agents-phones.md); passwords come from the agent roster.
	Registrar registrar.Config    `yaml:"registrar"`
	Transfers b2bua.TransferRules `yaml:"transfers"`
	// Trunk is the outbound line callbacks are dialled on (Dialer,
	// docs/sip.md); no URI: no trunk.
	Trunk TrunkConfig `yaml:"trunk"`
}

// Deps are what the server needs from the rest of the program.
type Deps struct {
	// Handler runs one call (ivr.Engine.Run). It returns when the flow is
	// done; the server then hangs up if the call is still up (native SIP
	// has no dialplan to hand a call back to, so Outcome.Continue is a
	// hang-up too).
	Handler ivr.Handler
	// Claims reports whether a flow answers the dialed number; calls to
	// other numbers get 404. Nil claims every number.
	Claims func(number string) bool
	// Prompts is the prompt store (configs/prompts or its embedded copy):
	// ivr.Prompt.File is a path in it.
	Prompts fs.FS
	// RecordingsDir is where a relative ivr.Record path is written (the
	// engine gives absolute ones); empty: the working directory.
	RecordingsDir string
	Events        events.Sink
	Clock         clock.Clock
	Logger        *slog.Logger
	// Agents is the agent-phone side (registrar and B2BUA, see AgentPhones);
	// nil: Connect reports every offered agent unreachable.
	Agents *AgentPhones
}

func (c Config) withDefaults() (Config, error) {
	if c.Listen == "" {
		c.Listen = DefaultListen
	}
	if c.RTPPortMin == 0 && c.RTPPortMax == 0 {
		c.RTPPortMin, c.RTPPortMax = DefaultRTPPortMin, DefaultRTPPortMax
	}
	if c.RTPPortMin > 0 && (c.RTPPortMax < c.RTPPortMin || c.RTPPortMax > 65535) {
		return c, fmt.Errorf("sip: rtp ports %d-%d: not a range", c.RTPPortMin, c.RTPPortMax)
	}
	if c.MaxCalls == 0 {
		c.MaxCalls = DefaultMaxCalls
	}
	switch c.AtLimitStatus {
	case 0:
		c.AtLimitStatus = 503
	case 486, 503:
	default:
		return c, fmt.Errorf("sip: at_limit_status %d: want 486 or 503", c.AtLimitStatus)
	}
	if c.RTPTimeout == 0 {
		c.RTPTimeout = DefaultRTPTimeout
	}
	if c.FloodRate == 0 {
		c.FloodRate = DefaultFloodRate
	}
	if c.FloodBurst == 0 {
		c.FloodBurst = DefaultFloodBurst
	}
	if c.TCPIdleTimeout == 0 {
		c.TCPIdleTimeout = DefaultTCPIdleTimeout
	}
	if c.TCPMaxPerSource == 0 {
		c.TCPMaxPerSource = DefaultTCPMaxPerSource
	}
	if c.TCPMaxConns == 0 {
		c.TCPMaxConns = maxTCPConns()
	}
	if c.UserAgent == "" {
		c.UserAgent = "Switchboard"
	}
	if c.MediaAddr != "" {
		if _, err := netip.ParseAddr(c.MediaAddr); err != nil {
			return c, fmt.Errorf("sip: media_addr %q: %w", c.MediaAddr, err)
		}
	}
	if c.Trunk.Enabled() {
		if _, err := c.Trunk.withDefaults(); err != nil {
			return c, err
		}
	}
	return c, nil
}
