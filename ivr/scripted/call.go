package scripted

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/switchboard-cc/switchboard/flows"
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
	Talk        time.Duration // conversation length; 0: DefaultTalk; negative: until ended from outside
	CallerEnds  bool          // the caller, not the agent, hangs up at the end of Talk
	// Transfer, when its Target is set, is where the agent blind-transfers
	// the caller at the end of Talk instead of hanging up (Kind
	// ivr.TransferQueue with a group, or "number"): the leg ends by the
	// agent and reports it through ivr.TransferredLeg.
	Transfer ivr.Transfer
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
	Op     string    `json:"op"` // answer, play, collect, record, hold, connect, leg_end, agent_transfer, transfer, hangup, press, caller_hangup
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

	mu          sync.Mutex
	keys        *ivr.Keypad // DTMF pressed and not yet collected
	next        int         // index of the next Step
	gone        chan struct{}
	goneOnce    sync.Once
	hungUpBy    string // "caller" or "system"
	cause       string
	answered    bool
	trace       []Entry
	collectMask string // the running Collect's Mask: its pressed keys are traced as x
	played      []string
	collected   []ivr.Collected
	records     []ivr.Recording
	transfers   []ivr.Transfer
	offers      []routing.Offer
	leg         *leg
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
	c := &Call{cfg: cfg, clock: cfg.Clock, gone: make(chan struct{}), keys: ivr.NewKeypad()}
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
func (c *Call) Keys() *ivr.Keypad     { return c.keys }
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
	c.goneOnce.Do(func() {
		c.keys.Close(c.hangupErr("call"))
		close(c.gone)
	})
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

// press puts keys in the DTMF buffer and wakes whoever waits for keys.
func (c *Call) press(keys string) {
	if keys == "" {
		return
	}
	for _, k := range keys {
		c.keys.Press(k)
	}
	if c.collectMask != "" {
		// Keys of a sensitive input: the trace reaches simulate's output.
		keys = strings.Repeat("x", len(keys))
	}
	c.logLocked("press", keys)
}

// action is a scripted caller action at an offset from an operation's start.
type action struct {
	at     time.Duration
	key    byte
	hangup bool
}

// op is one running Call operation with the caller's scripted actions for
// it. Actions happen in time order on the clock, one timer at a time, so a
// run on the virtual clock is deterministic; what the script has not done
// when the operation ends happens at once (the caller typed ahead).
type op struct {
	c     *Call
	name  string
	start time.Time
	todo  []action
}

// begin starts operation name: it fails when the caller is gone, and takes
// the step waiting for p, whose actions start offset into the operation.
// c.mu must be held.
func (c *Call) beginLocked(name string, p Point, offset time.Duration) (*op, error) {
	if c.isGone() {
		return nil, c.hangupErr(name)
	}
	o := &op{c: c, name: name, start: c.clock.Now()}
	step, ok := c.take(p)
	if !ok {
		return o, nil
	}
	at := offset + step.Delay
	for i := 0; i < len(step.Keys); i++ {
		at = offset + step.Delay + time.Duration(i)*step.Gap
		o.todo = append(o.todo, action{at: at, key: step.Keys[i]})
	}
	if step.Hangup {
		o.todo = append(o.todo, action{at: at, hangup: true})
	}
	return o, nil
}

func (o *op) elapsed() time.Duration { return o.c.clock.Now().Sub(o.start) }

// do performs a scripted action; c.mu must be held.
func (o *op) doLocked(a action) {
	if a.hangup {
		o.c.callerHangupLocked()
		return
	}
	o.c.press(string(a.key))
}

// dueLocked performs the actions due by now; c.mu must be held.
func (o *op) dueLocked() {
	for len(o.todo) > 0 && o.todo[0].at <= o.elapsed() && !o.c.isGone() {
		a := o.todo[0]
		o.todo = o.todo[1:]
		o.doLocked(a)
	}
}

// finish performs the actions still due, at once.
func (o *op) finish() {
	o.c.mu.Lock()
	defer o.c.mu.Unlock()
	for _, a := range o.todo {
		if o.c.isGone() {
			break
		}
		o.doLocked(a)
	}
	o.todo = nil
}

// wait blocks until the deadline (an offset from the start; negative: none),
// performing scripted actions due before it. It returns true at the
// deadline, false when keys arrived (ch, taken with the buffer under c.mu,
// was closed or a scripted key was pressed), and an error when the caller
// hangs up or ctx ends.
func (o *op) wait(ctx context.Context, ch <-chan struct{}, deadline time.Duration) (bool, error) {
	next, scripted := deadline, false
	if len(o.todo) > 0 && (deadline < 0 || o.todo[0].at <= deadline) {
		next, scripted = o.todo[0].at, true
	}
	var fire <-chan time.Time
	if next >= 0 {
		if d := next - o.elapsed(); d > 0 {
			t := o.c.clock.NewTimer(d)
			defer t.Stop()
			fire = t.C()
		} else {
			ready := make(chan time.Time, 1)
			ready <- time.Time{}
			fire = ready
		}
	}
	select {
	case <-ctx.Done():
		return false, ctx.Err()
	case <-o.c.gone:
		return false, o.c.hangupErr(o.name)
	case <-ch:
		return false, nil
	case <-fire:
	}
	if !scripted {
		return true, nil
	}
	o.c.mu.Lock()
	a := o.todo[0]
	o.todo = o.todo[1:]
	o.doLocked(a)
	o.c.mu.Unlock()
	if a.hangup {
		return false, o.c.hangupErr(o.name)
	}
	return false, nil
}

// Play plays p for PromptLength per prompt. Keys arrive from a step AtPrompt
// (Delay into the playback) or from the Remote; with Barge a key ends the
// playback and stays buffered.
func (c *Call) Play(ctx context.Context, p ivr.Playback) (string, error) {
	names := make([]string, len(p.Prompts))
	for i, pr := range p.Prompts {
		names[i] = promptLabel(pr)
	}
	label := strings.Join(names, " ")
	traced := label // the trace reaches simulate's output: no secrets there
	if p.Sensitive {
		traced = fmt.Sprintf("(%d sensitive prompts)", len(p.Prompts))
	}
	c.mu.Lock()
	o, err := c.beginLocked("play", AtPrompt, 0)
	if err != nil {
		c.mu.Unlock()
		return "", err
	}
	c.logLocked("play", traced)
	c.mu.Unlock()
	length := time.Duration(len(p.Prompts)) * c.cfg.PromptLength
	for {
		key, next, err := c.keys.Peek()
		if err != nil {
			return "", err
		}
		if p.Barge && key != 0 {
			c.mu.Lock()
			c.played = append(c.played, label+" (barged)")
			c.mu.Unlock()
			o.finish()
			return string(key), nil
		}
		if !p.Barge {
			next = nil
		}
		done, err := o.wait(ctx, next, length)
		if err != nil {
			return "", err
		}
		if done {
			c.mu.Lock()
			c.played = append(c.played, label)
			c.mu.Unlock()
			o.finish()
			return "", nil
		}
	}
}

// Collect runs the engine's collector (ivr.CollectKeys) while the caller
// presses keys as a step AtInput says (Delay into the collection, Gap
// between keys) or from the Remote. Keys past the stop stay buffered.
func (c *Call) Collect(ctx context.Context, col ivr.Collect) (ivr.Collected, error) {
	c.mu.Lock()
	o, err := c.beginLocked("collect", AtInput, 0)
	c.collectMask = col.Mask
	c.mu.Unlock()
	if err != nil {
		return ivr.Collected{}, err
	}
	keys := &scriptedKeys{o: o}
	got, err := ivr.CollectKeys(ctx, keys, keys, col)
	c.mu.Lock()
	c.collectMask = ""
	c.mu.Unlock()
	if err != nil {
		return ivr.Collected{}, err
	}
	c.mu.Lock()
	c.collected = append(c.collected, got)
	c.logLocked("collect", fmt.Sprintf("%q %s", flows.MaskDigits(col.Mask, got.Digits), got.Stop))
	c.mu.Unlock()
	o.finish()
	return got, nil
}

// scriptedKeys is the keypad and the clock of one scripted Collect.
// Before every Take the script's actions due by now happen, so a key
// scripted for the instant a timeout fires counts, as the collector's race
// rule says; and no timer the collector sets runs past the next scripted
// action, which wakes it to take that key. One timer at a time, no
// goroutine: a run on the virtual clock is deterministic.
type scriptedKeys struct {
	o *op
}

func (s *scriptedKeys) Take() (rune, <-chan struct{}, error) {
	c := s.o.c
	c.mu.Lock()
	s.o.dueLocked()
	c.mu.Unlock()
	return c.keys.Take()
}

func (s *scriptedKeys) SwallowNext(keys string, clk clock.Clock, until time.Time) {
	s.o.c.keys.SwallowNext(keys, clk, until)
}

func (s *scriptedKeys) Now() time.Time { return s.o.c.clock.Now() }

func (s *scriptedKeys) NewTimer(d time.Duration) clock.Timer {
	c := s.o.c
	c.mu.Lock()
	if len(s.o.todo) > 0 {
		d = min(d, s.o.todo[0].at-s.o.elapsed())
	}
	c.mu.Unlock()
	return c.clock.NewTimer(d)
}

func (s *scriptedKeys) AfterFunc(d time.Duration, f func()) clock.Timer {
	return s.o.c.clock.AfterFunc(d, f)
}

// Record records the caller. Keys buffered before it starts are dropped;
// a terminator key stops it, other keys are part of the recording. A step
// AtInput talks for Talk, then presses Keys or hangs up Delay later;
// silence stops it Silence after the talk ends, Max stops it in any case.
// A hang-up returns the recording so far and an error wrapping ErrHangup.
func (c *Call) Record(ctx context.Context, r ivr.Record) (ivr.Recording, error) {
	c.mu.Lock()
	talk := time.Duration(0)
	if c.next < len(c.cfg.Script) && c.cfg.Script[c.next].At == AtInput {
		talk = c.cfg.Script[c.next].Talk
	}
	o, err := c.beginLocked("record", AtInput, talk)
	if err != nil {
		c.mu.Unlock()
		return ivr.Recording{}, err
	}
	c.keys.Flush()
	if r.Beep {
		c.logLocked("beep", "")
	}
	c.mu.Unlock()

	stop, stopAt := "max", r.Max
	if stopAt <= 0 {
		stopAt = maxRecord
	}
	if r.Silence > 0 && talk+r.Silence < stopAt {
		stop, stopAt = "silence", talk+r.Silence
	}
	rec := ivr.Recording{Path: r.Path}
	for rec.Stop == "" {
		var next <-chan struct{}
		for rec.Stop == "" {
			var key rune
			if key, next, _ = c.keys.Take(); key == 0 {
				break
			}
			if strings.ContainsRune(r.Terminator, key) {
				rec.Stop = "terminator"
			}
		}
		if rec.Stop != "" {
			break
		}
		done, err := o.wait(ctx, next, stopAt)
		switch {
		case err != nil && errors.Is(err, ivr.ErrHangup):
			rec.Stop = "hangup"
		case err != nil:
			return ivr.Recording{}, err
		case done:
			rec.Stop = stop
		}
	}
	rec.Duration = o.elapsed()
	c.mu.Lock()
	c.records = append(c.records, rec)
	c.logLocked("record", fmt.Sprintf("%s %s %s", r.Path, rec.Duration, rec.Stop))
	c.mu.Unlock()
	if rec.Stop == "hangup" {
		return rec, c.hangupErr("record")
	}
	o.finish()
	return rec, nil
}

// Hold plays music until ctx ends; a step AtHold presses keys (they stay
// buffered) or hangs up Delay into it.
func (c *Call) Hold(ctx context.Context, music ivr.Playback) error {
	names := make([]string, len(music.Prompts))
	for i, p := range music.Prompts {
		names[i] = promptLabel(p)
	}
	c.mu.Lock()
	o, err := c.beginLocked("hold", AtHold, 0)
	if err != nil {
		c.mu.Unlock()
		return err
	}
	c.logLocked("hold", strings.Join(names, " "))
	c.mu.Unlock()
	for {
		if _, err := o.wait(ctx, nil, -1); err != nil {
			if ctx.Err() != nil && !errors.Is(err, ivr.ErrHangup) {
				return nil
			}
			return err
		}
	}
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
	c.goneOnce.Do(func() {
		c.keys.Close(c.hangupErr("call"))
		close(c.gone)
	})
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
