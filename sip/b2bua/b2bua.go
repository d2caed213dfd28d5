package b2bua

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/switchboard-cc/switchboard/events"
	"github.com/switchboard-cc/switchboard/internal/clock"
	"github.com/switchboard-cc/switchboard/media"
	"github.com/switchboard-cc/switchboard/sip/registrar"
)

// DefaultNoResponseTimeout: a phone that has not answered our INVITE with
// anything (not even 100 Trying) after this long is unreachable. SIP's own
// limit is 32 s (Timer B), far too long for a caller waiting in line.
const DefaultNoResponseTimeout = 4 * time.Second

// DefaultRingTimeout applies when an Offer names none.
const DefaultRingTimeout = 20 * time.Second

// Locator finds where an agent's phone can be rung; *registrar.Registrar
// implements it. Only these contacts are ever dialled for an agent.
type Locator interface {
	Lookup(agentID string) []registrar.Contact
}

// Config configures a B2BUA.
type Config struct {
	// Client sends our requests from the SIP listen socket (build it with
	// sipgo.WithClientConnectionAddr(listen)) so phones reply to it.
	// Contact is our Contact URI in agent dialogs (sip:switchboard@LISTEN):
	// where phones send BYE, re-INVITE and REFER. Both may be left empty
	// and given later with Bind, once the SIP socket is listening.
	Client  *sipgo.Client
	Contact sip.Uri
	Phones  Locator
	// MediaIP is bound for agents' RTP and put in our SDP.
	MediaIP netip.Addr
	// OpenRTP opens one agent leg's RTP socket; nil binds MediaIP:0.
	OpenRTP func() (*net.UDPConn, error)
	// NoResponseTimeout: see DefaultNoResponseTimeout.
	NoResponseTimeout time.Duration
	Transfers         TransferRules
	// OnTransfer is asked to carry out an allowed blind transfer (re-queue
	// or dial out). It should return quickly: nil accepts (the agent leg
	// then ends and Leg.Transfer reports the request), an error refuses
	// (the phone is told 503 and the conversation goes on). Nil refuses
	// every transfer.
	OnTransfer func(ctx context.Context, t TransferRequest) error
	// OnRinging is called once per agent whose phone rings (180/183): the
	// ACD has it reserved.
	OnRinging func(callID, agentID string)
	Events    events.Sink
	Clock     clock.Clock
	Log       *slog.Logger
}

// B2BUA rings agents' phones and bridges the one who answers with the
// caller. It is safe for concurrent use by many calls.
type B2BUA struct {
	cfg  Config
	sig  atomic.Pointer[signalling]
	log  *slog.Logger
	clk  clock.Clock
	sink events.Sink

	mu   sync.Mutex
	legs map[string]*Leg // Call-ID of the agent dialog -> leg
}

// New checks cfg and fills its defaults.
func New(cfg Config) (*B2BUA, error) {
	if cfg.Phones == nil {
		return nil, fmt.Errorf("b2bua: Phones (the registrar) is required")
	}
	if !cfg.MediaIP.IsValid() {
		return nil, fmt.Errorf("b2bua: MediaIP is required")
	}
	if err := cfg.Transfers.Validate(); err != nil {
		return nil, fmt.Errorf("b2bua: %w", err)
	}
	if cfg.NoResponseTimeout <= 0 {
		cfg.NoResponseTimeout = DefaultNoResponseTimeout
	}
	if cfg.OpenRTP == nil {
		ip := cfg.MediaIP
		cfg.OpenRTP = func() (*net.UDPConn, error) {
			return net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(ip, 0)))
		}
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.Real{}
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Events == nil {
		cfg.Events = events.Discard
	}
	b := &B2BUA{
		cfg:  cfg,
		log:  cfg.Log,
		clk:  cfg.Clock,
		sink: cfg.Events,
		legs: make(map[string]*Leg),
	}
	if cfg.Client != nil {
		if err := b.Bind(cfg.Client, cfg.Contact); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// signalling is how we send: bound once the SIP socket listens.
type signalling struct {
	client  *sipgo.Client
	contact sip.Uri
	ua      *sipgo.DialogUA
}

// Bind sets the client our requests leave from and our Contact URI. The
// sip transport calls it once its socket listens; until then Connect
// reports every agent unreachable.
func (b *B2BUA) Bind(client *sipgo.Client, contact sip.Uri) error {
	if client == nil || contact.Host == "" {
		return fmt.Errorf("b2bua: bind needs a client and a contact URI with a host")
	}
	contact.Scheme = "sip"
	b.sig.Store(&signalling{client: client, contact: contact,
		ua: &sipgo.DialogUA{Client: client, ContactHDR: sip.ContactHeader{Address: contact}}})
	return nil
}

// Caller is the caller's half of a bridge, provided by the caller's
// transport when the flow reaches an agent.
type Caller struct {
	CallID string
	// Number is the caller's number: the agent's phone displays it.
	Number string
	Codec  media.Codec
	// DTMFPayloadType is the caller's telephone-event payload type; 0 when
	// the caller negotiated none.
	DTMFPayloadType uint8
	Media           CallerMedia
	// MusicOnHold plays music to the caller until ctx ends (the agent
	// resumed); nil leaves the caller in silence while held.
	MusicOnHold func(ctx context.Context) error
	// Done is closed when the caller hangs up.
	Done <-chan struct{}
}

// Handle takes the in-dialog requests of agent legs (BYE, re-INVITE, ACK,
// REFER, INFO, NOTIFY, OPTIONS) and reports whether req was one; requests
// of other dialogs are left to the caller's transport.
func (b *B2BUA) Handle(req *sip.Request, tx sip.ServerTransaction) bool {
	cid := req.CallID()
	if cid == nil {
		return false
	}
	b.mu.Lock()
	leg := b.legs[cid.Value()]
	b.mu.Unlock()
	if leg == nil {
		return false
	}
	leg.handle(req, tx)
	return true
}

// Wrap returns a handler that gives agent-dialog requests to Handle and
// every other request to next (nil: 481 Call/Transaction Does Not Exist).
// The sip transport mounts it in front of its own handlers:
// srv.OnBye(b.Wrap(onBye)).
func (b *B2BUA) Wrap(next sipgo.RequestHandler) sipgo.RequestHandler {
	return func(req *sip.Request, tx sip.ServerTransaction) {
		if b.Handle(req, tx) {
			return
		}
		if next != nil {
			next(req, tx)
			return
		}
		if !req.IsAck() {
			tx.Respond(sip.NewResponseFromRequest(req, sip.StatusCallTransactionDoesNotExists, "Call/Transaction Does Not Exist", nil))
		}
	}
}

// Mount installs Wrap(nil) for every method agent phones send in dialog,
// for a server that carries agent legs only.
func (b *B2BUA) Mount(srv *sipgo.Server) {
	for _, m := range []sip.RequestMethod{sip.BYE, sip.INVITE, sip.ACK, sip.REFER, sip.INFO, sip.NOTIFY, sip.OPTIONS, sip.UPDATE} {
		srv.OnRequest(m, b.Wrap(nil))
	}
}

func (b *B2BUA) addLeg(callID string, l *Leg) {
	b.mu.Lock()
	b.legs[callID] = l
	b.mu.Unlock()
}

func (b *B2BUA) removeLeg(callID string) {
	b.mu.Lock()
	delete(b.legs, callID)
	b.mu.Unlock()
}

// Legs is how many agent legs are up (for metrics and drain).
func (b *B2BUA) Legs() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.legs)
}
