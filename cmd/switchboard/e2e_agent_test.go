package main

import (
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/events"
	"github.com/switchboard-cc/switchboard/internal/peers"
	"github.com/switchboard-cc/switchboard/media"
)

const (
	agentToneHz  = 1500.0 // agent 1001's microphone
	callerToneHz = 1000.0 // the caller's microphone
	minToneLevel = 0.01   // amplitude (0..1) that counts as "heard"
)

// TestE2EBaresipCallerReachesBaresipAgent is issue 6's end-to-end check
// through the real program: baresip A registers as agent 1001 with the
// roster's password and answers by itself; the agent logs in and goes
// ready over the API; baresip B calls 96069 during office hours, walks to
// billing by RFC 4733 keys (English, billing, account 12345678#) and is
// connected to A. Each side hears the other's tone; the agent's hold is
// heard by the caller as music between the agent's audio and is logged;
// the agent hanging up ends the call (call 1), and so does the caller
// hanging up (call 2), each time with offer, connect, wrap-up and end in
// the event log.
func TestE2EBaresipCallerReachesBaresipAgent(t *testing.T) {
	peers.Require(t, "baresip")
	began := time.Now()
	dir, data := testConfigDir(t), t.TempDir()
	editConfig(t, dir, "wrap_up: 15s", "wrap_up: 2s") // billing's wrap-up, so call 2 comes soon
	addrs, stop := startServeLogged(t, dir, data)
	mics := t.TempDir()
	agentMic, callerMic := filepath.Join(mics, "agent.wav"), filepath.Join(mics, "caller.wav")
	peers.WriteTone(t, agentMic, agentToneHz, 90*time.Second)
	peers.WriteTone(t, callerMic, callerToneHz, 90*time.Second)

	agent := peers.NewBaresip(t, peers.BaresipConfig{AOR: "sip:1001@" + addrs.SIP, Password: "1001pw", AutoAnswer: true, Mic: agentMic})
	waitEventType(t, data, events.AgentDevice, "", 10*time.Second)
	apiPost(t, addrs.HTTP, "/api/agents/1001/login")
	apiPost(t, addrs.HTTP, "/api/agents/1001/ready")
	caller := peers.NewBaresip(t, peers.BaresipConfig{AOR: "sip:13800138000@127.0.0.1", Mic: callerMic})

	reachAgent := func() {
		t.Helper()
		caller.MustCommand(t, "dial", "sip:96069@"+addrs.SIP)
		caller.MustWaitEvent(t, "CALL_ESTABLISHED", 10*time.Second)
		time.Sleep(time.Second) // the start of the language menu
		caller.MustCommand(t, "sndcode", "2112345678#")
		rung := agent.MustWaitEvent(t, "CALL_ESTABLISHED", 20*time.Second)
		if rung.PeerName != "13800138000" {
			t.Errorf("the agent's phone shows %+v; want the caller's number 13800138000", rung)
		}
	}

	// Call 1: talk, hold, resume, talk; the agent hangs up, the flow says
	// goodbye and hangs up the caller.
	reachAgent()
	time.Sleep(2 * time.Second)
	agent.MustCommand(t, "hold", "")
	waitEventType(t, data, events.CallHold, "", 5*time.Second)
	time.Sleep(2 * time.Second)
	agent.MustCommand(t, "resume", "")
	time.Sleep(2 * time.Second)
	agent.MustCommand(t, "hangup", "")
	agent.MustWaitEvent(t, "CALL_CLOSED", 5*time.Second)
	caller.MustWaitEvent(t, "CALL_CLOSED", 10*time.Second)
	waitEventType(t, data, events.AgentWrapupEnd, "", 10*time.Second) // the agent is ready again

	// Call 2: the caller hangs up; the agent's phone is hung up too.
	reachAgent()
	time.Sleep(2 * time.Second)
	caller.MustCommand(t, "hangup", "")
	caller.MustWaitEvent(t, "CALL_CLOSED", 5*time.Second)
	agent.MustWaitEvent(t, "CALL_CLOSED", 5*time.Second)
	waitEvents(t, data, events.AgentWrapupEnd, 2, 10*time.Second)

	agent.Stop()
	caller.Stop()
	stop()

	callerHeard, agentHeard := caller.HeardPCM(t), agent.HeardPCM(t)
	if len(callerHeard) != 2 || len(agentHeard) != 2 {
		t.Fatalf("recordings: caller %d, agent %d; want 2 each", len(callerHeard), len(agentHeard))
	}
	for i := range 2 {
		// Each side heard the other's tone, and not its own.
		if a := peers.ToneAmplitude(callerHeard[i], agentToneHz); a < minToneLevel {
			t.Errorf("call %d: caller heard the agent's %v Hz at %.4f; want >= %v", i+1, agentToneHz, a, minToneLevel)
		}
		if a := peers.ToneAmplitude(agentHeard[i], callerToneHz); a < minToneLevel {
			t.Errorf("call %d: agent heard the caller's %v Hz at %.4f; want >= %v", i+1, callerToneHz, a, minToneLevel)
		}
		if a := peers.ToneAmplitude(agentHeard[i], agentToneHz); a >= minToneLevel {
			t.Errorf("call %d: agent heard its own %v Hz at %.4f: an echo or a loop", i+1, agentToneHz, a)
		}
	}
	// While the agent held, the caller heard music between two stretches of
	// the agent's tone: T.. then >= 1 s of other audio, then T again.
	kinds := frameKinds(callerHeard[0], agentToneHz)
	first := strings.Index(kinds, strings.Repeat("T", 25))
	if first < 0 {
		t.Fatalf("caller never heard 0.5 s of the agent in call 1: %s", kinds)
	}
	afterTalk := strings.IndexByte(kinds[first:], 'o')
	if afterTalk < 0 {
		t.Fatalf("call 1: the caller heard no music on hold after the agent answered")
	}
	held := kinds[first+afterTalk:]
	resumed := strings.Index(held, strings.Repeat("T", 25))
	if resumed < 0 {
		t.Fatalf("call 1: the agent was not heard again after hold")
	}
	if music := longestRun(held[:resumed], 'o'); music < 50 {
		t.Errorf("call 1: the caller heard %v of music while held; want >= 1 s (frames after the agent answered: %s)",
			framesDuration(music), held[:resumed])
	}
	// And that audio is the music-on-hold prompt (from wherever in it the
	// music was when the hold began: the file is searched twice over).
	from := (first + afterTalk) * media.FrameSamples
	heldAudio := callerHeard[0][from : from+resumed*media.FrameSamples]
	moh := peers.ReadWAV(t, filepath.Join(dir, "prompts", "en", "moh.wav"))
	if corr, at := envelopeMatch(slices.Concat(moh, moh), heldAudio); corr < minEnvelopeMatch {
		t.Errorf("call 1: what the caller heard while held (%v) is not the music on hold: best envelope match %.2f at %v",
			pcmDuration(heldAudio), corr, at)
	} else {
		t.Logf("held for %v of music matching moh.wav at %v (envelope match %.2f)", pcmDuration(heldAudio), at, corr)
	}

	evs := readEvents(t, data)
	calls := map[string][]events.Type{}
	var order []string
	var ended []string
	for _, e := range evs {
		if e.CallID == "" {
			continue
		}
		if _, ok := calls[e.CallID]; !ok {
			order = append(order, e.CallID)
		}
		calls[e.CallID] = append(calls[e.CallID], e.Type)
		if e.Type == events.CallEnd {
			ended = append(ended, e.Data["by"])
		}
		if e.Type == events.CallUnhold {
			// The agent held for 2 s between the re-INVITEs.
			if ms, err := strconv.Atoi(e.Data["hold_ms"]); err != nil || ms < 1500 || ms > 4000 {
				t.Errorf("call.unhold hold_ms = %q; want about 2000", e.Data["hold_ms"])
			}
		}
		if e.Type == events.QueueConnect && (e.Agent != "1001" || e.Queue != "billing") {
			t.Errorf("queue.connect to agent %q in %q; want 1001 in billing", e.Agent, e.Queue)
		}
	}
	if len(order) != 2 {
		t.Fatalf("event log has %d calls; want 2", len(order))
	}
	for i, id := range order {
		want := []events.Type{events.CallStart, events.QueueEnter, events.AgentOffer, events.QueueConnect, events.CallEnd, events.AgentWrapupEnd}
		if i == 0 {
			want = append(want, events.CallHold, events.CallUnhold)
		}
		for _, w := range want {
			if !slices.Contains(calls[id], w) {
				t.Errorf("call %d: event log %v has no %s", i+1, calls[id], w)
			}
		}
	}
	// Call 1 was ended by the agent's hang-up (the flow's goodbye after it
	// does not make it the system's), call 2 by the caller's.
	if !slices.Equal(ended, []string{"agent", "caller"}) {
		t.Errorf("call.end by = %v; want [agent caller]", ended)
	}
	t.Logf("calls ended by %v; caller heard agent %.3f, agent heard caller %.3f (call 1 amplitudes); took %v",
		ended, peers.ToneAmplitude(callerHeard[0], agentToneHz), peers.ToneAmplitude(agentHeard[0], callerToneHz), time.Since(began).Round(time.Millisecond))
}

// waitEvents polls the store until it holds n events of type typ.
func waitEvents(t *testing.T, data string, typ events.Type, n int, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		got := 0
		for _, e := range readEventsQuiet(data) {
			if e.Type == typ {
				got++
			}
		}
		if got >= n {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("fewer than %d %s events within %v", n, typ, within)
}
