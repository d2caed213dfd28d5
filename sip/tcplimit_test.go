package sip

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/ivr"
	"github.com/switchboard-cc/switchboard/sip/siptest"
)

// rawRequest sends one SIP request over a fresh socket of network ("udp"
// or "tcp") from local (host, "" for any) to addr and returns the status
// line of the answer.
func rawRequest(t *testing.T, network, local, addr, method, version string) (string, error) {
	t.Helper()
	d := net.Dialer{Timeout: 5 * time.Second}
	if local != "" {
		if network == "udp" {
			d.LocalAddr = &net.UDPAddr{IP: net.ParseIP(local)}
		} else {
			d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(local)}
		}
	}
	c, err := d.Dial(network, addr)
	if err != nil {
		return "", err
	}
	defer c.Close()
	return requestOn(c, method, version)
}

// requestOn writes a request on c and reads the status line of its answer.
func requestOn(c net.Conn, method, version string) (string, error) {
	laddr := c.LocalAddr().String()
	proto := strings.ToUpper(c.LocalAddr().Network())
	msg := fmt.Sprintf("%s sip:probe@%s %s\r\n"+
		"Via: SIP/2.0/%s %s;branch=z9hG4bK%d\r\n"+
		"From: <sip:probe@%s>;tag=probe\r\nTo: <sip:probe@%s>\r\n"+
		"Call-ID: probe-%d@%s\r\nCSeq: 1 %s\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n",
		method, c.RemoteAddr(), version, proto, laddr, time.Now().UnixNano(), laddr, c.RemoteAddr(),
		time.Now().UnixNano(), laddr, method)
	if _, err := io.WriteString(c, msg); err != nil {
		return "", err
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	return strings.TrimSpace(line), err
}

// floodChildEnv marks the subprocess of TestTCPFloodDoesNotStopServe.
const floodChildEnv = "SWITCHBOARD_TCP_FLOOD_CHILD"

// An attacker opening idle TCP connections until the process runs out of
// file descriptors must not end Serve: once descriptors are free again the
// server answers over TCP (and over UDP throughout). The server runs in a
// subprocess with a low RLIMIT_NOFILE, so the flood is small and the test
// process keeps its own limit.
func TestTCPFloodDoesNotStopServe(t *testing.T) {
	if os.Getenv(floodChildEnv) == "1" {
		floodChild()
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestTCPFloodDoesNotStopServe$")
	cmd.Env = append(os.Environ(), floodChildEnv+"=1")
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stdin.Close(); cmd.Wait() })
	lines := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var addr string
	select {
	case l := <-lines:
		addr, _ = strings.CutPrefix(l, "addr ")
	case <-time.After(30 * time.Second):
		t.Fatal("child server not listening after 30s")
	}
	if addr == "" {
		t.Fatal("child did not say its address")
	}

	// Twice the child's descriptor limit of idle connections.
	var flood []net.Conn
	for range 2 * floodChildFDs {
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			t.Fatalf("flood dial %d: %v (the listener is gone: Serve ended)", len(flood), err)
		}
		flood = append(flood, c)
	}
	// A request queued behind the flood: it is accepted only once the
	// child has descriptors again.
	probe, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer probe.Close()
	// UDP keeps answering while TCP accepts wait for descriptors.
	if got, err := rawRequest(t, "udp", "", addr, "OPTIONS", "SIP/2.0"); err != nil || !strings.HasPrefix(got, "SIP/2.0 200") {
		t.Fatalf("OPTIONS over UDP during the flood: %q, %v; want 200", got, err)
	}
	for _, c := range flood {
		c.Close()
	}
	if got, err := requestOn(probe, "OPTIONS", "SIP/2.0"); err != nil || !strings.HasPrefix(got, "SIP/2.0 200") {
		t.Fatalf("OPTIONS over TCP after the flood: %q, %v; want 200", got, err)
	}
	if got, err := rawRequest(t, "udp", "", addr, "OPTIONS", "SIP/2.0"); err != nil || !strings.HasPrefix(got, "SIP/2.0 200") {
		t.Fatalf("OPTIONS over UDP after the flood: %q, %v; want 200", got, err)
	}
	select {
	case l, ok := <-lines:
		if ok {
			t.Fatalf("child: %s", l)
		}
	default:
	}
}

// floodChildFDs is the child's RLIMIT_NOFILE.
const floodChildFDs = 64

// floodChild runs a server with few descriptors, prints its address, and
// reports if Serve ever returns; it stops when its stdin closes.
func floodChild() {
	lim := syscall.Rlimit{Cur: floodChildFDs, Max: floodChildFDs}
	var old syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &old); err == nil && old.Max < lim.Max {
		lim = old
	}
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		fmt.Println("setrlimit:", err)
		os.Exit(1)
	}
	// No caps: the flood must reach the descriptor limit, so Accept fails.
	srv, err := New(Config{Listen: "127.0.0.1:0", RTPPortMin: -1, TCPMaxConns: -1, TCPMaxPerSource: -1}, Deps{
		Handler: runs(noopHandler), Prompts: testPrompts, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		fmt.Println("new:", err)
		os.Exit(1)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx) }()
	<-srv.Ready()
	fmt.Println("addr", srv.Addr())
	stop := make(chan struct{})
	go func() { io.Copy(io.Discard, os.Stdin); close(stop) }()
	select {
	case err := <-served:
		fmt.Println("serve returned:", err)
	case <-stop:
		cancel()
		<-served
	}
	os.Exit(0)
}

// waitClosed reads c until the server closes it and returns how long that
// took from start.
func waitClosed(t *testing.T, c net.Conn, start time.Time) time.Duration {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(20 * time.Second))
	if _, err := c.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("read on %s: %v; want the server to close it (EOF)", c.LocalAddr(), err)
	}
	return time.Since(start)
}

func dialFrom(t *testing.T, ip, addr string) net.Conn {
	t.Helper()
	d := net.Dialer{Timeout: 5 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// One source gets at most TCPMaxPerSource connections, other sources are
// unaffected, and connections that send nothing are closed after
// TCPIdleTimeout, which frees the source's quota.
func TestTCPConnectionLimits(t *testing.T) {
	const idle = 500 * time.Millisecond
	srv := startServer(t, Config{TCPIdleTimeout: idle, TCPMaxPerSource: 3}, noopHandler)
	start := time.Now()
	var held []net.Conn
	for range 3 {
		held = append(held, dialFrom(t, "127.0.0.2", srv.Addr()))
	}
	over := dialFrom(t, "127.0.0.2", srv.Addr())
	if d := waitClosed(t, over, start); d >= idle {
		t.Errorf("connection over the per-source cap closed after %v; want at once (before the %v idle timeout)", d, idle)
	}
	if got, err := rawRequest(t, "tcp", "127.0.0.3", srv.Addr(), "OPTIONS", "SIP/2.0"); err != nil || !strings.HasPrefix(got, "SIP/2.0 200") {
		t.Fatalf("OPTIONS from another source while 127.0.0.2 is at its cap: %q, %v; want 200", got, err)
	}
	for _, c := range held {
		if d := waitClosed(t, c, start); d < idle {
			t.Errorf("idle connection closed after %v; want not before %v", d, idle)
		}
	}
	if got, err := rawRequest(t, "tcp", "127.0.0.2", srv.Addr(), "OPTIONS", "SIP/2.0"); err != nil || !strings.HasPrefix(got, "SIP/2.0 200") {
		t.Fatalf("OPTIONS from 127.0.0.2 once its idle connections are gone: %q, %v; want 200", got, err)
	}
	if r, i := srv.tcpLn.refused.Load(), srv.tcpLn.idled.Load(); r != 1 || i != 3 {
		t.Errorf("refused %d, closed idle %d; want 1 and 3", r, i)
	}
}

// A call's TCP connection is quiet between INVITE and BYE; the idle
// timeout must not close it.
func TestTCPIdleTimeoutSparesCalls(t *testing.T) {
	const idle = 300 * time.Millisecond
	release := make(chan struct{})
	srv := startServer(t, Config{TCPIdleTimeout: idle}, func(ctx context.Context, call ivr.Call) {
		call.Answer(ctx)
		select {
		case <-release:
		case <-ctx.Done():
		}
	})
	phone := newPhone(t, "127.0.0.1")
	call, err := phone.Dial(ctxT(t, 10*time.Second), srv.target, siptest.DialOptions{Transport: "tcp"})
	if err != nil {
		t.Fatal(err)
	}
	defer call.Close()
	// Two idle periods pass, measured by two idle connections closing one
	// after the other; only those two are closed.
	for range 2 {
		c := dialFrom(t, "127.0.0.2", srv.Addr())
		waitClosed(t, c, time.Now())
	}
	if got := srv.tcpLn.idled.Load(); got != 2 {
		t.Fatalf("closed idle %d; want 2 (the call's connection kept)", got)
	}
	close(release)
	select {
	case <-call.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the server's BYE did not reach the phone over the call's connection")
	}
	if !call.EndedByServer() {
		t.Error("call not ended by the server's BYE")
	}
}
