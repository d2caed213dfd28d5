package sip

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/switchboard-cc/switchboard/events"
	"github.com/switchboard-cc/switchboard/ivr"
	"github.com/switchboard-cc/switchboard/media"
	"github.com/switchboard-cc/switchboard/routing"
)

// EndError says how a call ended; every ivr.Call method returns one (it
// wraps ivr.ErrHangup) once the call is gone.
type EndError struct {
	By     string // "caller" (BYE, CANCEL) or "system" (RTP timeout, shutdown, our hangup)
	Reason string // "bye", "cancel", "rtp_timeout", "shutdown", or the hangup cause
}

func (e *EndError) Error() string { return fmt.Sprintf("call ended by %s: %s", e.By, e.Reason) }
func (e *EndError) Unwrap() error { return ivr.ErrHangup }

// HangupBy and HangupReason let the engine record call.end truthfully when
// the transport, not the caller, ended the call (rtp_timeout is "system").
func (e *EndError) HangupBy() string     { return e.By }
func (e *EndError) HangupReason() string { return e.Reason }

var _ ivr.TornDown = (*EndError)(nil)

// Call is one inbound call: the caller-side user agent server dialog and its
// RTP session. It implements ivr.Call.
type Call struct {
	srv     *Server
	id      string
	from    string
	to      string
	dialog  *sipgo.DialogServerSession
	session *media.Session
	port    int
	log     *slog.Logger

	codec      media.Codec // fixed for the call: a re-INVITE may not change it
	sdpSession uint64
	sdpVersion atomic.Uint64

	answerMu   sync.Mutex
	answered   atomic.Bool
	answeredAt atomic.Int64 // unix nanos

	mu        sync.Mutex
	offer     offer
	direction Direction // our side of the current answer
	held      bool
	keys      *ivr.Keypad // the caller's DTMF stream

	termMu     sync.Mutex
	terminated bool // a BYE or final response was sent (terminate)

	endOnce sync.Once
	end     *EndError
	done    chan struct{}
}

var _ ivr.Call = (*Call)(nil)

func (c *Call) ID() string   { return c.id }
func (c *Call) From() string { return c.from }
func (c *Call) To() string   { return c.to }

// Done is closed when the call is gone.
func (c *Call) Done() <-chan struct{} { return c.done }

// Ended says how the call ended, once Done is closed (nil before).
func (c *Call) Ended() *EndError {
	select {
	case <-c.done:
		return c.end
	default:
		return nil
	}
}

// finish records how the call ended and wakes every waiter; the first
// cause wins.
func (c *Call) finish(by, reason string) {
	c.endOnce.Do(func() {
		c.end = &EndError{By: by, Reason: reason}
		c.keys.Close(c.end)
		close(c.done)
	})
}

func (c *Call) gone() error {
	<-c.done
	return c.end
}

// addDigit buffers a key from RFC 4733 or SIP INFO.
func (c *Call) addDigit(d byte) {
	c.keys.Press(rune(d))
	c.log.Debug("dtmf received") // not which key: it may be a digit of a card number (sensitive input)
}

// Keys is the caller's DTMF stream.
func (c *Call) Keys() *ivr.Keypad { return c.keys }

// Answer sends 200 OK with our SDP answer and waits for the ACK.
func (c *Call) Answer(ctx context.Context) error {
	c.answerMu.Lock()
	defer c.answerMu.Unlock()
	if c.answered.Load() {
		return nil
	}
	select {
	case <-c.done:
		return c.end
	default:
	}
	c.mu.Lock()
	o := c.offer
	c.direction = o.Direction.Reverse()
	dir := c.direction
	c.mu.Unlock()
	body := answer(c.session.LocalAddr(), o, dir, c.sdpSession, c.sdpVersion.Load())
	c.answeredAt.Store(c.srv.now().UnixNano())
	c.answered.Store(true)
	err := c.dialog.RespondSDP(body)
	if err != nil {
		// A BYE may overtake the ACK (SIPp's setup scenario sends both at
		// once, and sipgo handles requests concurrently): that is a hangup,
		// not an answer failure.
		select {
		case <-c.dialog.Context().Done():
			c.finish("caller", "bye")
			return c.end
		case <-c.done:
			return c.end
		default:
		}
		c.finish("system", "answer_failed")
		return fmt.Errorf("answer: %w", err)
	}
	return nil
}

// loadPrompts resolves a playback to clips in the call's codec. A prompt that
// cannot be loaded is logged and skipped: a missing file must not drop a
// live caller (validation reports missing prompts before a flow is loaded).
func (c *Call) loadPrompts(prompts []ivr.Prompt) []media.Clip {
	clips := make([]media.Clip, 0, len(prompts))
	for _, p := range prompts {
		clip, err := c.srv.prompts.Load(p.File, c.codec)
		if err != nil {
			c.log.Warn("prompt not played", "prompt", p.Name, "file", p.File, "err", err)
			continue
		}
		clips = append(clips, clip)
	}
	return clips
}

// Play plays the prompts in order; with Barge the first buffered digit stops
// it at once and is returned (not consumed).
func (c *Call) Play(ctx context.Context, p ivr.Playback) (string, error) {
	if d, _, _ := c.keys.Peek(); d != 0 && p.Barge {
		return string(d), nil
	}
	select {
	case <-c.done:
		return "", c.end
	default:
	}
	playing := c.session.Play(c.loadPrompts(p.Prompts), false)
	defer c.session.Stop(playing)
	for {
		d, next, err := c.keys.Peek()
		if err != nil {
			return "", c.gone()
		}
		if !p.Barge {
			next = nil
		} else if d != 0 {
			c.session.Stop(playing)
			return string(d), nil
		}
		select {
		case <-playing.Done():
			return "", nil
		case <-next:
		case <-c.done:
			return "", c.end
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
}

// Collect runs the engine's collector over the call's keys on the server's
// clock.
func (c *Call) Collect(ctx context.Context, col ivr.Collect) (ivr.Collected, error) {
	return ivr.CollectKeys(ctx, c.srv.clock, c.keys, col)
}

// Record writes the caller's audio to r.Path until Max, Silence, a
// Terminator key or hangup. On hangup it returns the finished recording
// together with the hangup error (a voicemail left before hanging up is
// still a voicemail).
//
// Keys buffered before Record starts are not terminators of this recording
// (they were meant for the prompt before it); every key from then on is,
// including one pressed while the beep plays: the caller who presses # as
// the beep sounds ends the recording there, instead of waiting in silence
// for Max.
func (c *Call) Record(ctx context.Context, r ivr.Record) (ivr.Recording, error) {
	select {
	case <-c.done:
		return ivr.Recording{}, c.end
	default:
	}
	c.keys.Flush()
	if r.Beep {
		beep := c.session.Play([]media.Clip{media.Beep(c.codec)}, false)
		select {
		case <-beep.Done():
		case <-c.done:
			return ivr.Recording{}, c.end
		case <-ctx.Done():
			c.session.Stop(beep)
			return ivr.Recording{}, ctx.Err()
		}
	}
	if !filepath.IsAbs(r.Path) && c.srv.recDir != "" {
		r.Path = filepath.Join(c.srv.recDir, r.Path)
	}
	rec, err := media.NewRecorder(r.Path, r.Silence)
	if err != nil {
		return ivr.Recording{}, fmt.Errorf("record: %w", err)
	}
	c.session.Record(rec)
	var maxC <-chan time.Time
	if r.Max > 0 {
		t := c.srv.clock.NewTimer(r.Max)
		defer t.Stop()
		maxC = t.C()
	}
	why := media.StopCancelled
	var endErr error
wait:
	for {
		// Take what is buffered first (keys pressed during the beep, or
		// since the last look): the channel only announces the next key.
		var next <-chan struct{}
		for {
			d, ch, err := c.keys.Take()
			if err != nil {
				why, endErr = media.StopHangup, c.gone()
				break wait
			}
			if d == 0 {
				next = ch
				break
			}
			if strings.ContainsRune(r.Terminator, d) {
				why = media.StopDigit
				break wait
			}
		}
		select {
		case <-rec.Done():
			why = media.StopSilence
			break wait
		case <-maxC:
			why = media.StopMax
			break wait
		case <-next:
		case <-c.done:
			why, endErr = media.StopHangup, c.end
			break wait
		case <-ctx.Done():
			why, endErr = media.StopCancelled, ctx.Err()
			break wait
		}
	}
	c.session.StopRecording(rec, why)
	stop, d, err := rec.Finish(why)
	if err != nil {
		return ivr.Recording{}, fmt.Errorf("record: %w", err)
	}
	return ivr.Recording{Path: r.Path, Duration: d, Stop: string(stop)}, endErr
}

// Connect would ring agents and bridge the first to answer. Agent phones
// (registrar, B2BUA) come with the agent-leg work (issue 6); until then the
// native transport reaches no agent, so every offered agent is reported
// unreachable and the queue keeps the caller.
func (c *Call) Connect(ctx context.Context, o routing.Offer) (ivr.Leg, error) {
	select {
	case <-c.done:
		return nil, c.end
	default:
	}
	if c.srv.agents != nil && c.srv.agents.Legs != nil {
		return c.connectAgents(ctx, o) // agents.go
	}
	misses := make(map[string]string, len(o.Agents))
	for _, a := range o.Agents {
		misses[a.AgentID] = ivr.MissUnreachable
	}
	return nil, &ivr.ConnectError{Misses: misses}
}

// Hold loops music until ctx ends (nil) or the caller hangs up.
func (c *Call) Hold(ctx context.Context, music ivr.Playback) error {
	clips := c.loadPrompts(music.Prompts)
	playing := c.session.Play(clips, true)
	defer c.session.Stop(playing)
	select {
	case <-ctx.Done():
		return nil
	case <-c.done:
		return c.end
	}
}

// Transfer hands the call on with a blind REFER (RFC 3515) and hangs up once
// the caller's side accepts it.
func (c *Call) Transfer(ctx context.Context, t ivr.Transfer) error {
	if !c.answered.Load() {
		return errors.New("transfer: call not answered")
	}
	target := t.Target
	switch t.Kind {
	case "uri":
	case "number", "":
		host := c.dialog.InviteRequest.Recipient.Host
		target = "sip:" + t.Target + "@" + host
	default:
		return fmt.Errorf("transfer: kind %q not supported by native sip", t.Kind)
	}
	var uri sip.Uri
	if err := sip.ParseUri(target, &uri); err != nil {
		return fmt.Errorf("transfer: target %q: %w", target, err)
	}
	refer := sip.NewRequest(sip.REFER, c.dialog.InviteRequest.Contact().Address)
	refer.AppendHeader(sip.NewHeader("Refer-To", "<"+uri.String()+">"))
	res, err := c.dialog.Do(ctx, refer)
	if err != nil {
		return fmt.Errorf("transfer: refer: %w", err)
	}
	if !res.IsSuccess() {
		return fmt.Errorf("transfer: refer answered %d %s", res.StatusCode, res.Reason)
	}
	return c.Hangup(ctx, "transferred")
}

// Hangup ends the call: BYE when answered, a final error response before.
func (c *Call) Hangup(ctx context.Context, cause string) error {
	select {
	case <-c.done:
		return nil
	default:
	}
	if cause == "" {
		cause = "normal"
	}
	if c.answered.Load() {
		// Let the caller's jitter buffer play out the last prompt: phones
		// drop what is still buffered when the BYE arrives (baresip lost
		// the last ~90 ms of "goodbye" without this).
		drain := time.NewTimer(hangupDrain)
		select {
		case <-drain.C:
		case <-ctx.Done():
			drain.Stop()
		case <-c.done:
			drain.Stop()
			return nil
		}
	}
	c.finish("system", cause)
	return c.srv.terminate(ctx, c)
}

// hangupDrain is how long Hangup waits before the BYE; see Hangup.
const hangupDrain = 200 * time.Millisecond

func (c *Call) emit(ctx context.Context, t events.Type, data map[string]string) {
	c.srv.events.Emit(ctx, events.Event{Time: c.srv.now().UTC(), CallID: c.id, Type: t, Data: data})
}
