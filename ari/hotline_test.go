package ari

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/switchboard-cc/switchboard/events"
	"github.com/switchboard-cc/switchboard/flows"
	"github.com/switchboard-cc/switchboard/hours"
	"github.com/switchboard-cc/switchboard/internal/clock"
	"github.com/switchboard-cc/switchboard/internal/peers"
	"github.com/switchboard-cc/switchboard/ivr"
	"github.com/switchboard-cc/switchboard/ivr/ivrtest"
	"github.com/switchboard-cc/switchboard/routing"
)

// shiftedClock is the wall clock moved to another moment: timers run in
// real time (Asterisk plays real audio) while the business-hours check
// sees office hours or the evening.
type shiftedClock struct {
	clock.Real
	offset time.Duration
}

func (c shiftedClock) Now() time.Time { return time.Now().Add(c.offset) }

func clockAt(t time.Time) shiftedClock { return shiftedClock{offset: time.Until(t)} }

// hotline loads the real heating-hotline flow and calendars from configs/.
func hotline(t *testing.T) (*flows.Catalog, flows.Env) {
	t.Helper()
	raw, err := os.ReadFile("../configs/switchboard.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		Calendars map[string]hours.Config `yaml:"calendars"`
	}
	if err := yaml.Unmarshal(raw, &cfg); err != nil {
		t.Fatal(err)
	}
	cals, errs := hours.Build(cfg.Calendars)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	env := flows.Env{Calendars: cals, Prompts: os.DirFS("../configs/prompts")}
	cat, err := flows.LoadDir(context.Background(), os.DirFS("../configs"), "flows", env)
	if err != nil {
		t.Fatal(err)
	}
	return cat, env
}

// TestRealAsteriskHeatingHotline walks the heating-hotline flow over a real
// Asterisk with the real engine: in office hours the caller picks English,
// billing, types an account number and reaches agent 1001 (rung through
// ARI); in the evening a caller leaves a voicemail that Asterisk stores.
func TestRealAsteriskHeatingHotline(t *testing.T) {
	if _, err := exec.LookPath("baresip"); err != nil {
		t.Skip("real Asterisk: baresip not installed (scripts/debian-packages.txt)")
	}
	a := startAsterisk(t)
	cat, env := hotline(t)
	shanghai, _ := time.LoadLocation("Asia/Shanghai")
	media := t.TempDir()
	callerWAV, agentWAV := filepath.Join(media, "caller.wav"), filepath.Join(media, "agent.wav")
	_ = os.WriteFile(callerWAV, ivrtest.ToneWAV(60*time.Second, 440), 0o644)
	_ = os.WriteFile(agentWAV, ivrtest.ToneWAV(60*time.Second, 880), 0o644)

	tests := []struct {
		name   string
		at     time.Time
		keys   []press
		agent  bool
		talk   time.Duration
		nodes  []string
		router []string
		types  []events.Type
	}{
		{
			name: "office hours to the billing agent", at: time.Date(2026, 11, 24, 10, 0, 0, 0, shanghai),
			keys:  []press{{node: "language", keys: "2"}, {node: "main_menu", keys: "1"}, {node: "account", keys: "123456#"}},
			agent: true, talk: 3 * time.Second,
			nodes:  []string{"language", "set_en", "check_hours", "main_menu", "account", "billing"},
			router: []string{"enqueue billing", "answered o1 1001", "finish caller"},
			types:  []events.Type{events.CallStart, events.IVRNode, events.IVRDigits, events.CallEnd},
		},
		{
			name: "after hours to voicemail", at: time.Date(2026, 11, 24, 21, 0, 0, 0, shanghai),
			keys:  []press{{node: "language", keys: "2"}, {node: "after_hours", keys: "2"}, {node: "voicemail", recording: true, talk: 2 * time.Second, keys: "#"}},
			nodes: []string{"language", "set_en", "check_hours", "after_hours", "voicemail", "thanks_message", "goodbye", "end"},
			types: []events.Type{events.CallStart, events.VoicemailSaved, events.CallEnd},
		},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			entered := make(chan string, 64)
			rec := &ivrtest.Recorder{OnEmit: func(e events.Event) {
				if e.Type == events.IVRNode {
					select {
					case entered <- e.Node:
					default:
					}
				}
			}}
			router := &ivrtest.Router{Groups: map[string]ivrtest.Queue{
				"billing": {Offers: []ivrtest.ScheduledOffer{{After: 500 * time.Millisecond, Agents: []string{"1001"}, Ring: 15 * time.Second}}}},
				Endpoint: func(id string) routing.Endpoint { return routing.Endpoint{AgentID: id, URI: "PJSIP/" + id} }}
			logs := &logBuffer{}
			var eng *ivr.Engine
			outcomes := newResult[ivr.Outcome]()
			tr, err := New(a.config(), func(ctx context.Context, c ivr.Call) ivr.Outcome {
				out := eng.Run(ctx, c)
				outcomes.put(out)
				return out
			}, Options{Logger: newTestLogger(logs)})
			if err != nil {
				t.Fatal(err)
			}
			eng, err = ivr.New(ivr.Config{RecordingsDir: t.TempDir()}, ivr.Deps{Catalog: func() *flows.Catalog { return cat },
				Clock: clockAt(tt.at), Events: tr.Track(rec), Router: router, Prompts: env.Prompts, Logger: newTestLogger(logs)})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			served := make(chan struct{})
			go func() { defer close(served); _ = tr.Serve(ctx) }()
			defer func() { cancel(); <-served }()
			<-tr.Ready()

			var agent *peers.Baresip
			if tt.agent {
				agent = peers.NewBaresip(t, peers.BaresipConfig{AOR: fmt.Sprintf("sip:1001@127.0.0.1:%d", a.sip), Password: "1001pw",
					AutoAnswer: true, RTPPorts: rtpRange(42700 + 200*i), Mic: agentWAV, NoJitterBuffer: true})
				a.endpointOnline(t, "1001")
			}
			caller := peers.NewBaresip(t, peers.BaresipConfig{AOR: "sip:5551234@127.0.0.1",
				RTPPorts: rtpRange(42800 + 200*i), Mic: callerWAV, NoJitterBuffer: true})
			if err := caller.Command("dial", fmt.Sprintf("sip:96069@127.0.0.1:%d", a.sip)); err != nil {
				t.Fatal(err)
			}
			if _, err := caller.EventWithin("CALL_ESTABLISHED", 15*time.Second); err != nil {
				t.Fatalf("not answered\n%s", logs)
			}
			for _, p := range tt.keys {
				awaitNode(t, entered, p.node, rec, logs)
				if p.recording {
					awaitLog(t, "type=RecordingStarted", logs)
				}
				time.Sleep(p.talk) // the caller's message
				if err := caller.Command("sndcode", p.keys); err != nil {
					t.Fatal(err)
				}
			}
			if tt.agent {
				if _, err := agent.EventWithin("CALL_ESTABLISHED", 15*time.Second); err != nil {
					t.Fatalf("agent 1001 was never connected; router %v\n%s", router.Log(), logs)
				}
				time.Sleep(tt.talk)
				_ = caller.Command("hangup", "")
			}
			var out ivr.Outcome
			select {
			case out = <-outcomes.ch:
			case <-time.After(60 * time.Second):
				t.Fatalf("the call did not end; events %v\n%s", rec.Lines(), logs)
			}
			var nodes []string
			for _, e := range rec.Events() {
				if e.Type == events.IVRNode {
					nodes = append(nodes, e.Node)
				}
			}
			if !slices.Equal(nodes, tt.nodes) {
				t.Errorf("path %v; want %v (outcome %+v)", nodes, tt.nodes, out)
			}
			if tt.router != nil && !slices.Equal(router.Log(), tt.router) {
				t.Errorf("ACD saw %v; want %v", router.Log(), tt.router)
			}
			types := rec.Types()
			for _, want := range tt.types {
				if !slices.Contains(types, want) {
					t.Errorf("no %s event in %v", want, types)
				}
			}
			if tt.agent {
				agent.Stop() // recordings are complete once baresip has ended
				caller.Stop()
				for name, who := range map[string]*peers.Baresip{"agent": agent, "caller": caller} {
					if best, seen := loudest(who.Recordings()); best < 0.01 {
						t.Errorf("%s heard nothing: %s", name, seen)
					}
				}
				return
			}
			saved, ok := rec.Last(events.VoicemailSaved)
			if !ok {
				t.Fatalf("no voicemail.saved; events %v", rec.Lines())
			}
			file := filepath.Join(a.dir, "spool", "recording", filepath.Base(saved.Data["path"]))
			if rms, err := wavRMS(file); err != nil || rms < 0.01 {
				t.Errorf("voicemail %s: rms %.4f, %v; want the caller's audio", file, rms, err)
			}
		})
	}
}

// press is keys the caller sends once the flow has entered node (menus and
// inputs keep type-ahead, so keys during the node's prompt count) and,
// with recording, once Asterisk records the caller (a terminator pressed
// before that is not one) and the caller has talked for talk.
type press struct {
	node      string
	recording bool
	talk      time.Duration
	keys      string
}

// awaitNode waits until the flow enters node.
func awaitNode(t *testing.T, entered <-chan string, node string, rec *ivrtest.Recorder, logs *logBuffer) {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for {
		select {
		case n := <-entered:
			if n == node {
				return
			}
		case <-timeout:
			t.Fatalf("the flow never entered %s; events %v\n%s", node, rec.Lines(), logs)
		}
	}
}

// awaitLog waits until the transport has logged s (its debug log names
// every Asterisk event it handles).
func awaitLog(t *testing.T, s string, logs *logBuffer) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(logs.String(), s) {
		if time.Now().After(deadline) {
			t.Fatalf("no %q in the transport's log within 30 s\n%s", s, logs)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
