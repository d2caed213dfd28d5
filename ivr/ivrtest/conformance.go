package ivrtest

import (
	"context"
	"errors"
	"io/fs"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/flows"
	"github.com/switchboard-cc/switchboard/internal/clock"
	"github.com/switchboard-cc/switchboard/ivr"
	"github.com/switchboard-cc/switchboard/routing"
)

// Factory starts one inbound call on the transport under test, from
// s.From to s.To, and returns the transport's ivr.Call in the state the
// transport hands calls to the engine (offered, not yet answered), with the
// Remote that plays the far end: the caller's phone and the agents' phones.
// Everything the factory starts must be stopped by t.Cleanup.
type Factory func(t *testing.T, s Setup) (ivr.Call, Remote)

// Setup is what one conformance case needs from the transport.
type Setup struct {
	Case     string // the case's name, for logs
	From, To string
	// Prompts is the prompt store the case plays from: 8 kHz mono 16-bit
	// PCM WAVs at "<lang>/<name>.wav" (Prompt.File). A transport that
	// plays Prompt.Sound instead (ARI) may ignore it.
	Prompts       fs.FS
	RecordingsDir string // where Record paths point (a fresh temp dir)
	// Agents must be reachable at Remote.Endpoint(ID) and react to
	// ringing as their Behavior says.
	Agents []AgentSetup
}

// AgentSetup is an agent phone of a conformance case.
type AgentSetup struct {
	ID          string
	Behavior    Behavior      // Answers, Busy or NoAnswer (the suite uses no others)
	AnswerAfter time.Duration // Answers: ringing before the pickup
}

// Remote is the far end of a conformance call.
type Remote interface {
	// Press sends DTMF keys from the caller, in order (SIP: RFC 4733
	// events; ARI: one ChannelDtmfReceived per key). It may return before
	// the transport has seen them; the suite allows for the latency.
	Press(ctx context.Context, keys string) error
	// Hangup hangs up from the caller's side (SIP: BYE; ARI: the channel
	// leaves Stasis).
	Hangup(ctx context.Context) error
	// AgentHangup ends a connected agent's side of the conversation.
	AgentHangup(ctx context.Context, agentID string) error
	// Endpoint is where agentID is rung: the suite puts it in Offers.
	Endpoint(agentID string) routing.Endpoint
	// TransferTarget is a target Transfer completes on this transport.
	TransferTarget() ivr.Transfer
	// Ended is closed once the caller's side sees the call gone, whoever
	// ended it.
	Ended() <-chan struct{}
}

// Timing of the suite. Real transports run on real time, so the suite
// keeps prompts short and waits generous: slow enough for RTP and ARI
// round trips, fast enough that the whole suite takes seconds.
const (
	confPrompt     = 150 * time.Millisecond // every prompt but "long"
	confLongPrompt = 3 * time.Second        // a prompt to barge into
	confKeyWait    = 1500 * time.Millisecond
	confShortWait  = 300 * time.Millisecond // timeouts the suite expects to expire
	confRing       = 2 * time.Second
	confPromptly   = 2 * time.Second // how soon a hang-up or key must be seen
	confCase       = 20 * time.Second
)

// RunConformance runs the conformance suite against a transport: first the
// seam's primitives one by one ("seam/..."), then flows through the real
// engine ("flow/..."). See the package documentation for the contract.
func RunConformance(t *testing.T, factory Factory) {
	store := PromptStore("en", confPrompt, confLongPrompt)
	t.Run("seam", func(t *testing.T) { runSeam(t, factory, store) })
	t.Run("flow", func(t *testing.T) { runFlows(t, factory, store) })
}

// observed wraps the transport's Call so the suite knows what the engine
// is doing and can act at the right moment, as a caller reacts to what they
// hear.
type observed struct {
	ivr.Call
	mu      sync.Mutex
	counts  map[string]int
	changed chan struct{}
	legs    []ivr.Leg
}

func observe(c ivr.Call) *observed {
	return &observed{Call: c, counts: map[string]int{}, changed: make(chan struct{})}
}

func (o *observed) mark(op string) {
	o.mu.Lock()
	o.counts[op]++
	close(o.changed)
	o.changed = make(chan struct{})
	o.mu.Unlock()
}

// await waits until op has started n times. It reports failure with
// t.Errorf (it runs on the suite's driver goroutines) and returns false.
func (o *observed) await(t *testing.T, op string, n int) bool {
	t.Helper()
	deadline := time.NewTimer(confCase / 2)
	defer deadline.Stop()
	for {
		o.mu.Lock()
		got, ch := o.counts[op], o.changed
		o.mu.Unlock()
		if got >= n {
			return true
		}
		select {
		case <-ch:
		case <-deadline.C:
			t.Errorf("%s #%d never started (started %d)", op, n, got)
			return false
		}
	}
}

func (o *observed) Transport() string {
	if tr, ok := o.Call.(interface{ Transport() string }); ok {
		return tr.Transport()
	}
	return ""
}

func (o *observed) Play(ctx context.Context, p ivr.Playback) (string, error) {
	o.mark("play")
	return o.Call.Play(ctx, p)
}

func (o *observed) Collect(ctx context.Context, c ivr.Collect) (ivr.Collected, error) {
	o.mark("collect")
	return o.Call.Collect(ctx, c)
}

func (o *observed) Record(ctx context.Context, r ivr.Record) (ivr.Recording, error) {
	o.mark("record")
	return o.Call.Record(ctx, r)
}

func (o *observed) Hold(ctx context.Context, m ivr.Playback) error {
	o.mark("hold")
	return o.Call.Hold(ctx, m)
}

func (o *observed) Connect(ctx context.Context, offer routing.Offer) (ivr.Leg, error) {
	o.mark("connect")
	leg, err := o.Call.Connect(ctx, offer)
	if err == nil {
		o.mu.Lock()
		o.legs = append(o.legs, leg)
		o.mu.Unlock()
		o.mark("connected")
	}
	return leg, err
}

func (o *observed) Transfer(ctx context.Context, tr ivr.Transfer) error {
	o.mark("transfer")
	return o.Call.Transfer(ctx, tr)
}

// confRun is one flow case: the engine running a call over the transport.
type confRun struct {
	call   *observed
	remote Remote
	events *Recorder
	router *Router
	done   chan ivr.Outcome
	cancel context.CancelFunc
}

type flowCase struct {
	name   string
	agents []AgentSetup
	groups map[string]Queue
	build  func(b *Builder, r Remote)
	drive  func(t *testing.T, c *confRun)
	want   func(t *testing.T, c *confRun, out ivr.Outcome)
}

func startFlow(t *testing.T, factory Factory, store fs.FS, fc flowCase) *confRun {
	t.Helper()
	setup := Setup{Case: t.Name(), From: "5551234", To: "7000", Prompts: store, RecordingsDir: t.TempDir(), Agents: fc.agents}
	call, remote := factory(t, setup)
	b := NewFlow("conformance", "en", setup.To)
	fc.build(b, remote)
	other := NewFlow("second", "en")
	other.Node("bye", "end", &flows.PlaySpec{Prompts: P("goodbye"), Barge: true})
	other.Node("end", "", &flows.HangupSpec{})
	cat := Catalog(b.Flow(), other.Flow())

	rec := &Recorder{}
	router := &Router{Clock: clock.Real{}, Groups: fc.groups, Endpoint: remote.Endpoint}
	eng, err := ivr.New(ivr.Config{RecordingsDir: setup.RecordingsDir}, ivr.Deps{
		Catalog:  func() *flows.Catalog { return cat },
		Clock:    clock.Real{},
		Events:   rec,
		Router:   router,
		Lookuper: confLookup{},
		Prompts:  store,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), confCase)
	c := &confRun{call: observe(call), remote: remote, events: rec, router: router, done: make(chan ivr.Outcome, 1), cancel: cancel}
	t.Cleanup(cancel)
	go func() { c.done <- eng.Run(ctx, c.call) }()
	return c
}

func (c *confRun) outcome(t *testing.T) ivr.Outcome {
	t.Helper()
	select {
	case out := <-c.done:
		return out
	case <-time.After(confCase):
		c.cancel()
		t.Fatalf("the call did not end within %s", confCase)
		return ivr.Outcome{}
	}
}

// press waits until op #n has started, then presses keys.
func (c *confRun) press(t *testing.T, op string, n int, keys string) {
	t.Helper()
	if !c.call.await(t, op, n) {
		return
	}
	if err := c.remote.Press(context.Background(), keys); err != nil {
		t.Errorf("Press(%q): %v", keys, err)
	}
}

// hangup waits until op #n has started, then hangs the caller up.
func (c *confRun) hangup(t *testing.T, op string, n int) {
	t.Helper()
	if !c.call.await(t, op, n) {
		return
	}
	if err := c.remote.Hangup(context.Background()); err != nil {
		t.Errorf("caller Hangup: %v", err)
	}
}

// agentHangup waits until the n-th connection, then the agent hangs up.
func (c *confRun) agentHangup(t *testing.T, n int, agentID string) {
	t.Helper()
	if !c.call.await(t, "connected", n) {
		return
	}
	if err := c.remote.AgentHangup(context.Background(), agentID); err != nil {
		t.Errorf("AgentHangup(%s): %v", agentID, err)
	}
}

// confLookup answers lookups with a fixed status, as a self-service
// backend would; the HTTP side is the lookup package's business.
type confLookup struct{}

func (confLookup) Lookup(ctx context.Context, req ivr.LookupRequest) (map[string]string, error) {
	if req.URL == "" {
		return nil, errors.New("no url")
	}
	return map[string]string{"status": "ok"}, nil
}

// within runs f and fails unless it returns within d.
func within(t *testing.T, d time.Duration, what string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); f() }()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatalf("%s did not return within %s", what, d)
	}
}

func closedWithin(ch <-chan struct{}, d time.Duration) bool {
	select {
	case <-ch:
		return true
	case <-time.After(d):
		return false
	}
}
