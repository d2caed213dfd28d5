package ari

import (
	"context"
	"path"
	"strings"
	"time"

	"github.com/CyCoreSystems/ari/v5"

	"github.com/switchboard-cc/switchboard/internal/clock"
	"github.com/switchboard-cc/switchboard/ivr"
)

// Play plays each prompt as its own ARI playback (ari/v5 sends media as a
// JSON string, which Asterisk takes as one item). With Barge the first
// buffered digit stops the playback (DELETE /playbacks/{id}) and is
// returned without being consumed.
func (c *call) Play(ctx context.Context, p ivr.Playback) (string, error) {
	for _, pr := range p.Prompts {
		if err := c.check(ctx, "play"); err != nil {
			return "", err
		}
		if p.Barge {
			if d, _, _ := c.keys.Peek(); d != 0 {
				return string(d), nil
			}
		}
		media, err := c.t.cfg.Media(pr)
		if err != nil {
			return "", err
		}
		barge, err := c.playOne(ctx, media, p.Barge)
		if err != nil || barge != "" {
			return barge, err
		}
	}
	return "", nil
}

// playOne stages the playback, subscribes to its end, then executes it, so
// a PlaybackFinished that beats the 201 response is not lost.
func (c *call) playOne(ctx context.Context, media string, barge bool) (string, error) {
	id := c.newID("pb")
	h, err := c.t.rest.Channel().StagePlay(c.key(), id, media)
	if err != nil {
		return "", err
	}
	sub := c.t.bus.Subscribe(c.t.key(ari.PlaybackKey, id), ari.Events.PlaybackFinished)
	defer sub.Cancel()
	// A caller's hang-up also finishes the playback ("done"), and Asterisk
	// sends ChannelHangupRequest first, before the channel leaves Stasis.
	// The bus hands each event to every subscription before the next, so
	// once PlaybackFinished is here a hang-up request before it is in
	// hangup already.
	hangup := c.t.bus.Subscribe(c.key(), ari.Events.ChannelHangupRequest)
	defer hangup.Cancel()
	if err := c.t.do(ctx, "play "+media, h.Exec); err != nil {
		return "", c.fail(ctx, "play", err)
	}
	check := c.t.clk.NewTimer(c.t.cfg.PlaybackCheck)
	defer func() { check.Stop() }()
	for {
		var sig <-chan struct{}
		if barge {
			d, next, err := c.keys.Peek()
			if err != nil {
				return "", c.hangupErr("play")
			}
			if d != 0 {
				c.stopPlayback(id)
				return string(d), nil
			}
			sig = next
		}
		select {
		case e, ok := <-sub.Events():
			if !ok {
				return "", c.hangupErr("play")
			}
			if pf, ok := e.(*ari.PlaybackFinished); ok && pf.Playback.State == "failed" {
				c.log.Warn("ari: prompt failed to play (is the sound installed?)", "media", media)
			}
			select {
			case <-hangup.Events():
				return "", c.hangupErr("play")
			default:
			}
			return "", nil
		case <-sig:
		case <-c.done:
			return "", c.hangupErr("play")
		case <-ctx.Done():
			c.stopPlayback(id)
			return "", ctx.Err()
		case <-check.C():
			// Asterisk drops a playback of media it cannot handle without
			// finishing it; ask whether it still exists.
			err := c.t.do(ctx, "playback status", func() error {
				_, err := c.t.rest.Playback().Data(c.t.key(ari.PlaybackKey, id))
				return err
			})
			var re *RequestError
			if err != nil && asRequestError(err, &re) && re.Status == 404 {
				c.log.Warn("ari: playback vanished without finishing", "media", media)
				return "", nil
			}
			check = c.t.clk.NewTimer(c.t.cfg.PlaybackCheck)
		}
	}
}

// stopPlayback stops a playback even after the call's context ended; a 404
// (already finished) is fine.
func (c *call) stopPlayback(id string) {
	ctx, cancel := c.t.detached()
	defer cancel()
	_ = c.t.do(ctx, "stop playback", func() error { return c.t.rest.Playback().Stop(c.t.key(ari.PlaybackKey, id)) })
}

// Collect runs the engine's collector over the call's keys on the
// transport's clock.
func (c *call) Collect(ctx context.Context, col ivr.Collect) (ivr.Collected, error) {
	if err := c.check(ctx, "collect"); err != nil {
		return ivr.Collected{}, err
	}
	return ivr.CollectKeys(ctx, c.t.clk, c.keys, col)
}

// restopEvery is how often a recording the caller ended with its
// terminator is asked to stop again until it has: Asterisk ignores both
// the key and the stop request while the beep still plays (it logs
// "Unexpected control subclass '1101'"), and the recording would run on
// to Max.
const (
	restopEvery = 500 * time.Millisecond
	maxRestops  = 10
)

// recordGrace is how long past Max the transport waits for Asterisk to end
// a recording before stopping it itself.
const recordGrace = 2 * time.Second

// Record records the caller with channels/{id}/record. The recording name is
// r.Path without folder and extension; Asterisk stores it as
// <name>.<record_format> in its recording spool, and Recording.Path says so.
// A taken name fails the recording (ifExists=fail): a stored message is
// never replaced.
func (c *call) Record(ctx context.Context, r ivr.Record) (ivr.Recording, error) {
	if err := c.check(ctx, "record"); err != nil {
		return ivr.Recording{}, err
	}
	before := c.keys.Len()
	name := strings.TrimSuffix(path.Base(r.Path), path.Ext(r.Path))
	if r.Path == "" || name == "." || name == "/" {
		name = c.newID("rec")
	}
	format := c.t.cfg.RecordFormat
	terminate := "none"
	switch {
	case r.Terminator == "#" || r.Terminator == "*":
		terminate = r.Terminator
	case r.Terminator != "":
		terminate = "any"
	}
	h, err := c.t.rest.Channel().StageRecord(c.key(), name, &ari.RecordingOptions{Format: format,
		MaxDuration: r.Max, MaxSilence: r.Silence, Exists: "fail", Beep: r.Beep, Terminate: terminate})
	if err != nil {
		return ivr.Recording{}, err
	}
	// One subscription for the recording's end and the caller's hang-up,
	// so their order is the order Asterisk sent them in.
	sub := c.t.bus.Subscribe(nil, ari.Events.RecordingFinished, ari.Events.RecordingFailed,
		ari.Events.ChannelHangupRequest, ari.Events.StasisEnd, ari.Events.ChannelDtmfReceived)
	defer sub.Cancel()
	hungUp, terminated := false, false
	rec := ivr.Recording{Path: name + "." + format}
	stopByUs := func() {
		sctx, cancel := c.t.detached()
		defer cancel()
		_ = c.t.do(sctx, "stop recording", func() error {
			return c.t.rest.LiveRecording().Stop(c.t.key(ari.LiveRecordingKey, name))
		})
	}
	// The caller's terminator stops the recording, and stops it again
	// every restopEvery until it has (see restopEvery).
	var restop <-chan time.Time
	var restopTimer clock.Timer
	restops := 0
	defer func() {
		if restopTimer != nil {
			restopTimer.Stop()
		}
	}()
	stopAgainLater := func() {
		restop = nil
		if restops < maxRestops {
			restops++
			restopTimer = c.t.clk.NewTimer(restopEvery)
			restop = restopTimer.C()
		}
	}
	start := c.t.clk.Now()
	if err := c.t.do(ctx, "record", h.Exec); err != nil {
		return ivr.Recording{}, c.fail(ctx, "record", err)
	}
	// A terminating key pressed as the recording was being set up (the
	// caller heard the beep prompt) ends it now.
	if d, ok := c.keys.Find(r.Terminator, before); ok {
		terminated = true
		c.keys.Drop(d, before)
		stopByUs()
		stopAgainLater()
	}
	var backstop <-chan time.Time
	if r.Max > 0 {
		tm := c.t.clk.NewTimer(r.Max + recordGrace)
		defer tm.Stop()
		backstop = tm.C()
	}
	for {
		select {
		case e, ok := <-sub.Events():
			if !ok {
				rec.Stop = "hangup"
				return rec, nil
			}
			rec.Duration = c.t.clk.Now().Sub(start)
			switch ev := e.(type) {
			case *ari.ChannelHangupRequest:
				hungUp = hungUp || ev.Channel.ID == c.id
				continue
			case *ari.ChannelDtmfReceived:
				if ev.Channel.ID == c.id && r.Terminator != "" && strings.Contains(r.Terminator, ev.Digit) && !terminated {
					terminated = true
					c.keys.Drop([]rune(ev.Digit)[0], before)
					stopByUs() // Asterisk stops on its own too; a second stop is a harmless 404
					stopAgainLater()
				}
				continue
			case *ari.StasisEnd:
				if ev.Channel.ID == c.id {
					rec.Stop = "hangup"
					return rec, nil
				}
				continue
			case *ari.RecordingFailed:
				if ev.Recording.Name != name {
					continue
				}
				return rec, &RequestError{Op: "record", Err: errRecordingFailed}
			case *ari.RecordingFinished:
				if ev.Recording.Name != name {
					continue
				}
				if ev.Recording.Duration > 0 {
					rec.Duration = time.Duration(ev.Recording.Duration)
				}
			}
			switch {
			case hungUp:
				rec.Stop = "hangup"
			case terminated:
				rec.Stop = "terminator"
			case r.Silence > 0 && rec.Duration < r.Max-time.Second:
				rec.Stop = "silence"
			default:
				rec.Stop = "max"
			}
			return rec, nil
		case <-restop:
			stopByUs() // a 404 once it has stopped
			stopAgainLater()
		case <-backstop:
			stopByUs()
			backstop = nil
		case <-c.done:
			rec.Duration = c.t.clk.Now().Sub(start)
			rec.Stop = "hangup"
			return rec, nil
		case <-ctx.Done():
			stopByUs()
			return rec, ctx.Err()
		}
	}
}

// Hold plays music on hold (channels/{id}/moh) until ctx ends, then stops
// it and returns nil; it returns ErrHangup if the caller leaves first.
func (c *call) Hold(ctx context.Context, music ivr.Playback) error {
	if err := c.check(ctx, "hold"); err != nil {
		return err
	}
	class := c.t.cfg.MusicClass
	if err := c.t.do(ctx, "moh", func() error { return c.t.rest.Channel().MOH(c.key(), class) }); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return c.fail(ctx, "hold", err)
	}
	select {
	case <-c.done:
		return c.hangupErr("hold")
	case <-ctx.Done():
		sctx, cancel := c.t.detached()
		defer cancel()
		_ = c.t.do(sctx, "stop moh", func() error { return c.t.rest.Channel().StopMOH(c.key()) })
		return nil
	}
}

// playRecovery tells a re-adopted caller what happened, best effort.
func (c *call) playRecovery() {
	ctx, cancel := context.WithTimeout(c.ctx, time.Minute)
	defer cancel()
	sctx, scancel := c.t.detached()
	_ = c.t.do(sctx, "stop moh", func() error { return c.t.rest.Channel().StopMOH(c.key()) })
	scancel()
	if c.t.cfg.RecoveryPrompt == "none" {
		return
	}
	if _, err := c.playOne(ctx, mediaURI(c.t.cfg.RecoveryPrompt), false); err != nil {
		c.log.Warn("ari: recovery prompt", "err", err)
	}
}
