package kamailio

import (
	"context"
	"fmt"
	"maps"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/internal/testsvc"
)

func TestParseDump(t *testing.T) {
	aor := func(name string, expires ...string) string {
		var cs []string
		for _, e := range expires {
			cs = append(cs, `{"Contact":{"Address":"sip:x@127.0.0.1:5","Expires":`+e+`,"Q":-1}}`)
		}
		return `{"Info":{"AoR":"` + name + `","HashID":1,"Contacts":[` + strings.Join(cs, ",") + `]}}`
	}
	table := func(name string, aors ...string) string {
		return `{"Domain":{"Domain":"` + name + `","Size":1024,"AoRs":[` + strings.Join(aors, ",") + `],"Stats":{"Records":1}}}`
	}
	result := func(tables ...string) string {
		return `{"jsonrpc":"2.0","result":{"Domains":[` + strings.Join(tables, ",") + `]},"id":1}`
	}
	for _, tc := range []struct {
		name string
		in   string
		want []string
		bad  bool
	}{
		{"empty table", result(table("location")), nil, false},
		{"live contact", result(table("location", aor("1001", "300"))), []string{"1001"}, false},
		{"expired and deleted contacts", result(table("location", aor("1001", `"expired"`, `"deleted"`), aor("1002", "0"))), nil, false},
		{"one live among expired", result(table("location", aor("1001", `"expired"`, "12"))), []string{"1001"}, false},
		{"permanent", result(table("location", aor("1001", `"permanent"`))), []string{"1001"}, false},
		{"use_domain aor", result(table("location", aor("1001@pbx.example", "60"))), []string{"1001"}, false},
		{"other table ignored", result(table("other", aor("9", "60")), table("location", aor("1001", "60"))), []string{"1001"}, false},
		{"no location table", result(table("other")), nil, true},
		{"rpc error", `{"jsonrpc":"2.0","error":{"code":500,"message":"no such command"},"id":1}`, nil, true},
		{"no result", `{"jsonrpc":"2.0","id":1}`, nil, true},
		{"not json", `<html>`, nil, true},
	} {
		got, err := parseDump([]byte(tc.in), LocationTable)
		if (err != nil) != tc.bad {
			t.Errorf("%s: err %v; want error %v", tc.name, err, tc.bad)
			continue
		}
		if ids := slices.Sorted(maps.Keys(got)); !slices.Equal(ids, tc.want) {
			t.Errorf("%s: registered %v; want %v", tc.name, ids, tc.want)
		}
	}
}

func TestPublic(t *testing.T) {
	for url, want := range map[string]bool{
		"http://127.0.0.1:5064/RPC":    false,
		"http://10.0.0.5:5064/RPC":     false,
		"http://[::1]:5064/RPC":        false,
		"http://192.168.1.2:5064/RPC":  false,
		"http://203.0.113.9:5064/RPC":  true,
		"http://kamailio.lan:5064/RPC": false,
	} {
		l, err := NewLocation(url, 0)
		if err != nil {
			t.Fatal(err)
		}
		if got := l.Public(); got != want {
			t.Errorf("%s: public %v; want %v", url, got, want)
		}
	}
	for _, bad := range []string{"127.0.0.1:5064", "ftp://127.0.0.1/RPC", "http:///RPC"} {
		if _, err := NewLocation(bad, 0); err == nil {
			t.Errorf("%q accepted; want an error", bad)
		}
	}
}

// phone registers agents with Kamailio from a UDP socket of its own.
type phone struct {
	t    *testing.T
	pc   net.PacketConn
	k    *testsvc.Kamailio
	cseq int
}

func newPhone(t *testing.T, k *testsvc.Kamailio) *phone {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	return &phone{t: t, pc: pc, k: k}
}

// register sends a REGISTER for agent with this expiry (0: unregister)
// and waits for Kamailio's 200.
func (p *phone) register(agent string, expires int) {
	p.t.Helper()
	p.cseq++
	me := p.pc.LocalAddr().String()
	branch := fmt.Sprintf("z9hG4bK-%s-%d", agent, p.cseq)
	msg := "REGISTER sip:" + p.k.Addr() + " SIP/2.0\r\n" +
		"Via: SIP/2.0/UDP " + me + ";branch=" + branch + ";rport\r\n" +
		"Max-Forwards: 70\r\n" +
		"From: <sip:" + agent + "@" + p.k.Addr() + ">;tag=t" + agent + "\r\n" +
		"To: <sip:" + agent + "@" + p.k.Addr() + ">\r\n" +
		"Call-ID: reg-" + agent + "\r\n" +
		fmt.Sprintf("CSeq: %d REGISTER\r\n", p.cseq) +
		"Contact: <sip:" + agent + "@" + me + ">\r\n" +
		fmt.Sprintf("Expires: %d\r\n", expires) +
		"Content-Length: 0\r\n\r\n"
	dst, err := net.ResolveUDPAddr("udp", p.k.Addr())
	if err != nil {
		p.t.Fatal(err)
	}
	if _, err := p.pc.WriteTo([]byte(msg), dst); err != nil {
		p.t.Fatal(err)
	}
	buf := make([]byte, 65535)
	p.pc.SetReadDeadline(time.Now().Add(20 * time.Second))
	for {
		n, _, err := p.pc.ReadFrom(buf)
		if err != nil {
			p.t.Fatalf("REGISTER %s: no reply: %v", agent, err)
		}
		res := string(buf[:n])
		if strings.Contains(res, branch) && !strings.HasPrefix(res, "SIP/2.0 1") {
			if !strings.HasPrefix(res, "SIP/2.0 200") {
				p.t.Fatalf("REGISTER %s: %q", agent, strings.SplitN(res, "\r\n", 2)[0])
			}
			return
		}
	}
}

// kamailioForTest runs the deploy configuration, with registrations as
// short as 1 s allowed so that expiry is quick to see.
func kamailioForTest(t *testing.T) *testsvc.Kamailio {
	return testsvc.KamailioForTest(t, testsvc.KamailioOptions{
		Config:  "../../deploy/kamailio/kamailio.cfg",
		Nodes:   []string{"127.0.0.1:9"},
		Defines: []string{"REG_MIN_EXPIRES=1", "DS_PING_INTERVAL=10"},
	})
}

// eventually polls cond (a read of Kamailio) until it holds or 20 s pass.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after 20s: %s", what)
		}
		time.Sleep(50 * time.Millisecond) // polling Kamailio, not synchronising
	}
}

// The deploy configuration's RPC shows who is registered: a REGISTER adds
// the agent, an un-REGISTER removes it at once, and a registration that is
// not refreshed drops out when it expires.
func TestLocationFollowsKamailio(t *testing.T) {
	k := kamailioForTest(t)
	loc, err := NewLocation(k.RPCURL(), 0)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	registered := func() []string {
		t.Helper()
		reg, err := loc.Registered(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return slices.Sorted(maps.Keys(reg))
	}
	if got := registered(); len(got) != 0 {
		t.Fatalf("registered at start: %v", got)
	}
	p := newPhone(t, k)
	p.register("1001", 300)
	p.register("1002", 300)
	if got := registered(); !slices.Equal(got, []string{"1001", "1002"}) {
		t.Fatalf("registered %v; want [1001 1002]", got)
	}
	p.register("1001", 0)
	if got := registered(); !slices.Equal(got, []string{"1002"}) {
		t.Fatalf("registered %v after 1001 unregistered; want [1002]", got)
	}
	// 1002 refreshes for one second only, then stops refreshing.
	p.register("1002", 1)
	eventually(t, "1002's 1 s registration not expired", func() bool { return len(registered()) == 0 })
}

// The RPC listener answers JSON-RPC on /RPC only.
func TestRPCOnlyOnItsListener(t *testing.T) {
	k := kamailioForTest(t)
	loc, err := NewLocation(strings.Replace(k.RPCURL(), "/RPC", "/other", 1), 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := loc.Registered(context.Background()); err == nil || !strings.Contains(err.Error(), "403") {
		t.Fatalf("ul.dump on /other: %v; want 403", err)
	}
}
