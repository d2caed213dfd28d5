package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/switchboard-cc/switchboard/events"
	"github.com/switchboard-cc/switchboard/sip/siptest"
)

// registerAgent registers contact as agent id's phone with serve's
// registrar (digest with the roster's password).
func registerAgent(t *testing.T, sipAddr, id, password, contact string) {
	t.Helper()
	ua, err := sipgo.NewUA()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ua.Close() })
	client, err := sipgo.NewClient(ua)
	if err != nil {
		t.Fatal(err)
	}
	host, port, _ := sip.ParseAddr(sipAddr)
	req := sip.NewRequest(sip.REGISTER, sip.Uri{Scheme: "sip", Host: host, Port: port})
	aor := sip.Uri{Scheme: "sip", User: id, Host: host}
	from := &sip.FromHeader{Address: aor, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(8))
	req.AppendHeader(from)
	req.AppendHeader(&sip.ToHeader{Address: aor})
	req.AppendHeader(sip.NewHeader("Contact", "<"+contact+">"))
	req.AppendHeader(sip.NewHeader("Expires", "300"))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	res, err := client.Do(ctx, req)
	if err == nil && res.StatusCode == 401 {
		res, err = client.DoDigestAuth(ctx, req, res, sipgo.DigestAuth{Username: id, Password: password})
	}
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("register %s: %v %v", id, res, err)
	}
}

// waitMatch polls data's event store until an event match accepts appears.
func waitMatch(t *testing.T, data, what string, within time.Duration, match func(events.Event) bool) events.Event {
	t.Helper()
	for deadline := time.Now().Add(within); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		for _, e := range readEventsQuiet(data) {
			if match(e) {
				return e
			}
		}
	}
	t.Fatalf("no %s within %v", what, within)
	return events.Event{}
}

// The whole path of a callback through serve: nobody is logged in, so the
// caller asks for a callback in the after-hours menu and hangs up; agent
// 1001's phone registers and the agent goes ready; Switchboard dials the
// customer on the trunk, and once they answer rings 1001 and bridges them.
func TestServeCallbackDialledOnTrunk(t *testing.T) {
	if testing.Short() {
		t.Skip("real SIP calls")
	}
	customer, err := siptest.NewPhone(siptest.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer customer.Close()
	customer.SetIncoming(siptest.AnswerIncoming, 0)
	agent, err := siptest.NewPhone(siptest.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer agent.Close()
	agent.SetIncoming(siptest.AnswerIncoming, 200*time.Millisecond)

	dir, data := testConfigDir(t), t.TempDir()
	cfgPath := filepath.Join(dir, "switchboard.yaml")
	b, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	trunk := "sip:\n  trunk: {uri: \"sip:{number}@" + customer.Addr().String() + "\", from: \"96069\", retry_after: 1s}\n"
	if !strings.Contains(string(b), "\nsip:\n") {
		t.Fatal("switchboard.yaml has no sip section")
	}
	if err := os.WriteFile(cfgPath, []byte(strings.Replace(string(b), "\nsip:\n", "\n"+trunk, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	addrs, stop := startServe(t, dir, data)
	defer stop()

	caller, err := siptest.NewPhone(siptest.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer caller.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	call, err := caller.Dial(ctx, "sip:96069@"+addrs.SIP, siptest.DialOptions{From: "13800138000", DTMFPayloadType: 101})
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer call.Close()
	// English, billing, the account; billing is closed (nobody logged in),
	// so the after-hours menu: 3 for a callback, 1 to confirm the number
	// the call shows.
	if err := call.SendDigits(ctx, "2112345678#31"); err != nil {
		t.Fatal(err)
	}
	req := waitMatch(t, data, "callback.requested", 30*time.Second, func(e events.Event) bool { return e.Type == events.CallbackRequested })
	if req.Data["number"] != "13800138000" || req.Queue != "billing" {
		t.Errorf("callback.requested = %+v", req)
	}
	if customer.Rung() != 0 {
		t.Fatal("customer called back before any agent was ready")
	}

	registerAgent(t, addrs.SIP, "1001", "1001pw", agent.Contact("1001"))
	apiPost(t, addrs.HTTP, "/api/agents/1001/login")
	apiPost(t, addrs.HTTP, "/api/agents/1001/ready")

	start := waitMatch(t, data, "the outbound call.start", 15*time.Second, func(e events.Event) bool {
		return e.Type == events.CallStart && e.Data["direction"] == "outbound"
	})
	if start.CallID != req.CallID || start.Data["to"] != "13800138000" {
		t.Errorf("outbound call.start = %+v; want the callback's call to 13800138000", start)
	}
	conn := waitMatch(t, data, "queue.connect of the callback", 30*time.Second, func(e events.Event) bool {
		return e.Type == events.QueueConnect && e.Data["callback"] == "1"
	})
	if conn.Agent != "1001" || conn.CallID != req.CallID {
		t.Errorf("queue.connect = %+v", conn)
	}
	if customer.Rung() != 1 || agent.Rung() != 1 {
		t.Errorf("customer rung %d times, agent %d; want 1 and 1", customer.Rung(), agent.Rung())
	}
	if !agent.HangupIncoming(ctx) {
		t.Fatal("agent had no call to hang up")
	}
	end := waitMatch(t, data, "the callback's call.end", 15*time.Second, func(e events.Event) bool {
		return e.Type == events.CallEnd && e.CallID == req.CallID && e.Time.After(start.Time) && e.Data["by"] == "agent"
	})
	if end.Data["reason"] != "agent_hangup" {
		t.Errorf("call.end = %+v", end)
	}
}
