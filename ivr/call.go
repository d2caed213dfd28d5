package ivr

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/switchboard-cc/switchboard/routing"
)

// Call is the seam between the flow engine and a media plane. The native SIP
// transport and the Asterisk (ARI) transport each implement it with
// primitives only; menus, retries, templates and routing live once, in ivr.
//
// DTMF: the transport delivers the caller's keys as a stream, a *Keypad
// (Keys): every key goes in in arrival order, and the Keypad is closed when
// the call is gone. Play with Barge returns as soon as a key is buffered
// without consuming it (so the next Collect gets it); Collect runs the one
// collector, CollectKeys, over the Keypad on the transport's clock, so
// terminator, max digits, timeouts and the timer race behave alike on every
// transport. Every blocking method returns promptly with an error wrapping
// ErrHangup once the caller is gone, and with ctx's error when ctx ends.
//
// Further conventions, checked by the ivrtest conformance suite: Collect
// with Max 0 has no digit limit; Record ignores keys buffered before it
// starts and, when the caller hangs up during it, returns the recording so
// far with an error wrapping ErrHangup; Playback.Prompts is shared by the
// engine and must not be modified; a Leg's Done closes with EndedBy
// "caller" when the caller hangs up during the conversation.
type Call interface {
	ID() string
	From() string // caller number
	To() string   // dialed number; selects the flow
	Answer(ctx context.Context) error
	// Play plays the prompts in order. With p.Barge it stops at the first
	// buffered digit and reports it (without consuming it).
	Play(ctx context.Context, p Playback) (barge string, err error)
	// Collect is CollectKeys over Keys() on the transport's clock.
	Collect(ctx context.Context, c Collect) (Collected, error)
	// Keys is the caller's key stream. The engine flushes it when the
	// caller comes back from an agent conversation.
	Keys() *Keypad
	Record(ctx context.Context, r Record) (Recording, error)
	// Connect rings the offered agents (several for ring_all) for at most
	// o.RingTimeout and bridges the first to answer with the caller; the
	// others stop ringing. It returns when an agent answers, or with a
	// *ConnectError when none did.
	Connect(ctx context.Context, o routing.Offer) (Leg, error)
	// Hold plays music to the caller in a loop until ctx ends (then it
	// returns nil) or the caller hangs up.
	Hold(ctx context.Context, music Playback) error
	// Transfer hands the call to t outside this flow; the flow ends after it.
	Transfer(ctx context.Context, t Transfer) error
	Hangup(ctx context.Context, cause string) error
	Done() <-chan struct{} // closed when the call is gone
}

// Leg is a connected agent: the conversation lasts until Done is closed.
type Leg interface {
	AgentID() string
	Done() <-chan struct{}
	// EndedBy says who ended the conversation once Done is closed:
	// "caller", "agent" or "system".
	EndedBy() string
}

// Prompt is one audio item, resolved for the call's language.
type Prompt struct {
	Name  string // as the flow names it, e.g. "welcome" or "digits/7"
	File  string // path of the 8 kHz mono WAV in the prompt store (an fs.FS rooted at configs/prompts), e.g. "en/welcome.wav"
	Sound string // Asterisk sound name (ARI media), e.g. "en/welcome" or "digits/7"
}

// Playback is a sequence of prompts.
type Playback struct {
	Prompts []Prompt
	Barge   bool // DTMF stops the playback
	// Sensitive: the prompts read out a secret (digits:{{card}} of a
	// sensitive input); a transport must not log or trace their names.
	Sensitive bool
}

// Collect describes a digit collection; CollectKeys says how it runs.
type Collect struct {
	Min, Max   int
	Terminator string // keys that end input early, e.g. "#"; not part of the digits
	Ignore     string // keys dropped as if never pressed, e.g. "#" for an input without terminator
	FirstDigit time.Duration
	InterDigit time.Duration
	// Mask is set for a sensitive input (flows.MaskAll, MaskLast4): a
	// transport must not log or trace the digits but as flows.MaskDigits.
	Mask string
}

// StopReason says why a digit collection ended.
type StopReason string

const (
	StopTerminator   StopReason = "terminator"
	StopMaxDigits    StopReason = "max_digits"
	StopFirstTimeout StopReason = "first_digit_timeout"
	StopInterTimeout StopReason = "inter_digit_timeout"
)

// Collected is the result of a digit collection.
type Collected struct {
	Digits string
	Stop   StopReason
}

// Record describes a recording of the caller.
type Record struct {
	Path       string        // WAV file to write (native media) or recording name (ARI)
	Max        time.Duration // longest recording
	Silence    time.Duration // stop after this much silence; 0: never
	Terminator string        // keys that stop the recording
	Beep       bool
}

// Recording is the result of Record.
type Recording struct {
	Path     string
	Duration time.Duration
	Stop     string // "terminator", "max", "silence", "hangup"
}

// Transfer is a hand-off out of the flow.
type Transfer struct {
	Target string // a number or SIP URI, or a dialplan "context,exten,priority" for ARI
	Kind   string // "number", "uri" or "dialplan"
}

// ErrHangup is wrapped by every Call method once the caller is gone.
var ErrHangup = errors.New("caller hung up")

// Why an offered agent was not connected.
const (
	MissTimeout     = "timeout"
	MissBusy        = "busy"
	MissDecline     = "decline"
	MissUnreachable = "unreachable"
)

// ConnectError reports that no offered agent answered, with each agent's
// reason (one of the Miss constants).
type ConnectError struct {
	Misses map[string]string // agent ID -> reason
}

func (e *ConnectError) Error() string {
	parts := make([]string, 0, len(e.Misses))
	for id, why := range e.Misses {
		parts = append(parts, fmt.Sprintf("%s: %s", id, why))
	}
	return "no agent answered (" + strings.Join(parts, ", ") + ")"
}
