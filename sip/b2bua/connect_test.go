package b2bua

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/switchboard-cc/switchboard/events"
	"github.com/switchboard-cc/switchboard/ivr"
	"github.com/switchboard-cc/switchboard/media"
	"github.com/switchboard-cc/switchboard/routing"
)

type connectResult struct {
	leg *Leg
	err error
}

func connectAsync(sb *switchboard, fc *fakeCaller, ring time.Duration, agents ...string) <-chan connectResult {
	o := routing.Offer{ID: "offer-1", Group: "billing", RingTimeout: ring}
	for _, a := range agents {
		o.Agents = append(o.Agents, routing.Endpoint{AgentID: a})
	}
	ch := make(chan connectResult, 1)
	go func() {
		leg, err := sb.b2b.Connect(context.Background(), fc.caller, o)
		ch <- connectResult{leg, err}
	}()
	return ch
}

func result(t *testing.T, ch <-chan connectResult) connectResult {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(10 * time.Second):
		t.Fatal("Connect did not return within 10s")
	}
	return connectResult{}
}

func misses(t *testing.T, err error) map[string]string {
	t.Helper()
	var ce *ivr.ConnectError
	if !errors.As(err, &ce) {
		t.Fatalf("Connect error = %v; want *ivr.ConnectError", err)
	}
	return ce.Misses
}

func TestAgentRefusals(t *testing.T) {
	tests := []struct {
		name string
		mode phoneMode
		want string
	}{
		{"busy", modeBusy, ivr.MissBusy},
		{"decline", modeDecline, ivr.MissDecline},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sb := startSwitchboard(t, TransferRules{})
			p := newFakePhone(t, "1001", tt.mode)
			p.register(sb.addr, "pw-1001")
			r := result(t, connectAsync(sb, newFakeCaller(t, media.PCMU), 20*time.Second, "1001"))
			if got := misses(t, r.err); got["1001"] != tt.want || len(got) != 1 {
				t.Fatalf("misses = %v; want 1001: %s", got, tt.want)
			}
		})
	}
}

func TestUnregisteredAgentIsUnreachable(t *testing.T) {
	sb := startSwitchboard(t, TransferRules{})
	r := result(t, connectAsync(sb, newFakeCaller(t, media.PCMU), 20*time.Second, "1002"))
	if got := misses(t, r.err); got["1002"] != ivr.MissUnreachable {
		t.Fatalf("misses = %v; want 1002 unreachable (no binding)", got)
	}
}

func TestNoAnswerThenNextAgent(t *testing.T) {
	sb := startSwitchboard(t, TransferRules{})
	first := newFakePhone(t, "1001", modeRing)
	first.register(sb.addr, "pw-1001")
	second := newFakePhone(t, "1002", modeAnswer)
	second.register(sb.addr, "pw-1002")
	fc := newFakeCaller(t, media.PCMU)

	ch := connectAsync(sb, fc, 15*time.Second, "1001")
	wait(t, first.ringing, "first phone ringing")
	if a := <-sb.ringing; a != "1001" {
		t.Fatalf("OnRinging(%s); want 1001", a)
	}
	sb.clk.Advance(15 * time.Second)
	r := result(t, ch)
	if got := misses(t, r.err); got["1001"] != ivr.MissTimeout {
		t.Fatalf("misses = %v; want 1001 timeout", got)
	}
	wait(t, first.cancelled, "CANCEL at the first phone")

	// The ACD offers the call to the next agent, who answers.
	r = result(t, connectAsync(sb, fc, 15*time.Second, "1002"))
	if r.err != nil {
		t.Fatalf("second Connect: %v", r.err)
	}
	if r.leg.AgentID() != "1002" {
		t.Fatalf("leg agent %s; want 1002", r.leg.AgentID())
	}
	wait(t, second.acked, "ACK at the second phone")
	r.leg.Hangup(context.Background())
	wait(t, second.byes, "BYE at the second phone")
}

func TestDeadContactIsUnreachable(t *testing.T) {
	sb := startSwitchboard(t, TransferRules{})
	p := newFakePhone(t, "1001", modeAnswer)
	p.contactAddr = newRTPSocket(t).addr().String() // reads SIP and never answers
	p.register(sb.addr, "pw-1001")
	ch := connectAsync(sb, newFakeCaller(t, media.PCMU), 15*time.Second, "1001")
	if err := sb.clk.BlockUntil(context.Background(), 2); err != nil { // ring timer + no-response timer
		t.Fatal(err)
	}
	sb.clk.Advance(2 * time.Second)
	r := result(t, ch)
	if got := misses(t, r.err); got["1001"] != ivr.MissUnreachable {
		t.Fatalf("misses = %v; want 1001 unreachable", got)
	}
}

func TestCallerHangsUpWhileRinging(t *testing.T) {
	sb := startSwitchboard(t, TransferRules{})
	p := newFakePhone(t, "1001", modeRing)
	p.register(sb.addr, "pw-1001")
	fc := newFakeCaller(t, media.PCMU)
	ch := connectAsync(sb, fc, 15*time.Second, "1001")
	wait(t, p.ringing, "phone ringing")
	fc.hangUp()
	r := result(t, ch)
	if !errors.Is(r.err, ivr.ErrHangup) {
		t.Fatalf("Connect = %v; want ErrHangup", r.err)
	}
	wait(t, p.cancelled, "CANCEL at the phone")
}

func TestRingAllSimultaneousAnswerOneWins(t *testing.T) {
	for i := range 5 {
		sb := startSwitchboard(t, TransferRules{})
		gate := make(chan struct{})
		a, b := newFakePhone(t, "1001", modeAnswer), newFakePhone(t, "1002", modeAnswer)
		a.gate, b.gate = gate, gate
		// No 180 first: Switchboard has nothing to CANCEL, so both 200 OKs
		// arrive and the B2BUA must pick one and hang up the other.
		a.silentRing, b.silentRing = true, true
		a.register(sb.addr, "pw-1001")
		b.register(sb.addr, "pw-1002")
		ch := connectAsync(sb, newFakeCaller(t, media.PCMU), 15*time.Second, "1001", "1002")
		wait(t, a.ringing, "1001 ringing")
		wait(t, b.ringing, "1002 ringing")
		close(gate) // both answer in the same instant
		r := result(t, ch)
		if r.err != nil {
			t.Fatalf("round %d: Connect: %v", i, r.err)
		}
		winner, loser := a, b
		if r.leg.AgentID() == "1002" {
			winner, loser = b, a
		}
		wait(t, winner.acked, "ACK at the winner")
		wait(t, loser.acked, "ACK at the loser")
		wait(t, loser.byes, "BYE at the loser")
		noSignal(t, winner.byes, "BYE at the winner", 100*time.Millisecond)
		if sb.b2b.Legs() != 1 {
			t.Fatalf("round %d: %d legs up; want 1", i, sb.b2b.Legs())
		}
		r.leg.Hangup(context.Background())
		wait(t, winner.byes, "BYE at the winner after hangup")
	}
}

func TestRingAllCancelsOthersWhenOneAnswers(t *testing.T) {
	sb := startSwitchboard(t, TransferRules{})
	ringer := newFakePhone(t, "1001", modeRing)
	answerer := newFakePhone(t, "1002", modeAnswer)
	gate := make(chan struct{})
	answerer.gate = gate
	ringer.register(sb.addr, "pw-1001")
	answerer.register(sb.addr, "pw-1002")
	ch := connectAsync(sb, newFakeCaller(t, media.PCMU), 15*time.Second, "1001", "1002")
	wait(t, ringer.ringing, "1001 ringing")
	wait(t, answerer.ringing, "1002 ringing")
	close(gate)
	r := result(t, ch)
	if r.err != nil || r.leg.AgentID() != "1002" {
		t.Fatalf("Connect = %v, %v; want 1002's leg", r.leg, r.err)
	}
	wait(t, ringer.cancelled, "CANCEL at the phone still ringing")
}

// bridged connects caller fc with phone p and returns the leg.
func bridged(t *testing.T, sb *switchboard, fc *fakeCaller, p *fakePhone) *Leg {
	t.Helper()
	r := result(t, connectAsync(sb, fc, 15*time.Second, p.agent))
	if r.err != nil {
		t.Fatalf("Connect: %v", r.err)
	}
	wait(t, p.acked, "ACK at the phone")
	return r.leg
}

func TestRelayAudioAndDTMF(t *testing.T) {
	tests := []struct {
		name         string
		caller       media.Codec
		agent        media.Codec
		callerByte   byte // what the caller sends
		wantAtAgent  byte
		agentByte    byte // what the agent sends
		wantAtCaller byte
	}{
		{"passthrough pcmu", media.PCMU, media.PCMU, 0x80, 0x80, 0x80, 0x80},
		{"passthrough pcma", media.PCMA, media.PCMA, 0x2A, 0x2A, 0x2A, 0x2A},
		// µ-law 0xFF is 0; A-law has no zero: its smallest step 0xD5 is +8,
		// which µ-law codes as 0xFE.
		{"pcmu to pcma", media.PCMU, media.PCMA, 0xFF, 0xD5, 0xD5, 0xFE},
		{"pcma to pcmu", media.PCMA, media.PCMU, 0xD5, 0xFE, 0xFF, 0xD5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sb := startSwitchboard(t, TransferRules{})
			p := newFakePhone(t, "1001", modeAnswer)
			p.codec, p.dtmfPT = tt.agent, 96 // a different telephone-event PT from the caller's 101
			p.register(sb.addr, "pw-1001")
			fc := newFakeCaller(t, tt.caller)
			leg := bridged(t, sb, fc, p)
			defer leg.Hangup(context.Background())
			if c, a := leg.Codecs(); c != tt.caller.Name || a != tt.agent.Name {
				t.Fatalf("codecs %s/%s; want %s/%s", c, a, tt.caller.Name, tt.agent.Name)
			}
			bridge := netip.MustParseAddrPort(p.bridgeAddr())

			// Caller -> agent: audio transcoded as needed, DTMF re-typed.
			fc.sendToBridge(t, tt.caller.PayloadType, 1, []byte{tt.callerByte, tt.callerByte})
			got := p.rtp.next(t, tt.agent.PayloadType)
			if got.payload[0] != tt.wantAtAgent || !got.marker {
				t.Fatalf("agent got %x (marker %v); want %x with marker", got.payload, got.marker, tt.wantAtAgent)
			}
			fc.sendToBridge(t, 101, 2, []byte{5, 0x0a, 0, 160})
			if d := p.rtp.next(t, 96); d.payload[0] != 5 {
				t.Fatalf("agent DTMF event %d; want 5", d.payload[0])
			}

			// Agent -> caller.
			p.rtp.send(t, bridge, tt.agent.PayloadType, 9, 1440, []byte{tt.agentByte})
			if got := fc.phone.next(t, tt.caller.PayloadType); got.payload[0] != tt.wantAtCaller {
				t.Fatalf("caller got %x; want %x", got.payload, tt.wantAtCaller)
			}
			p.rtp.send(t, bridge, 96, 10, 1600, []byte{11, 0x8a, 0, 160})
			if d := fc.phone.next(t, 101); d.payload[0] != 11 {
				t.Fatalf("caller DTMF event %d; want 11 (#)", d.payload[0])
			}
		})
	}
}

func TestEitherSideHangsUp(t *testing.T) {
	t.Run("agent", func(t *testing.T) {
		sb := startSwitchboard(t, TransferRules{})
		p := newFakePhone(t, "1001", modeAnswer)
		p.register(sb.addr, "pw-1001")
		leg := bridged(t, sb, newFakeCaller(t, media.PCMU), p)
		p.hangUp()
		wait(t, leg.Done(), "leg done")
		if leg.EndedBy() != EndedByAgent {
			t.Fatalf("EndedBy = %q; want agent", leg.EndedBy())
		}
	})
	t.Run("caller", func(t *testing.T) {
		sb := startSwitchboard(t, TransferRules{})
		p := newFakePhone(t, "1001", modeAnswer)
		p.register(sb.addr, "pw-1001")
		fc := newFakeCaller(t, media.PCMU)
		leg := bridged(t, sb, fc, p)
		fc.hangUp()
		wait(t, leg.Done(), "leg done")
		wait(t, p.byes, "BYE at the phone")
		if leg.EndedBy() != EndedByCaller {
			t.Fatalf("EndedBy = %q; want caller", leg.EndedBy())
		}
	})
}

func TestHoldPlaysMusicAndIsLogged(t *testing.T) {
	sb := startSwitchboard(t, TransferRules{})
	p := newFakePhone(t, "1001", modeAnswer)
	p.register(sb.addr, "pw-1001")
	fc := newFakeCaller(t, media.PCMU)
	leg := bridged(t, sb, fc, p)
	defer leg.Hangup(context.Background())

	res := p.reinvite(SendOnly, 2)
	if res.StatusCode != 200 || !strings.Contains(string(res.Body()), "a=recvonly") {
		t.Fatalf("hold re-INVITE: %d %q; want 200 with a=recvonly", res.StatusCode, res.Body())
	}
	sb.log.waitType(t, events.CallHold)
	// The caller hears music, not the agent.
	bridge := netip.MustParseAddrPort(p.bridgeAddr())
	p.rtp.send(t, bridge, 0, 50, 8000, []byte{0x01})
	for range 5 {
		if got := fc.phone.next(t, 0); string(got.payload) != string(mohPayload) {
			t.Fatalf("caller heard %x while held; want music", got.payload)
		}
	}
	sb.clk.Advance(30 * time.Second)
	res = p.reinvite(SendRecv, 3)
	if res.StatusCode != 200 || !strings.Contains(string(res.Body()), "a=sendrecv") {
		t.Fatalf("resume re-INVITE: %d", res.StatusCode)
	}
	e := sb.log.waitType(t, events.CallUnhold)
	if e.Data["hold_ms"] != "30000" || e.Agent != "1001" || e.Queue != "billing" {
		t.Fatalf("unhold event %+v; want hold_ms 30000 for 1001 in billing", e)
	}
	if leg.HoldTime() != 30*time.Second {
		t.Fatalf("HoldTime = %s; want 30s", leg.HoldTime())
	}
	// The conversation is back: the agent's audio reaches the caller.
	fc.phone.drain()
	p.rtp.send(t, bridge, 0, 51, 8160, []byte{0x07})
	for {
		got := fc.phone.next(t, 0)
		if string(got.payload) == string(mohPayload) {
			continue // music packets already in flight
		}
		if got.payload[0] != 0x07 {
			t.Fatalf("caller got %x after resume; want agent audio 07", got.payload)
		}
		break
	}
}

func TestReferTransfer(t *testing.T) {
	rules := TransferRules{Groups: map[string]string{"billing": "billing", "7002": "repairs"}, Numbers: []string{"+493055512345"}}
	tests := []struct {
		name       string
		referTo    string
		wantStatus int
		wantKind   string
		wantTarget string
	}{
		{"group by name", "<sip:billing@switchboard>", 202, TransferQueue, "billing"},
		{"group by extension", "<sip:7002@switchboard>", 202, TransferQueue, "repairs"},
		{"allowed number", "<sip:+493055512345@switchboard>", 202, TransferNumber, "+493055512345"},
		{"forbidden number", "<sip:+900123456@evil.example>", 403, "", ""},
		{"forbidden tel uri", "<tel:+881612345678>", 403, "", ""},
		{"attended transfer", "<sip:billing@switchboard?Replaces=abc%3Bto-tag%3D1%3Bfrom-tag%3D2>", 403, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sb := startSwitchboard(t, rules)
			p := newFakePhone(t, "1001", modeAnswer)
			p.register(sb.addr, "pw-1001")
			leg := bridged(t, sb, newFakeCaller(t, media.PCMU), p)
			defer leg.Hangup(context.Background())
			res := p.refer(tt.referTo)
			if res.StatusCode != tt.wantStatus {
				t.Fatalf("REFER %s: %d; want %d", tt.referTo, res.StatusCode, tt.wantStatus)
			}
			if tt.wantStatus != 202 {
				select {
				case tr := <-sb.transfers:
					t.Fatalf("OnTransfer(%+v) for a forbidden target", tr)
				default:
				}
				if _, ok := leg.Transfer(); ok {
					t.Fatal("leg reports a transfer")
				}
				select {
				case <-leg.Done():
					t.Fatal("leg ended after a refused transfer")
				default:
				}
				return
			}
			tr := <-sb.transfers
			if tr.Kind != tt.wantKind || tr.Target != tt.wantTarget || tr.AgentID != "1001" || tr.Queue != "billing" {
				t.Fatalf("transfer %+v; want %s %s", tr, tt.wantKind, tt.wantTarget)
			}
			select {
			case n := <-p.notifies:
				if !strings.HasPrefix(n, "SIP/2.0 200") {
					t.Fatalf("NOTIFY body %q; want SIP/2.0 200", n)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("no NOTIFY")
			}
			wait(t, leg.Done(), "leg done after transfer")
			if got, ok := leg.Transfer(); !ok || got != tr || leg.EndedBy() != EndedByAgent {
				t.Fatalf("Transfer() = %+v %v, EndedBy %q", got, ok, leg.EndedBy())
			}
			if got, ok := leg.Transferred(); !ok || got != (ivr.Transfer{Target: tt.wantTarget, Kind: tt.wantKind}) {
				t.Fatalf("Transferred() = %+v %v", got, ok)
			}
			e := sb.log.waitType(t, events.CallTransfer)
			if e.Data["target"] != tt.wantTarget || e.Data["kind"] != tt.wantKind {
				t.Fatalf("transfer event %+v", e)
			}
		})
	}
}

func TestSessionRefreshWithoutSDP(t *testing.T) {
	sb := startSwitchboard(t, TransferRules{})
	p := newFakePhone(t, "1001", modeAnswer)
	p.register(sb.addr, "pw-1001")
	leg := bridged(t, sb, newFakeCaller(t, media.PCMU), p)
	defer leg.Hangup(context.Background())
	for _, m := range []sip.RequestMethod{sip.UPDATE, sip.INVITE} {
		res := p.request(m, nil)
		if res.StatusCode != 200 {
			t.Fatalf("%s without SDP: %d; want 200", m, res.StatusCode)
		}
		if m == sip.INVITE && !strings.Contains(string(res.Body()), "a=sendrecv") {
			t.Fatalf("re-INVITE without SDP answered %q; want our offer", res.Body())
		}
	}
	select {
	case <-leg.Done():
		t.Fatal("a refresh ended the leg")
	default:
	}
	if tr, ok := leg.Transferred(); ok {
		t.Fatalf("Transferred() = %+v without a transfer", tr)
	}
}
