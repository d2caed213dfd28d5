package registrar

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/switchboard-cc/switchboard/events"
	"github.com/switchboard-cc/switchboard/internal/clock"
)

// Defaults, each with its reason.
const (
	// DefaultRealm names the protection space in challenges; phones show it.
	DefaultRealm = "switchboard"
	// DefaultExpires is used when a REGISTER names no expiry (RFC 3261 §10.2.1.1
	// leaves it to the registrar; one hour is the common choice).
	DefaultExpires = time.Hour
	// DefaultMinExpires refuses refresh storms from misconfigured phones
	// (RFC 3261 §10.3 step 7 answers shorter intervals with 423).
	DefaultMinExpires = 60 * time.Second
	// DefaultMaxExpires bounds how long a vanished phone can stay bound.
	DefaultMaxExpires = 2 * time.Hour
	// DefaultNonceTTL: a nonce older than this is answered with stale=true,
	// which makes the phone retry with a new nonce without asking its user.
	DefaultNonceTTL = 5 * time.Minute
	// DefaultMaxContacts per agent: a desk phone, a softphone and a mobile.
	DefaultMaxContacts = 5
	// DefaultQualifyInterval between OPTIONS pings to each contact.
	DefaultQualifyInterval = 30 * time.Second
	// DefaultQualifyTimeout: a phone slower than this to answer OPTIONS is
	// treated as unreachable (far below SIP's 32 s transaction timeout).
	DefaultQualifyTimeout = 2 * time.Second
	// DefaultLapseGrace: a binding that expired is still pinged this long; a
	// phone that answers comes back without waiting for its next REGISTER.
	DefaultLapseGrace = 10 * time.Minute
)

// Config configures a Registrar.
type Config struct {
	Realm string `yaml:"realm"`
	// Passwords maps agent ID (the SIP user part) to the agent's password.
	Passwords map[string]Password `yaml:"-"` // from the agent roster
	// Algorithms offered in challenges, in order (RFC 8760 §2.4: one
	// WWW-Authenticate per algorithm; the phone takes the first it knows).
	// Default: MD5 only, because older phone stacks (Debian 12's baresip 1.0
	// on libre 1.x) fail the registration outright when any challenge names
	// an algorithm they do not know. List SHA-256 (first) when every phone
	// supports RFC 8760.
	Algorithms      []string      `yaml:"digest_algorithms"`
	DefaultExpires  time.Duration `yaml:"default_expires"`
	MinExpires      time.Duration `yaml:"min_expires"`
	MaxExpires      time.Duration `yaml:"max_expires"`
	NonceTTL        time.Duration `yaml:"nonce_ttl"`
	MaxContacts     int           `yaml:"max_contacts"`
	QualifyInterval time.Duration `yaml:"qualify_interval"`
	QualifyTimeout  time.Duration `yaml:"qualify_timeout"`
	LapseGrace      time.Duration `yaml:"lapse_grace"`
	// MaxFailures failed digest checks from one IP within FailureWindow
	// lock that IP out for Lockout; as many for one agent lock that agent's
	// credentials out, except from addresses it is bound at (lockout.go).
	// 0: the defaults; -1 MaxFailures: never.
	MaxFailures   int           `yaml:"max_failures"`
	FailureWindow time.Duration `yaml:"failure_window"`
	Lockout       time.Duration `yaml:"lockout"`

	Clock  clock.Clock  `yaml:"-"`
	Log    *slog.Logger `yaml:"-"`
	Events events.Sink  `yaml:"-"`
	// OnAvailability is called (outside the registrar's lock) whenever an
	// agent gains its first callable contact or loses its last one. reason is
	// one of the Reason constants.
	OnAvailability func(agentID string, available bool, reason string) `yaml:"-"`
}

// Why an agent's device availability changed (Data["reason"] of
// events.AgentDevice).
const (
	ReasonRegistered   = "registered"
	ReasonUnregistered = "unregistered"
	ReasonExpired      = "registration_expired"
	ReasonUnreachable  = "unreachable" // stopped answering OPTIONS
	ReasonReachable    = "reachable"   // answers OPTIONS again
)

// Contact is one place an agent's phone can be rung.
type Contact struct {
	AgentID   string
	URI       string    // the Contact URI the phone registered, e.g. "sip:1001@127.0.0.1:5062"
	Source    string    // host:port the REGISTER came from
	Transport string    // "udp", "tcp", ...
	UserAgent string    // the phone's User-Agent header
	Expires   time.Time // when the binding lapses unless refreshed
}

type binding struct {
	Contact
	callID    string
	cseq      uint32
	lapsed    bool      // expired but still qualified until lapseEnd
	lapseEnd  time.Time // end of grace for a lapsed binding
	reachable bool      // last OPTIONS answered (true until a ping fails)
	timer     clock.Timer
}

func (b *binding) callable(now time.Time) bool {
	return !b.lapsed && b.reachable && now.Before(b.Expires)
}

// Registrar keeps agents' bindings. It is safe for concurrent use.
type Registrar struct {
	cfg    Config
	log    *slog.Logger
	clk    clock.Clock
	sink   events.Sink
	nonces *nonceSource
	guard  *lockout // nil: no lockout

	mu       sync.Mutex
	bindings map[string][]*binding // agent ID -> bindings
	avail    map[string]bool       // agent ID -> last reported availability
}

// New returns a registrar for cfg, filling defaults.
func New(cfg Config) (*Registrar, error) {
	if cfg.Realm == "" {
		cfg.Realm = DefaultRealm
	}
	if len(cfg.Algorithms) == 0 {
		cfg.Algorithms = []string{AlgorithmMD5}
	}
	for _, a := range cfg.Algorithms {
		if _, ok := newHash(a); !ok || a == "" {
			return nil, fmt.Errorf("registrar: unsupported digest algorithm %q (want %s or %s)", a, AlgorithmSHA256, AlgorithmMD5)
		}
	}
	setDefault(&cfg.DefaultExpires, DefaultExpires)
	setDefault(&cfg.MinExpires, DefaultMinExpires)
	setDefault(&cfg.MaxExpires, DefaultMaxExpires)
	setDefault(&cfg.NonceTTL, DefaultNonceTTL)
	setDefault(&cfg.QualifyInterval, DefaultQualifyInterval)
	setDefault(&cfg.QualifyTimeout, DefaultQualifyTimeout)
	setDefault(&cfg.LapseGrace, DefaultLapseGrace)
	if cfg.MaxContacts <= 0 {
		cfg.MaxContacts = DefaultMaxContacts
	}
	if cfg.MinExpires > cfg.MaxExpires {
		return nil, fmt.Errorf("registrar: min expires %s above max expires %s", cfg.MinExpires, cfg.MaxExpires)
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
	ns, err := newNonceSource(cfg.NonceTTL)
	if err != nil {
		return nil, fmt.Errorf("registrar: %w", err)
	}
	if cfg.MaxFailures == 0 {
		cfg.MaxFailures = DefaultMaxFailures
	}
	setDefault(&cfg.FailureWindow, DefaultFailureWindow)
	setDefault(&cfg.Lockout, DefaultLockout)
	r := &Registrar{
		cfg: cfg, log: cfg.Log, clk: cfg.Clock, sink: cfg.Events, nonces: ns,
		bindings: make(map[string][]*binding),
		avail:    make(map[string]bool),
	}
	if cfg.MaxFailures > 0 {
		r.guard = newLockout(cfg.MaxFailures, cfg.FailureWindow, cfg.Lockout)
	}
	return r, nil
}

func setDefault(d *time.Duration, def time.Duration) {
	if *d <= 0 {
		*d = def
	}
}

// Lookup returns the contacts agentID can be rung at now: unexpired and not
// failing OPTIONS, most recently registered first. Nil when there are none.
func (r *Registrar) Lookup(agentID string) []Contact {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.clk.Now()
	var out []Contact
	for _, b := range r.bindings[agentID] {
		if b.callable(now) {
			out = append(out, b.Contact)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Expires.After(out[j].Expires) })
	return out
}

// Available reports whether agentID has at least one callable contact.
func (r *Registrar) Available(agentID string) bool { return len(r.Lookup(agentID)) > 0 }

// Known reports whether agentID has a password configured (is on the roster
// of phones that may register).
func (r *Registrar) Known(agentID string) bool {
	_, ok := r.cfg.Passwords[agentID]
	return ok
}

// availabilityChange is computed under the lock and reported after it.
type availabilityChange struct {
	agentID   string
	available bool
	reason    string
	contacts  int
}

// settleLocked compares agentID's availability with what was last reported
// and returns the change to report, if any.
func (r *Registrar) settleLocked(agentID, reason string) *availabilityChange {
	now := r.clk.Now()
	n := 0
	for _, b := range r.bindings[agentID] {
		if b.callable(now) {
			n++
		}
	}
	if len(r.bindings[agentID]) == 0 {
		delete(r.bindings, agentID)
	}
	was := r.avail[agentID]
	if (n > 0) == was {
		return nil
	}
	r.avail[agentID] = n > 0
	return &availabilityChange{agentID: agentID, available: n > 0, reason: reason, contacts: n}
}

func (r *Registrar) report(ctx context.Context, ch *availabilityChange) {
	if ch == nil {
		return
	}
	status := "unavailable"
	if ch.available {
		status = "available"
	}
	r.log.Info("agent device "+status, "agent", ch.agentID, "reason", ch.reason, "contacts", ch.contacts)
	r.sink.Emit(ctx, events.Event{
		Time:  r.clk.Now().UTC(),
		Type:  events.AgentDevice,
		Agent: ch.agentID,
		Data:  map[string]string{"status": status, "reason": ch.reason, "contacts": strconv.Itoa(ch.contacts)},
	})
	if r.cfg.OnAvailability != nil {
		r.cfg.OnAvailability(ch.agentID, ch.available, ch.reason)
	}
}

// armLocked (re)starts b's expiry timer.
func (r *Registrar) armLocked(b *binding) {
	if b.timer != nil {
		b.timer.Stop()
	}
	d := b.Expires.Sub(r.clk.Now())
	if b.lapsed {
		d = b.lapseEnd.Sub(r.clk.Now())
	}
	agentID, uri := b.AgentID, b.URI
	b.timer = r.clk.AfterFunc(d, func() { r.expire(agentID, uri) })
}

// expire runs when a binding's timer fires: a live binding lapses (still
// pinged for LapseGrace), a lapsed one past its grace is dropped.
func (r *Registrar) expire(agentID, uri string) {
	r.mu.Lock()
	now := r.clk.Now()
	list := r.bindings[agentID]
	i := slices.IndexFunc(list, func(b *binding) bool { return b.URI == uri })
	if i < 0 {
		r.mu.Unlock()
		return
	}
	b := list[i]
	switch {
	case !b.lapsed && !now.Before(b.Expires):
		if b.lapseEnd.IsZero() { // first lapse since the last REGISTER
			b.lapseEnd = b.Expires.Add(r.cfg.LapseGrace)
		}
		r.log.Info("registration lapsed", "agent", agentID, "contact", uri)
		if now.Before(b.lapseEnd) {
			b.lapsed = true
			r.armLocked(b)
		} else {
			r.bindings[agentID] = slices.Delete(list, i, i+1)
		}
	case b.lapsed && !now.Before(b.lapseEnd):
		r.bindings[agentID] = slices.Delete(list, i, i+1)
	default: // refreshed meanwhile; its own timer is armed
		r.mu.Unlock()
		return
	}
	ch := r.settleLocked(agentID, ReasonExpired)
	r.mu.Unlock()
	r.report(context.Background(), ch)
}

// Close stops every expiry timer. Bindings stay readable.
func (r *Registrar) Close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, list := range r.bindings {
		for _, b := range list {
			if b.timer != nil {
				b.timer.Stop()
			}
		}
	}
}

var errTooManyContacts = errors.New("too many contacts")
