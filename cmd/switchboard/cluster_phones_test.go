package main

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/internal/testsvc"
)

// registerAtKamailio sends one REGISTER for agent (expires 0: unregister)
// from pc and waits for Kamailio's 200.
func registerAtKamailio(t *testing.T, pc net.PacketConn, kamailio, agent string, cseq, expires int) {
	t.Helper()
	me := pc.LocalAddr().String()
	branch := fmt.Sprintf("z9hG4bK-reg-%s-%d", agent, cseq)
	msg := "REGISTER sip:" + kamailio + " SIP/2.0\r\n" +
		"Via: SIP/2.0/UDP " + me + ";branch=" + branch + ";rport\r\n" +
		"Max-Forwards: 70\r\n" +
		"From: <sip:" + agent + "@" + kamailio + ">;tag=t" + agent + "\r\n" +
		"To: <sip:" + agent + "@" + kamailio + ">\r\n" +
		"Call-ID: reg-" + agent + "\r\n" +
		fmt.Sprintf("CSeq: %d REGISTER\r\nContact: <sip:%s@%s>\r\nExpires: %d\r\n", cseq, agent, me, expires) +
		"Content-Length: 0\r\n\r\n"
	dst, err := net.ResolveUDPAddr("udp", kamailio)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pc.WriteTo([]byte(msg), dst); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 65535)
	pc.SetReadDeadline(time.Now().Add(20 * time.Second))
	for {
		n, _, err := pc.ReadFrom(buf)
		if err != nil {
			t.Fatalf("REGISTER %s: no reply: %v", agent, err)
		}
		res := string(buf[:n])
		if strings.Contains(res, branch) && !strings.HasPrefix(res, "SIP/2.0 1") {
			if !strings.HasPrefix(res, "SIP/2.0 200") {
				t.Fatalf("REGISTER %s: %q", agent, strings.SplitN(res, "\r\n", 2)[0])
			}
			return
		}
	}
}

// agentState is an agent's state and reason in serve's API ("ready",
// "not_ready/phone_unavailable").
func agentState(t *testing.T, httpAddr, id string) string {
	t.Helper()
	res, err := http.Get("http://" + httpAddr + "/api/agents")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var agents []struct{ ID, State, Reason string }
	if err := json.NewDecoder(res.Body).Decode(&agents); err != nil {
		t.Fatal(err)
	}
	for _, a := range agents {
		if a.ID == id {
			if a.Reason != "" {
				return a.State + "/" + a.Reason
			}
			return a.State
		}
	}
	t.Fatalf("agent %s not in the API", id)
	return ""
}

// Two serve --cluster nodes whose agents' phones register at Kamailio
// (cluster.registrar_rpc): an agent made ready with no phone registered is
// parked not_ready(phone_unavailable) on every node; registering at
// Kamailio makes the agent ready everywhere, un-registering parks the
// agent again. Without the gate the agent stays ready and is rung, and
// Kamailio answers 404.
func TestClusterGatesAgentsByKamailioRegistrations(t *testing.T) {
	r := testsvc.RedisForTest(t)
	k := testsvc.KamailioForTest(t, testsvc.KamailioOptions{
		Config: "../../deploy/kamailio/kamailio.cfg", Nodes: []string{"127.0.0.1:9"}, Defines: []string{"DS_PING_INTERVAL=10"}})
	t.Setenv("SWITCHBOARD_TOKEN", "test-token")
	dir := testConfigDir(t)
	cfgPath := filepath.Join(dir, "switchboard.yaml")
	b, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	b = append(b, fmt.Sprintf("\ncluster:\n  proxy: %q\n  registrar_rpc: %q\n  registrar_poll: 100ms\n", k.Addr(), k.RPCURL())...)
	if err := os.WriteFile(cfgPath, b, 0o644); err != nil {
		t.Fatal(err)
	}
	a, stopA := startClusterServe(t, dir, r.URL(), "a")
	defer stopA()
	bn, stopB := startClusterServe(t, dir, r.URL(), "b")
	defer stopB()

	waitBoth := func(id, want string) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for {
			sa, sb := agentState(t, a.HTTP, id), agentState(t, bn.HTTP, id)
			if sa == want && sb == want {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("agent %s: node a %q, node b %q; want %q on both", id, sa, sb, want)
			}
			time.Sleep(20 * time.Millisecond) // polling the API
		}
	}
	const parked = "not_ready/phone_unavailable"
	apiPost(t, a.HTTP, "/api/agents/1001/login")
	apiPost(t, a.HTTP, "/api/agents/1001/ready")
	waitBoth("1001", parked)

	phone, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer phone.Close()
	registerAtKamailio(t, phone, k.Addr(), "1001", 1, 300)
	waitBoth("1001", "ready")
	registerAtKamailio(t, phone, k.Addr(), "1001", 2, 0)
	waitBoth("1001", parked)
	registerAtKamailio(t, phone, k.Addr(), "1001", 3, 300)
	waitBoth("1001", "ready")
}
