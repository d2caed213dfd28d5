package b2bua

import (
	"context"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/switchboard-cc/switchboard/events"
	"github.com/switchboard-cc/switchboard/ivr"
	"github.com/switchboard-cc/switchboard/media"
	"github.com/switchboard-cc/switchboard/routing"
	"github.com/switchboard-cc/switchboard/sip/sdpaudio"
)

// Who ended a bridged conversation (ivr.Leg.EndedBy).
const (
	EndedByCaller = "caller"
	EndedByAgent  = "agent"
	EndedBySystem = "system"
)

// Leg is an answered agent leg bridged with the caller. It implements
// ivr.Leg. The conversation lasts until either side hangs up, the agent
// transfers the caller, or Hangup is called.
type Leg struct {
	b         *B2BUA
	contact   sip.Uri // ours, for responses in this dialog
	agentID   string
	queue     string
	caller    Caller
	dialogID  string // Call-ID of the agent dialog
	dialog    *sipgo.DialogClientSession
	rtp       *UDPMedia
	sessionID uint64
	log       *slog.Logger

	mu         sync.Mutex
	relay      *relay
	desc       mediaDesc
	sdpVersion uint64
	held       bool
	holdStart  time.Time
	holdTotal  time.Duration
	mohStop    context.CancelFunc
	mohDone    chan struct{}
	transfer   *TransferRequest
	endedBy    string

	endOnce sync.Once
	done    chan struct{}
}

var _ ivr.Leg = (*Leg)(nil)

func (l *Leg) AgentID() string { return l.agentID }

// Done is closed when the conversation is over.
func (l *Leg) Done() <-chan struct{} { return l.done }

// EndedBy is "caller", "agent" or "system" once Done is closed.
func (l *Leg) EndedBy() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.endedBy
}

// Transfer reports the blind transfer the agent made, if the leg ended
// with one: the engine re-queues or dials Target.
func (l *Leg) Transfer() (TransferRequest, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.transfer == nil {
		return TransferRequest{}, false
	}
	return *l.transfer, true
}

// Transferred reports the agent's blind transfer as an ivr.Transfer (Kind
// "queue" with the group, or "number"), for an engine that looks for it on
// the leg it was given.
func (l *Leg) Transferred() (ivr.Transfer, bool) {
	t, ok := l.Transfer()
	if !ok {
		return ivr.Transfer{}, false
	}
	return ivr.Transfer{Target: t.Target, Kind: t.Kind}, true
}

// HoldTime is how long the agent held the caller so far.
func (l *Leg) HoldTime() time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	d := l.holdTotal
	if l.held {
		d += l.b.clk.Now().Sub(l.holdStart)
	}
	return d
}

// Codecs reports the codec each side uses (equal: passthrough).
func (l *Leg) Codecs() (caller, agent string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.caller.Codec.Name, l.desc.Codec.Name
}

// Hangup ends the conversation from Switchboard's side (BYE to the agent).
func (l *Leg) Hangup(ctx context.Context) error {
	l.end(EndedBySystem, true)
	return nil
}

// bridge builds the winning leg, registers its dialog and starts the relay
// before the ACK goes out, so even an immediate BYE from the phone finds it.
func (b *B2BUA) bridge(sig *signalling, caller Caller, o routing.Offer, br *branch, d *sipgo.DialogClientSession, desc mediaDesc, sessionID uint64) *Leg {
	l := &Leg{
		b: b, contact: sig.contact, agentID: br.agent.AgentID, queue: o.Group, caller: caller,
		dialogID: br.callID, dialog: d, rtp: br.rtp, sessionID: sessionID, sdpVersion: 1,
		desc: desc, done: make(chan struct{}),
		log: b.log.With("call_id", caller.CallID, "agent", br.agent.AgentID),
	}
	br.rtp.SetRemote(desc.Remote)
	l.relay = newRelay(caller.Media, caller.Codec, caller.DTMFPayloadType, br.rtp, desc.Codec, desc.DTMFPT)
	b.addLeg(br.callID, l)
	l.relay.start()
	go func() {
		select {
		case <-caller.Done:
			l.end(EndedByCaller, true)
		case <-l.done:
		}
	}()
	l.log.Info("agent leg bridged", "caller_codec", caller.Codec.Name, "agent_codec", desc.Codec.Name)
	return l
}

// handle serves one in-dialog request from the agent's phone.
func (l *Leg) handle(req *sip.Request, tx sip.ServerTransaction) {
	switch req.Method {
	case sip.ACK: // for our 200 to a re-INVITE
	case sip.BYE:
		if err := l.dialog.ReadBye(req, tx); err != nil {
			l.log.Info("bye from agent: respond", "error", err)
		}
		l.end(EndedByAgent, false)
	case sip.INVITE, sip.UPDATE:
		l.reinvite(req, tx)
	case sip.REFER:
		l.refer(req, tx)
	case sip.INFO, sip.NOTIFY, sip.OPTIONS:
		tx.Respond(sip.NewResponseFromRequest(req, sip.StatusOK, "OK", nil))
	default:
		tx.Respond(sip.NewResponseFromRequest(req, sip.StatusNotImplemented, "Not Implemented", nil))
	}
}

// reinvite answers the phone's new offer: hold (sendonly/inactive, RFC 3264
// §8.4), resume, or moved media.
func (l *Leg) reinvite(req *sip.Request, tx sip.ServerTransaction) {
	if len(req.Body()) == 0 {
		l.refresh(req, tx)
		return
	}
	desc, err := parseSDP(req.Body())
	if err != nil {
		l.log.Info("re-invite refused", "error", err)
		tx.Respond(sip.NewResponseFromRequest(req, sip.StatusNotAcceptableHere, "Not Acceptable Here", nil))
		return
	}
	l.mu.Lock()
	if desc.Remote.Port() != 0 && !desc.Remote.Addr().IsUnspecified() {
		l.rtp.SetRemote(desc.Remote)
	}
	if desc.Codec.Name != l.desc.Codec.Name || desc.Codec.PayloadType != l.desc.Codec.PayloadType || desc.DTMFPT != l.desc.DTMFPT {
		paused := l.relay.paused.Load()
		l.relay.stop()
		l.relay = newRelay(l.caller.Media, l.caller.Codec, l.caller.DTMFPayloadType, l.rtp, desc.Codec, desc.DTMFPT)
		l.relay.paused.Store(paused)
		l.relay.start()
	}
	l.desc = desc
	l.sdpVersion++
	body := sdpaudio.Write(l.rtp.LocalAddr(), []media.Codec{desc.Codec}, desc.DTMFPT, desc.Direction.Reverse(), l.sessionID, l.sdpVersion)
	l.mu.Unlock()

	res := sip.NewResponseFromRequest(req, sip.StatusOK, "OK", body)
	res.AppendHeader(&sip.ContactHeader{Address: l.contact})
	res.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	if err := tx.Respond(res); err != nil {
		l.log.Info("re-invite: respond", "error", err)
	}
	if desc.Direction.HeldBy() {
		l.hold()
	} else {
		l.unhold("resume")
	}
}

// refresh answers a re-INVITE or UPDATE without SDP (a session-timer
// refresh, RFC 4028, or a re-INVITE asking us to offer): nothing changes,
// so an INVITE gets our current description as the offer (the phone's
// answer in the ACK is not needed) and an UPDATE a bare 200.
func (l *Leg) refresh(req *sip.Request, tx sip.ServerTransaction) {
	var body []byte
	if req.Method == sip.INVITE {
		l.mu.Lock()
		dir := SendRecv
		if l.held {
			dir = l.desc.Direction.Reverse()
		}
		l.sdpVersion++
		body = sdpaudio.Write(l.rtp.LocalAddr(), []media.Codec{l.desc.Codec}, l.desc.DTMFPT, dir, l.sessionID, l.sdpVersion)
		l.mu.Unlock()
	}
	res := sip.NewResponseFromRequest(req, sip.StatusOK, "OK", body)
	res.AppendHeader(&sip.ContactHeader{Address: l.contact})
	if body != nil {
		res.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	}
	if err := tx.Respond(res); err != nil {
		l.log.Info("session refresh: respond", "error", err)
	}
}

func (l *Leg) emit(t events.Type, data map[string]string) {
	l.b.sink.Emit(context.Background(), events.Event{
		Time: l.b.clk.Now().UTC(), CallID: l.caller.CallID, Type: t,
		Queue: l.queue, Agent: l.agentID, Data: data,
	})
}

// hold stops the relay and plays music on hold to the caller.
func (l *Leg) hold() {
	l.mu.Lock()
	if l.held || l.endedBy != "" {
		l.mu.Unlock()
		return
	}
	l.held = true
	l.holdStart = l.b.clk.Now()
	ctx, cancel := context.WithCancel(context.Background())
	l.mohStop, l.mohDone = cancel, make(chan struct{})
	done := l.mohDone
	relay := l.relay
	l.mu.Unlock()

	relay.pause()
	l.log.Info("agent put caller on hold")
	l.emit(events.CallHold, nil)
	go func() {
		defer close(done)
		if l.caller.MusicOnHold == nil {
			<-ctx.Done()
			return
		}
		if err := l.caller.MusicOnHold(ctx); err != nil && ctx.Err() == nil {
			l.log.Info("music on hold stopped", "error", err)
		}
	}()
}

// unhold stops the music and resumes the relay; why is "resume" or
// "hangup" (the hold ended because the call did).
func (l *Leg) unhold(why string) {
	l.mu.Lock()
	if !l.held {
		l.mu.Unlock()
		return
	}
	l.held = false
	held := l.b.clk.Now().Sub(l.holdStart)
	l.holdTotal += held
	stop, done, relay := l.mohStop, l.mohDone, l.relay
	l.mu.Unlock()

	stop()
	<-done // the music has stopped writing to the caller
	if why == "resume" {
		relay.resume()
	}
	l.log.Info("caller taken off hold", "held", held, "why", why)
	l.emit(events.CallUnhold, map[string]string{"hold_ms": strconv.FormatInt(held.Milliseconds(), 10), "reason": why})
}

// end closes the leg once: hold closed in the log, relay stopped, the
// agent's phone sent BYE when we end it.
func (l *Leg) end(by string, sendBye bool) {
	l.endOnce.Do(func() {
		l.unhold("hangup")
		l.mu.Lock()
		l.endedBy = by
		relay := l.relay
		l.mu.Unlock()
		relay.stop()
		l.rtp.Close()
		l.b.removeLeg(l.dialogID)
		l.log.Info("agent leg ended", "by", by)
		if n := l.rtp.Foreign(); n > 0 {
			l.log.Warn("rtp from a foreign source dropped on the agent leg", "packets", n)
		}
		close(l.done)
		if sendBye {
			go func() {
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				if err := l.dialog.Bye(ctx); err != nil {
					l.log.Info("bye to agent", "error", err)
				}
			}()
		}
	})
}
