package ivr

import (
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"time"

	"github.com/switchboard-cc/switchboard/events"
	"github.com/switchboard-cc/switchboard/flows"
	"github.com/switchboard-cc/switchboard/internal/clock"
)

// Defaults for Config and for node fields the loader left at zero. The loader
// normally fills node defaults; the engine repeats them so a hand-built graph
// (tests, simulate) never waits zero seconds for a key.
const (
	// DefaultMaxSteps bounds node transitions without caller input. A real
	// flow needs a handful between two inputs; 100 leaves room for long
	// switch/set chains and still stops a runaway loop in microseconds.
	DefaultMaxSteps = 100
	// DefaultMenuTimeout is how long a menu waits for a key after its prompt.
	DefaultMenuTimeout = 5 * time.Second
	// DefaultFirstDigit and DefaultInterDigit are the input node's timeouts.
	DefaultFirstDigit = 5 * time.Second
	DefaultInterDigit = 3 * time.Second
	// DefaultLookupTimeout bounds a self-service lookup.
	DefaultLookupTimeout = 2 * time.Second
	// DefaultMusic is the prompt played while a caller waits in a queue.
	DefaultMusic = "moh"
	// hangupTimeout bounds the final Hangup when the run's context is
	// already gone (shutdown): the far end must still be told.
	hangupTimeout = 5 * time.Second
)

// Config holds the engine's tunables.
type Config struct {
	// MaxSteps is the loop guard: node transitions allowed without caller
	// input (a key, a recording, a queue wait). 0 means DefaultMaxSteps.
	MaxSteps int
	// RecordingsDir is where record nodes put their files; record paths are
	// RecordingsDir/<call id>-<node>.wav.
	RecordingsDir string
}

// Deps are the engine's collaborators. Only Catalog is required.
type Deps struct {
	// Catalog returns the current flows. Hot reload swaps what it returns;
	// a call keeps the catalog it started with.
	Catalog  func() *flows.Catalog
	Clock    clock.Clock  // default clock.Real
	Events   events.Sink  // default events.Discard
	Router   Router       // default NoAgents
	Lookuper Lookuper     // nil: lookup nodes take on_error
	Prompts  fs.FS        // prompt store rooted at configs/prompts; nil: no existence checks, no fallback
	Logger   *slog.Logger // default: discards
}

// Engine runs compiled flows over Calls. One Engine serves every call of a
// server; it is safe for concurrent use.
type Engine struct {
	cfg      Config
	catalog  func() *flows.Catalog
	clock    clock.Clock
	sink     events.Sink
	router   Router
	lookuper Lookuper
	log      *slog.Logger
	prompts  *promptResolver
	data     *dataCache
}

// New returns an Engine. It fails only when deps.Catalog is missing.
func New(cfg Config, deps Deps) (*Engine, error) {
	if deps.Catalog == nil {
		return nil, errors.New("ivr: no catalog source")
	}
	if cfg.MaxSteps <= 0 {
		cfg.MaxSteps = DefaultMaxSteps
	}
	e := &Engine{
		cfg:      cfg,
		catalog:  deps.Catalog,
		clock:    deps.Clock,
		sink:     deps.Events,
		router:   deps.Router,
		lookuper: deps.Lookuper,
		log:      deps.Logger,
		prompts:  newPromptResolver(deps.Prompts),
		data:     newDataCache(),
	}
	if e.clock == nil {
		e.clock = clock.Real{}
	}
	if e.sink == nil {
		e.sink = events.Discard
	}
	if e.router == nil {
		e.router = NoAgents{}
	}
	if e.log == nil {
		e.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return e, nil
}

// FlowFor returns the flow the current catalog runs for a dialed number, or
// nil. Transports ask before answering, to refuse unknown numbers (SIP 404).
func (e *Engine) FlowFor(number string) *flows.Flow {
	cat := e.catalog()
	if cat == nil {
		return nil
	}
	return cat.ByNumber[number]
}

// Result says how a call ended.
type Result string

const (
	// Completed: the flow ended the call (a hangup node, the end of the
	// graph, a menu or input that ran out of retries, a queue that closed
	// with nowhere to go, an agent who hung up last).
	Completed Result = "completed"
	// CallerHangup: the caller hung up.
	CallerHangup Result = "caller_hangup"
	// Transferred: a transfer node handed the call out of the flow.
	Transferred Result = "transferred"
	// Failed: the engine stopped the call: no flow for the number, the loop
	// guard, a transport error, shutdown.
	Failed Result = "failed"
)

// Reasons recorded in Outcome.Reason and in the call.end event.
const (
	ReasonHangupNode     = "hangup"          // a hangup node
	ReasonEndOfFlow      = "end_of_flow"     // a node with no next
	ReasonMenuFailed     = "menu_failed"     // menu retries ran out, no on_fail
	ReasonInputFailed    = "input_failed"    // input retries ran out, no on_fail
	ReasonQueueClosed    = "queue_closed"    // queue closed, no on_closed
	ReasonQueueTimeout   = "queue_timeout"   // queue wait ended, no on_timeout
	ReasonAgentHangup    = "agent_hangup"    // the agent ended the conversation and the flow had no next
	ReasonLookupFailed   = "lookup_failed"   // lookup failed, no on_error
	ReasonTransfer       = "transfer"        // handed out of the flow
	ReasonTransferFailed = "transfer_failed" // transfer failed, no on_fail
	ReasonCallerHangup   = "caller_hangup"   // the caller hung up
	ReasonLoopGuard      = "loop_guard"      // too many transitions without caller input
	ReasonNoFlow         = "no_flow"         // no flow for the dialed number
	ReasonBadTarget      = "bad_target"      // goto target or calendar missing in the catalog
	ReasonCallError      = "call_error"      // a Call method failed
	ReasonShutdown       = "shutdown"        // the run's context ended
)

// Who ended a call, as in the call.end event.
const (
	ByCaller = "caller"
	ByAgent  = "agent"
	BySystem = "system"
)

// Outcome is how a call ended. Every ending, including errors, is one.
type Outcome struct {
	Result   Result
	Reason   string // one of the Reason constants
	By       string // ByCaller, ByAgent or BySystem
	Flow     string // the flow the call ended in (goto changes it)
	LastNode string // ID of the node the call was at; "" before the first
	// Cause is the hangup cause the engine gave Call.Hangup ("normal",
	// "unallocated", "failure" or a hangup node's cause); "" when the
	// engine did not hang up (caller gone, transferred, Continue).
	Cause string
	// Continue: a hangup node asked to return the channel to the dialplan
	// (ARI) instead of hanging up; the engine did not call Hangup.
	Continue bool
	// Steps counts node transitions.
	Steps int
	// Err is the underlying error for Failed outcomes.
	Err error
}
