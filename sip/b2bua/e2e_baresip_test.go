package b2bua

import (
	"context"
	"math"
	"path/filepath"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/events"
	"github.com/switchboard-cc/switchboard/internal/clock"
	"github.com/switchboard-cc/switchboard/internal/peers"
	"github.com/switchboard-cc/switchboard/media"
	"github.com/switchboard-cc/switchboard/routing"
)

// TestBaresipAgentE2E registers a real baresip (Debian package) as agent
// 1001 with its password, rings it through the B2BUA, checks audio both
// ways, hold with music, a refused and an allowed transfer (REFER), and the
// agent hanging up. REAL-PEERS recipe A.
func TestBaresipAgentE2E(t *testing.T) {
	peers.Require(t, "baresip")
	sb := startSwitchboardClock(t, TransferRules{Groups: map[string]string{"billing": "billing"}}, clock.Real{})
	agentWAV := filepath.Join(t.TempDir(), "agent.wav")
	peers.WriteTone(t, agentWAV, 440, 30*time.Second) // the agent "speaks" a tone
	agent := peers.NewBaresip(t, peers.BaresipConfig{
		AOR: "sip:1001@" + sb.addr, Password: string(passwords["1001"]), AutoAnswer: true, Mic: agentWAV,
	})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	// Registered: the registrar reports agent 1001 available.
	e := sb.log.waitType(t, events.AgentDevice)
	if e.Agent != "1001" || e.Data["status"] != "available" {
		t.Fatalf("device event %+v; want 1001 available", e)
	}

	fc := newFakeCaller(t, media.PCMU)
	o := routing.Offer{ID: "o1", Group: "billing", RingTimeout: 10 * time.Second, Agents: []routing.Endpoint{{AgentID: "1001"}}}
	cctx, ccancel := context.WithTimeout(ctx, 15*time.Second)
	defer ccancel()
	leg, err := sb.b2b.Connect(cctx, fc.caller, o)
	if err != nil {
		t.Fatalf("Connect to baresip: %v", err)
	}
	// The caller "speaks" a 1 kHz tone for 2 s while listening.
	stopTalk := make(chan struct{})
	go talk(t, fc, 1000, stopTalk)
	heard := listen(fc.phone, 1500*time.Millisecond)
	if rms := rmsOf(heard, media.PCMU); rms < 0.02 {
		t.Fatalf("caller heard RMS %.4f from baresip; want its tone (>0.02)", rms)
	}

	// Hold from baresip: the caller hears the music.
	agent.MustCommand(t, "hold", "")
	sb.log.waitType(t, events.CallHold)
	fc.phone.drain()
	if got := fc.phone.next(t, 0); string(got.payload) != string(mohPayload) {
		t.Fatalf("caller heard %x on hold; want music on hold", got.payload[:4])
	}
	agent.MustCommand(t, "resume", "")
	if e := sb.log.waitType(t, events.CallUnhold); e.Data["hold_ms"] == "" {
		t.Fatalf("unhold event %+v without hold_ms", e)
	}
	time.Sleep(time.Second) // let the agent hear the caller again

	// A transfer to a number no rule names is refused with 403 and nothing
	// is dialled. (baresip 1.0 then hangs up by itself: the agent ends the
	// call, which also covers the agent's hang-up.)
	agent.MustCommand(t, "transfer", "sip:+881612345678@"+sb.addr)
	select {
	case <-leg.Done():
	case tr := <-sb.transfers:
		t.Fatalf("OnTransfer(%+v) for a forbidden target", tr)
	case <-time.After(5 * time.Second):
		t.Fatal("baresip did not hang up after its refused transfer")
	}
	close(stopTalk)
	if _, ok := leg.Transfer(); ok || leg.EndedBy() != EndedByAgent {
		t.Fatalf("after refused transfer: transfer %v, EndedBy %q; want none, agent", ok, leg.EndedBy())
	}
	select {
	case tr := <-sb.transfers:
		t.Fatalf("OnTransfer(%+v) for a forbidden target", tr)
	default:
	}

	// A second call: the agent transfers it to the billing group.
	fc2 := newFakeCaller(t, media.PCMU)
	leg2, err := sb.b2b.Connect(cctx, fc2.caller, o)
	if err != nil {
		t.Fatalf("second Connect: %v", err)
	}
	time.Sleep(500 * time.Millisecond)
	agent.MustCommand(t, "transfer", "sip:billing@"+sb.addr)
	select {
	case tr := <-sb.transfers:
		if tr.Kind != TransferQueue || tr.Target != "billing" || tr.AgentID != "1001" {
			t.Fatalf("transfer %+v; want queue billing from 1001", tr)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no transfer after REFER to billing")
	}
	select {
	case <-leg2.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("leg not done after the transfer")
	}
	if tr, ok := leg2.Transfer(); !ok || leg2.EndedBy() != EndedByAgent || tr.Target != "billing" {
		t.Fatalf("after transfer: %+v %v, EndedBy %q", tr, ok, leg2.EndedBy())
	}
	agent.Stop()

	// What baresip heard in the first call holds the caller's tone.
	recorded := agent.HeardPCM(t)
	if len(recorded) == 0 {
		t.Fatal("baresip wrote no dump-*-dec.wav")
	}
	if rms := peers.RMS(recorded[0]); rms < 0.02 {
		t.Fatalf("baresip heard RMS %.4f; want the caller's tone", rms)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func talk(t *testing.T, fc *fakeCaller, hz float64, stop <-chan struct{}) {
	pcm := make([]int16, media.FrameSamples)
	payload := make([]byte, media.FrameSamples)
	tick := time.NewTicker(media.Ptime)
	defer tick.Stop()
	for seq := 0; ; seq++ {
		for i := range pcm {
			pcm[i] = int16(8000 * math.Sin(2*math.Pi*hz*float64(seq*media.FrameSamples+i)/media.SampleRate))
		}
		media.PCMU.Encode(payload, pcm)
		fc.phone.send(t, fc.media.LocalAddr(), 0, uint16(seq), uint32(seq*media.FrameSamples), payload)
		select {
		case <-stop:
			return
		case <-tick.C:
		}
	}
}

func listen(s *rtpSocket, d time.Duration) [][]byte {
	var got [][]byte
	deadline := time.After(d)
	for {
		select {
		case p := <-s.got:
			got = append(got, p.payload)
		case <-deadline:
			return got
		}
	}
}

func rmsOf(payloads [][]byte, c media.Codec) float64 {
	var pcm []int16
	buf := make([]int16, 1500)
	for _, p := range payloads {
		c.Decode(buf[:len(p)], p)
		pcm = append(pcm, buf[:len(p)]...)
	}
	return peers.RMS(pcm)
}
