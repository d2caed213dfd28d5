package ivrtest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/switchboard-cc/switchboard/internal/clock"
	"github.com/switchboard-cc/switchboard/ivr"
	"github.com/switchboard-cc/switchboard/routing"
)

// Defaults of the fake call's virtual world.
const (
	DefaultPromptLength = time.Second      // how long one prompt plays
	DefaultTalk         = time.Minute      // how long an agent talks
	DefaultRingTimeout  = 15 * time.Second // an Offer without RingTimeout
	// maxRecord caps a recording that nothing else would stop.
	maxRecord = 10 * time.Minute
)

// Behavior is how an offered agent reacts to ringing.
type Behavior int

const (
	Answers     Behavior = iota // picks up after AnswerAfter
	Busy                        // rejects at once (MissBusy)
	NoAnswer                    // rings until the offer's RingTimeout (MissTimeout)
	Declines                    // rejects at once (MissDecline)
	Unreachable                 // cannot be rung (MissUnreachable)
)

func (b Behavior) String() string {
	return [...]string{"answers", "busy", "no_answer", "declines", "unreachable"}[b]
}

// Agent is an agent's scripted behaviour.
type Agent struct {
	Behavior    Behavior
	AnswerAfter time.Duration // ringing before the pickup
	Talk        time.Duration // conversation length; 0: DefaultTalk
	CallerEnds  bool          // the caller, not the agent, hangs up at the end of Talk
}

// Config describes a fake call and the world around it.
type Config struct {
	ID, From, To string
	Clock        clock.Clock // time for every wait; nil: clock.Real
	Script       []Step
	PromptLength time.Duration    // virtual length of one prompt; 0: DefaultPromptLength
	Agents       map[string]Agent // by agent ID; an agent not listed does not answer
	TransferErr  error            // what Transfer returns
	// OnStep, when set, sees every trace entry as it happens (simulate
	// prints them). It runs on the goroutine of the operation.
	OnStep func(Entry)
}

// Entry is one line of the call's trace.
type Entry struct {
	At     time.Time `json:"at"`
	Op     string    `json:"op"` // answer, play, collect, record, hold, connect, leg_end, transfer, hangup, press, caller_hangup
	Detail string    `json:"detail,omitempty"`
}

func (e Entry) String() string { return e.Op + " " + e.Detail }

// Call is a scripted fake ivr.Call: a caller who follows Script on the
// virtual clock, agents who behave as Agents says, and a record of
// everything the engine did. It keeps the Call contract's DTMF buffer
// semantics. No timer it starts outlives the operation that started it,
// except an agent conversation's end.
type Call struct {
	cfg   Config
	clock clock.Clock

	mu        sync.Mutex
	buf       string // DTMF pressed and not yet collected
	next      int    // index of the next Step
	gone      chan struct{}
	goneOnce  sync.Once
	hungUpBy  string // "caller" or "system"
	cause     string
	answered  bool
	trace     []Entry
	played    []string
	collected []ivr.Collected
	records   []ivr.Recording
	transfers []ivr.Transfer
	offers    []routing.Offer
	leg       *leg
}

var _ ivr.Call = (*Call)(nil)

// NewCall returns a fake call from cfg.
func NewCall(cfg Config) *Call {
	if cfg.ID == "" {
		cfg.ID = "call-1"
	}
	if cfg.PromptLength <= 0 {
		cfg.PromptLength = DefaultPromptLength
	}
	c := &Call{cfg: cfg, clock: cfg.Clock, gone: make(chan struct{})}
	if c.clock == nil {
		c.clock = clock.Real{}
	}
	return c
}

func (c *Call) ID() string            { return c.cfg.ID }
func (c *Call) From() string          { return c.cfg.From }
func (c *Call) To() string            { return c.cfg.To }
func (c *Call) Transport() string     { return "fake" }
func (c *Call) Done() <-chan struct{} { return c.gone }
func (c *Call) Answer(context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.isGone() {
		return c.hangupErr("answer")
	}
	c.answered = true
	c.logLocked("answer", "")
	return nil
}

// HangUp makes the caller hang up now, whatever the call is doing.
func (c *Call) HangUp() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.callerHangupLocked()
}

func (c *Call) callerHangupLocked() {
	if c.isGone() {
		return
	}
	c.hungUpBy = ivr.ByCaller
	c.logLocked("caller_hangup", "")
	if c.leg != nil {
		c.leg.end(ivr.ByCaller)
	}
	c.goneOnce.Do(func() { close(c.gone) })
}

func (c *Call) isGone() bool {
	select {
	case <-c.gone:
		return true
	default:
		return false
	}
}

func (c *Call) hangupErr(op string) error {
	return fmt.Errorf("%s: %w", op, ivr.ErrHangup)
}

// take returns the next step if it waits for p, using it up.
func (c *Call) take(p Point) (Step, bool) {
	if c.next < len(c.cfg.Script) && c.cfg.Script[c.next].At == p {
		c.next++
		return c.cfg.Script[c.next-1], true
	}
	return Step{}, false
}

// wait sleeps d on the clock; it fails when ctx ends or the caller goes.
func (c *Call) wait(ctx context.Context, d time.Duration, op string) error {
	if d <= 0 {
		select {
		case <-c.gone:
			return c.hangupErr(op)
		default:
			return ctx.Err()
		}
	}
	t := c.clock.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-c.gone:
		return c.hangupErr(op)
	case <-t.C():
		return nil
	}
}

func (c *Call) press(keys string) {
	if keys == "" {
		return
	}
	c.buf += keys
	c.logLocked("press", keys)
}

// Play plays p for PromptLength per prompt. A step AtPrompt presses its
// keys (or hangs up) Delay into the playback; with Barge a key ends it.
func (c *Call) Play(ctx context.Context, p ivr.Playback) (string, error) {
	c.mu.Lock()
	if c.isGone() {
		c.mu.Unlock()
		return "", c.hangupErr("play")
	}
	names := make([]string, len(p.Prompts))
	for i, pr := range p.Prompts {
		names[i] = promptLabel(pr)
	}
	label := strings.Join(names, " ")
	c.logLocked("play", label)
	if p.Barge && c.buf != "" {
		c.played = append(c.played, label+" (barged)")
		key := c.buf[:1]
		c.mu.Unlock()
		return key, nil
	}
	length := time.Duration(len(p.Prompts)) * c.cfg.PromptLength
	step, ok := c.take(AtPrompt)
	c.mu.Unlock()

	at := length
	if ok && step.Delay < length {
		at = step.Delay
	}
	if err := c.wait(ctx, at, "play"); err != nil {
		return "", err
	}
	if ok {
		c.mu.Lock()
		c.press(step.Keys)
		if step.Hangup {
			c.callerHangupLocked()
			c.mu.Unlock()
			return "", c.hangupErr("play")
		}
		if p.Barge && c.buf != "" {
			c.played = append(c.played, label+" (barged)")
			key := c.buf[:1]
			c.mu.Unlock()
			return key, nil
		}
		c.mu.Unlock()
		if err := c.wait(ctx, length-at, "play"); err != nil {
			return "", err
		}
	}
	c.mu.Lock()
	c.played = append(c.played, label)
	c.mu.Unlock()
	return "", nil
}

type keyAt struct {
	at  time.Duration
	key byte
}

// Collect takes buffered keys first, then the keys of a step AtInput, on
// the step's timeline, and stops as a transport would: terminator, max
// digits, first- or inter-digit timeout. Keys pressed past the stop stay
// buffered.
func (c *Call) Collect(ctx context.Context, col ivr.Collect) (ivr.Collected, error) {
	c.mu.Lock()
	if c.isGone() {
		c.mu.Unlock()
		return ivr.Collected{}, c.hangupErr("collect")
	}
	var keys []keyAt
	for i := 0; i < len(c.buf); i++ {
		keys = append(keys, keyAt{0, c.buf[i]})
	}
	c.buf = ""
	step, ok := c.take(AtInput)
	hangAt := time.Duration(-1)
	if ok {
		for i := 0; i < len(step.Keys); i++ {
			keys = append(keys, keyAt{step.Delay + time.Duration(i)*step.Gap, step.Keys[i]})
		}
		if step.Hangup {
			hangAt = step.Delay
			if n := len(step.Keys); n > 0 {
				hangAt = step.Delay + time.Duration(n-1)*step.Gap
			}
		}
	}
	c.mu.Unlock()

	var got ivr.Collected
	deadline := col.FirstDigit
	stopAt, used := time.Duration(-1), 0
	for _, k := range keys {
		if k.at > deadline {
			break
		}
		used++
		if strings.IndexByte(col.Terminator, k.key) >= 0 {
			got.Stop, stopAt = ivr.StopTerminator, k.at
			break
		}
		got.Digits += string(k.key)
		if col.Max > 0 && len(got.Digits) >= col.Max {
			got.Stop, stopAt = ivr.StopMaxDigits, k.at
			break
		}
		deadline = k.at + col.InterDigit
	}
	if stopAt < 0 {
		stopAt = deadline
		got.Stop = ivr.StopFirstTimeout
		if got.Digits != "" {
			got.Stop = ivr.StopInterTimeout
		}
	}
	if hangAt >= 0 && hangAt <= stopAt {
		err := c.wait(ctx, hangAt, "collect")
		c.mu.Lock()
		defer c.mu.Unlock()
		if err == nil {
			for _, k := range keys {
				if k.at <= hangAt {
					c.press(string(k.key))
				}
			}
			c.callerHangupLocked()
		}
		return ivr.Collected{}, c.hangupErr("collect")
	}
	if err := c.wait(ctx, stopAt, "collect"); err != nil {
		return ivr.Collected{}, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, k := range keys[used:] {
		c.buf += string(k.key)
	}
	c.collected = append(c.collected, got)
	c.logLocked("collect", fmt.Sprintf("%q %s", got.Digits, got.Stop))
	if hangAt >= 0 {
		c.callerHangupLocked() // the caller hangs up right after
	}
	return got, nil
}

// Record records the caller: a step AtInput talks for Talk, then presses
// Keys (a terminator stops it) or hangs up; silence stops it Silence after
// the talk ends, Max stops it in any case.
func (c *Call) Record(ctx context.Context, r ivr.Record) (ivr.Recording, error) {
	c.mu.Lock()
	if c.isGone() {
		c.mu.Unlock()
		return ivr.Recording{}, c.hangupErr("record")
	}
	step, _ := c.take(AtInput)
	if r.Beep {
		c.logLocked("beep", "")
	}
	c.mu.Unlock()

	stop, stopAt := "max", r.Max
	if stopAt <= 0 {
		stopAt = maxRecord
	}
	consider := func(why string, at time.Duration) {
		if at < stopAt {
			stop, stopAt = why, at
		}
	}
	if r.Silence > 0 {
		consider("silence", step.Talk+r.Silence)
	}
	keyAt := step.Talk + step.Delay
	if i := strings.IndexAny(step.Keys, r.Terminator); r.Terminator != "" && i >= 0 {
		consider("terminator", keyAt)
	}
	if step.Hangup {
		consider("hangup", keyAt)
	}
	err := c.wait(ctx, stopAt, "record")
	if err != nil && !errors.Is(err, ivr.ErrHangup) {
		return ivr.Recording{}, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	rec := ivr.Recording{Path: r.Path, Duration: stopAt, Stop: stop}
	if err != nil { // hung up from outside the script
		rec.Stop = "hangup"
	}
	if rec.Stop == "terminator" {
		if i := strings.IndexAny(step.Keys, r.Terminator); i+1 < len(step.Keys) {
			c.buf += step.Keys[i+1:]
		}
	}
	c.records = append(c.records, rec)
	c.logLocked("record", fmt.Sprintf("%s %s %s", r.Path, rec.Duration, rec.Stop))
	if rec.Stop == "hangup" {
		c.callerHangupLocked()
		return rec, c.hangupErr("record")
	}
	return rec, nil
}

// Hold plays music until ctx ends; a step AtHold presses keys (buffered)
// or hangs up Delay into it.
func (c *Call) Hold(ctx context.Context, music ivr.Playback) error {
	c.mu.Lock()
	if c.isGone() {
		c.mu.Unlock()
		return c.hangupErr("hold")
	}
	names := make([]string, len(music.Prompts))
	for i, p := range music.Prompts {
		names[i] = promptLabel(p)
	}
	c.logLocked("hold", strings.Join(names, " "))
	step, ok := c.take(AtHold)
	c.mu.Unlock()
	if ok {
		if err := c.wait(ctx, step.Delay, "hold"); err != nil {
			return quietCtx(ctx, err)
		}
		c.mu.Lock()
		c.press(step.Keys)
		if step.Hangup {
			c.callerHangupLocked()
			c.mu.Unlock()
			return c.hangupErr("hold")
		}
		c.mu.Unlock()
	}
	select {
	case <-ctx.Done():
		return nil
	case <-c.gone:
		return c.hangupErr("hold")
	}
}

// quietCtx: Hold returns nil when its context ends.
func quietCtx(ctx context.Context, err error) error {
	if ctx.Err() != nil && !errors.Is(err, ivr.ErrHangup) {
		return nil
	}
	return err
}

// Transfer records t and returns Config.TransferErr.
func (c *Call) Transfer(ctx context.Context, t ivr.Transfer) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.isGone() {
		return c.hangupErr("transfer")
	}
	c.transfers = append(c.transfers, t)
	c.logLocked("transfer", t.Kind+" "+t.Target)
	return c.cfg.TransferErr
}

// Hangup is the engine hanging up.
func (c *Call) Hangup(ctx context.Context, cause string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.isGone() {
		return c.hangupErr("hangup")
	}
	c.hungUpBy, c.cause = ivr.BySystem, cause
	c.logLocked("hangup", cause)
	if c.leg != nil {
		c.leg.end(ivr.BySystem)
	}
	c.goneOnce.Do(func() { close(c.gone) })
	return nil
}

func (c *Call) logLocked(op, detail string) {
	e := Entry{At: c.clock.Now(), Op: op, Detail: detail}
	c.trace = append(c.trace, e)
	if c.cfg.OnStep != nil {
		c.cfg.OnStep(e)
	}
}

// promptLabel names a prompt in the trace by its file, or by its sound.
func promptLabel(p ivr.Prompt) string {
	if p.File != "" {
		return p.File
	}
	return "sound:" + p.Sound
}
