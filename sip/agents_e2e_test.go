package sip

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/events"
	"github.com/switchboard-cc/switchboard/internal/peers"
	"github.com/switchboard-cc/switchboard/ivr"
	"github.com/switchboard-cc/switchboard/routing"
)

// TestTwoBaresipsCallerToAgent is issue 6's end-to-end check with two real
// user agents from Debian: baresip A registers as agent 1001 with its
// password and answers by itself; baresip B calls 96069 and is connected to
// A through the native transport. Both recordings hold the other side's
// tone, the agent's hold is heard as music by the caller and logged, and a
// hang-up on either side ends both legs.
func TestTwoBaresipsCallerToAgent(t *testing.T) {
	peers.Require(t, "baresip")
	log := &eventLog{}
	agents, err := NewAgentPhones(Config{Listen: "127.0.0.1:0"}, map[string]string{"1001": "pw-1001"},
		AgentHooks{HoldMusic: ivr.Playback{Prompts: []ivr.Prompt{prompt("moh")}}}, log, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	endedBy := make(chan string, 4)
	srv := startServerDeps(t, Config{}, Deps{Agents: agents, Events: log}, func(ctx context.Context, call ivr.Call) {
		if err := call.Answer(ctx); err != nil {
			return
		}
		leg, err := call.Connect(ctx, routing.Offer{ID: "o", Group: "billing", RingTimeout: 10 * time.Second,
			Agents: []routing.Endpoint{{AgentID: "1001"}}})
		if err != nil {
			t.Errorf("Connect: %v", err)
			return
		}
		<-leg.Done()
		endedBy <- leg.EndedBy() // the flow ends here: the server hangs up the caller
	})

	dir := t.TempDir()
	agentMic, callerMic := filepath.Join(dir, "agent.wav"), filepath.Join(dir, "caller.wav")
	peers.WriteTone(t, agentMic, agentHz, 60*time.Second)
	peers.WriteTone(t, callerMic, callerHz, 60*time.Second)
	agent := peers.NewBaresip(t, peers.BaresipConfig{AOR: "sip:1001@" + srv.Addr(), Password: "pw-1001", AutoAnswer: true, Mic: agentMic})
	for deadline := time.Now().Add(10 * time.Second); !agents.Registrar.Available("1001"); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("agent 1001 did not register within 10s")
		}
	}
	caller := peers.NewBaresip(t, peers.BaresipConfig{AOR: "sip:caller@127.0.0.1", Mic: callerMic})

	// Call 1: talk, hold, resume; the agent hangs up.
	caller.MustCommand(t, "dial", "sip:96069@"+srv.Addr())
	caller.MustWaitEvent(t, "CALL_ESTABLISHED", 10*time.Second)
	agent.MustWaitEvent(t, "CALL_ESTABLISHED", 10*time.Second)
	time.Sleep(1500 * time.Millisecond)
	agent.MustCommand(t, "hold", "")
	time.Sleep(1500 * time.Millisecond)
	agent.MustCommand(t, "resume", "")
	time.Sleep(time.Second)
	agent.MustCommand(t, "hangup", "")
	if by := waitString(t, endedBy); by != "agent" {
		t.Fatalf("call 1 ended by %q; want agent", by)
	}
	caller.MustWaitEvent(t, "CALL_CLOSED", 5*time.Second)

	// Call 2: the caller hangs up; the agent's phone is hung up too.
	caller.MustCommand(t, "dial", "sip:96069@"+srv.Addr())
	agent.MustWaitEvent(t, "CALL_ESTABLISHED", 10*time.Second)
	time.Sleep(500 * time.Millisecond)
	caller.MustCommand(t, "hangup", "")
	if by := waitString(t, endedBy); by != "caller" {
		t.Fatalf("call 2 ended by %q; want caller", by)
	}
	agent.MustWaitEvent(t, "CALL_CLOSED", 5*time.Second)

	agent.Stop()
	caller.Stop()
	callerHeard, agentHeard := caller.HeardPCM(t), agent.HeardPCM(t)
	if len(callerHeard) == 0 || len(agentHeard) == 0 {
		t.Fatalf("recordings: caller %d, agent %d; want both", len(callerHeard), len(agentHeard))
	}
	// The caller heard the agent's tone and, while held, the music (a
	// 440 Hz tone in the test prompts); the agent heard the caller's tone.
	if p := peers.ToneAmplitude(callerHeard[0], agentHz); p < minTone {
		t.Errorf("caller heard the agent's %v Hz at %.4f; want >= %v", agentHz, p, minTone)
	}
	if p := peers.ToneAmplitude(callerHeard[0], mohHz); p < minTone {
		t.Errorf("caller heard music on hold (%v Hz) at %.4f; want >= %v", mohHz, p, minTone)
	}
	if p := peers.ToneAmplitude(agentHeard[0], callerHz); p < minTone {
		t.Errorf("agent heard the caller's %v Hz at %.4f; want >= %v", callerHz, p, minTone)
	}
	// A frequency nobody played stays near zero: the measure discriminates.
	if p := peers.ToneAmplitude(callerHeard[0], 2500); p >= minTone {
		t.Errorf("caller's recording has %.4f at 2500 Hz, which nobody played", p)
	}
	t.Logf("caller heard agent %.4f, music %.4f; agent heard caller %.4f (amplitude, 0..1)",
		peers.ToneAmplitude(callerHeard[0], agentHz), peers.ToneAmplitude(callerHeard[0], mohHz), peers.ToneAmplitude(agentHeard[0], callerHz))
	types := log.types()
	for _, want := range []events.Type{events.AgentDevice, events.CallHold, events.CallUnhold} {
		if !slices.Contains(types, want) {
			t.Errorf("event log %v has no %s", types, want)
		}
	}
}

const (
	agentHz  = 1500.0
	callerHz = 1000.0
	mohHz    = 440.0 // toneWAV in server_test.go
	minTone  = 0.01  // amplitude (0..1) of the tone in the recording
)

func waitString(t *testing.T, ch <-chan string) string {
	t.Helper()
	select {
	case s := <-ch:
		return s
	case <-time.After(10 * time.Second):
		t.Fatal("the bridged call did not end")
		return ""
	}
}
