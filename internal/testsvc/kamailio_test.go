package testsvc

import (
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeNode is a minimal SIP peer on a UDP loopback socket: it answers
// OPTIONS with 200 while alive and every INVITE with a final reply naming
// itself, and records the Call-IDs of the INVITEs it got.
type fakeNode struct {
	name  string
	pc    net.PacketConn
	mu    sync.Mutex
	alive bool
	got   []string
	// replies are the responses to requests the node sent itself.
	replies chan string
}

func newFakeNode(t *testing.T, name string) *fakeNode {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	n := &fakeNode{name: name, pc: pc, alive: true, replies: make(chan string, 16)}
	t.Cleanup(func() { pc.Close() })
	go n.serve()
	return n
}

func (n *fakeNode) addr() string { return n.pc.LocalAddr().String() }

func (n *fakeNode) setAlive(v bool) { n.mu.Lock(); n.alive = v; n.mu.Unlock() }

func (n *fakeNode) invites() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]string(nil), n.got...)
}

func (n *fakeNode) serve() {
	buf := make([]byte, 65535)
	for {
		sz, from, err := n.pc.ReadFrom(buf)
		if err != nil {
			return
		}
		msg := string(buf[:sz])
		if strings.HasPrefix(msg, "SIP/2.0 ") {
			if !strings.HasPrefix(msg, "SIP/2.0 1") {
				n.replies <- msg
			}
			continue
		}
		n.mu.Lock()
		alive := n.alive
		if alive && strings.HasPrefix(msg, "INVITE ") {
			n.got = append(n.got, header(msg, "Call-ID"))
		}
		n.mu.Unlock()
		if !alive {
			continue
		}
		switch {
		case strings.HasPrefix(msg, "OPTIONS "):
			n.pc.WriteTo([]byte(reply(msg, "200 OK", "")), from)
		case strings.HasPrefix(msg, "INVITE "):
			n.pc.WriteTo([]byte(reply(msg, "486 Busy Here", "X-Node: "+n.name+"\r\n")), from)
		}
	}
}

// send sends a request from the node's own socket (the address Kamailio
// knows it by) and returns the final reply.
func (n *fakeNode) send(t *testing.T, addr, req string) string {
	t.Helper()
	dst, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.pc.WriteTo([]byte(req), dst); err != nil {
		t.Fatal(err)
	}
	select {
	case res := <-n.replies:
		return res
	case <-time.After(20 * time.Second):
		t.Fatalf("node %s: no final reply to %.40q", n.name, req)
		return ""
	}
}

// header is the first value of a header in a SIP message.
func header(msg, name string) string {
	for _, l := range strings.Split(msg, "\r\n") {
		if k, v, ok := strings.Cut(l, ":"); ok && strings.EqualFold(k, name) {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// reply builds a response to req carrying its Vias, From, To (tagged),
// Call-ID and CSeq.
func reply(req, status, extra string) string {
	var b strings.Builder
	b.WriteString("SIP/2.0 " + status + "\r\n")
	for _, l := range strings.Split(req, "\r\n") {
		k, _, ok := strings.Cut(l, ":")
		if !ok {
			continue
		}
		switch strings.ToLower(k) {
		case "via", "from", "call-id", "cseq":
			b.WriteString(l + "\r\n")
		case "to":
			b.WriteString(l + ";tag=fake\r\n")
		}
	}
	b.WriteString(extra + "Content-Length: 0\r\n\r\n")
	return b.String()
}

// request builds a request from a socket at from.
func request(method, ruri, from, callID, extra string) string {
	return method + " " + ruri + " SIP/2.0\r\n" +
		"Via: SIP/2.0/UDP " + from + ";branch=z9hG4bK" + callID + ";rport\r\n" +
		"Max-Forwards: 70\r\n" +
		"From: <sip:caller@127.0.0.1>;tag=t" + callID + "\r\n" +
		"To: <" + ruri + ">\r\n" +
		"Call-ID: " + callID + "\r\n" +
		"CSeq: 1 " + method + "\r\n" + extra +
		"Content-Length: 0\r\n\r\n"
}

// finalReply sends req from pc to addr and returns the first final reply.
func finalReply(t *testing.T, pc net.PacketConn, addr, req string) string {
	t.Helper()
	dst, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pc.WriteTo([]byte(req), dst); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 65535)
	pc.SetReadDeadline(time.Now().Add(20 * time.Second))
	for {
		n, _, err := pc.ReadFrom(buf)
		if err != nil {
			t.Fatalf("no final reply to %.40q: %v", req, err)
		}
		msg := string(buf[:n])
		if strings.HasPrefix(msg, "SIP/2.0 1") {
			continue
		}
		if strings.HasPrefix(msg, "SIP/2.0 ") && header(msg, "Call-ID") == header(req, "Call-ID") {
			return msg
		}
	}
}

func deployConfig() KamailioOptions {
	return KamailioOptions{Config: "../../deploy/kamailio/kamailio.cfg", Defines: []string{"DS_PING_INTERVAL=1"}}
}

// The deploy configuration spreads callers' INVITEs over the nodes round
// robin, and once a node stops answering, every call still reaches a live
// node: at first by failover after the INVITE times out, then because the
// OPTIONS probe took the dead node out.
func TestKamailioDispatchesAndFailsOver(t *testing.T) {
	a, b := newFakeNode(t, "a"), newFakeNode(t, "b")
	opt := deployConfig()
	opt.Nodes = []string{a.addr(), b.addr()}
	k := KamailioForTest(t, opt)
	caller, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer caller.Close()
	ruri := "sip:96069@" + k.Addr()
	call := func(id string) string {
		res := finalReply(t, caller, k.Addr(), request("INVITE", ruri, caller.LocalAddr().String(), id, ""))
		if !strings.HasPrefix(res, "SIP/2.0 486") {
			t.Fatalf("call %s: %q, want the node's 486", id, strings.SplitN(res, "\r\n", 2)[0])
		}
		return header(res, "X-Node")
	}
	count := map[string]int{}
	for _, id := range []string{"c1", "c2", "c3", "c4"} {
		count[call(id)]++
	}
	if count["a"] != 2 || count["b"] != 2 {
		t.Fatalf("calls per node %v; want 2 and 2 (round robin)", count)
	}

	a.setAlive(false)
	for _, id := range []string{"d1", "d2", "d3", "d4"} {
		if n := call(id); n != "b" {
			t.Fatalf("call %s answered by %q with node a dead", id, n)
		}
	}
}

// Agents register with Kamailio, and any node reaches an agent's phone by
// sending the INVITE to sip:AGENT@proxy; a stranger cannot use the proxy to
// reach agents (its INVITEs go to the nodes).
func TestKamailioSharedLocation(t *testing.T) {
	a, b := newFakeNode(t, "a"), newFakeNode(t, "b")
	opt := deployConfig()
	opt.Nodes = []string{a.addr(), b.addr()}
	k := KamailioForTest(t, opt)
	phone := newFakeNode(t, "phone-1001")
	reg, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	res := finalReply(t, reg, k.Addr(), request("REGISTER", "sip:1001@"+k.Addr(), reg.LocalAddr().String(), "r1",
		"Contact: <sip:1001@"+phone.addr()+">\r\nExpires: 300\r\n"))
	if !strings.HasPrefix(res, "SIP/2.0 200") {
		t.Fatalf("REGISTER: %q", strings.SplitN(res, "\r\n", 2)[0])
	}
	for i, node := range []*fakeNode{a, b} {
		id := "n" + node.name
		res := node.send(t, k.Addr(), request("INVITE", "sip:1001@"+k.Addr(), node.addr(), id, ""))
		if got := header(res, "X-Node"); got != "phone-1001" {
			t.Fatalf("node %d ringing agent 1001: reply from %q (%q)", i, got, strings.SplitN(res, "\r\n", 2)[0])
		}
	}
	if got := phone.invites(); len(got) != 2 {
		t.Fatalf("phone got INVITEs %v; want one from each node", got)
	}
	stranger, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer stranger.Close()
	res = finalReply(t, stranger, k.Addr(), request("INVITE", "sip:1001@"+k.Addr(), stranger.LocalAddr().String(), "s1", ""))
	if n := header(res, "X-Node"); n != "a" && n != "b" {
		t.Fatalf("a stranger's INVITE to an agent reached %q; want a node", n)
	}
}
