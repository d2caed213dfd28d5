package testsvc

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// ErrKamailioMissing means kamailio is not installed (Debian's kamailio
// package).
var ErrKamailioMissing = errors.New("testsvc: kamailio not found; apt-get install kamailio")

// KamailioOptions say which configuration to run.
type KamailioOptions struct {
	// Config is the kamailio.cfg to run (deploy/kamailio/kamailio.cfg). It
	// must take its listen address from the SIP_LISTEN define, its
	// JSON-RPC listener (jsonrpcs over xhttp, at /RPC) from RPC_LISTEN and
	// its dispatcher list from DISPATCHER_LIST, and answer an OPTIONS without a
	// user part with 200 (how the starter knows it is up).
	Config string
	// Nodes are the dispatcher set 1 destinations, as host:port.
	Nodes []string
	// Defines are more -A NAME=VALUE pre-processor defines.
	Defines []string
}

// Kamailio is a running throw-away Kamailio listening on UDP 127.0.0.1 on a
// probed free port, with its JSON-RPC on TCP 127.0.0.1 on another.
type Kamailio struct {
	Dir     string
	Port    int
	RPCPort int

	proc *process
	log  string
}

// Addr is host:port of the SIP listener (UDP).
func (k *Kamailio) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(k.Port)) }

// RPCURL is the JSON-RPC endpoint (jsonrpcs over xhttp).
func (k *Kamailio) RPCURL() string {
	return "http://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(k.RPCPort)) + "/RPC"
}

// Log is what Kamailio wrote so far (it logs to stderr under the starter).
func (k *Kamailio) Log() string {
	b, _ := os.ReadFile(k.log)
	return string(b)
}

// StartKamailio runs opt.Config in a new temporary folder. It returns
// ErrKamailioMissing (wrapped) when kamailio is not installed.
func StartKamailio(ctx context.Context, opt KamailioOptions) (*Kamailio, error) {
	bin, err := exec.LookPath("kamailio")
	if err != nil {
		if _, serr := os.Stat("/usr/sbin/kamailio"); serr != nil {
			return nil, fmt.Errorf("%w: %v", ErrKamailioMissing, err)
		}
		bin = "/usr/sbin/kamailio"
	}
	cfg, err := filepath.Abs(opt.Config)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "switchboard-kamailio-")
	if err != nil {
		return nil, err
	}
	var list strings.Builder
	for _, n := range opt.Nodes {
		fmt.Fprintf(&list, "1 sip:%s\n", n)
	}
	if err := os.WriteFile(filepath.Join(dir, "dispatcher.list"), []byte(list.String()), 0o644); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	k := &Kamailio{Dir: dir, log: filepath.Join(dir, "kamailio.log")}
	if err := retryInUse(func() error { return k.start(ctx, bin, cfg, opt) }); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return k, nil
}

func (k *Kamailio) start(ctx context.Context, bin, cfg string, opt KamailioOptions) error {
	port, err := probeLoopbackPort(true)
	if err != nil {
		return err
	}
	rpcPort, err := probeLoopbackPort(false)
	if err != nil {
		return err
	}
	args := []string{"-f", cfg, "-DD", "-E", "-n", "2",
		"-P", filepath.Join(k.Dir, "kamailio.pid"), "-Y", k.Dir, "-w", k.Dir,
		"-A", "SIP_LISTEN=udp:127.0.0.1:" + strconv.Itoa(port),
		"-A", "RPC_LISTEN=tcp:127.0.0.1:" + strconv.Itoa(rpcPort),
		"-A", `DISPATCHER_LIST="` + filepath.Join(k.Dir, "dispatcher.list") + `"`}
	for _, d := range opt.Defines {
		args = append(args, "-A", d)
	}
	logFile, err := os.Create(k.log)
	if err != nil {
		return err
	}
	defer logFile.Close()
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// Kamailio forks its workers into its own process group; the group is
	// killed on Stop, and the main process dies with the test binary.
	proc, err := startProcess(cmd, nil)
	if err != nil {
		return fmt.Errorf("start kamailio: %w", err)
	}
	k.proc, k.Port, k.RPCPort = proc, port, rpcPort
	// pingOptions waits 200 ms for its answer: no pause between tries.
	return proc.waitReady(ctx, "kamailio", "not answering OPTIONS", 30*time.Second, 0,
		func() error { return pingOptions(k.Addr(), 200*time.Millisecond) }, k.Log, func() { k.Stop() })
}

// pingOptions sends one OPTIONS without a user part and waits for a 200.
func pingOptions(addr string, wait time.Duration) error {
	c, err := net.Dial("udp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	local := c.LocalAddr().String()
	branch := "z9hG4bK-testsvc-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	msg := "OPTIONS sip:" + addr + " SIP/2.0\r\n" +
		"Via: SIP/2.0/UDP " + local + ";branch=" + branch + ";rport\r\n" +
		"Max-Forwards: 70\r\n" +
		"From: <sip:testsvc@127.0.0.1>;tag=" + branch[8:] + "\r\n" +
		"To: <sip:" + addr + ">\r\n" +
		"Call-ID: " + branch + "\r\n" +
		"CSeq: 1 OPTIONS\r\n" +
		"Content-Length: 0\r\n\r\n"
	if _, err := c.Write([]byte(msg)); err != nil {
		return err
	}
	c.SetReadDeadline(time.Now().Add(wait))
	buf := make([]byte, 4096)
	n, err := c.Read(buf)
	if err != nil {
		return err
	}
	if !strings.HasPrefix(string(buf[:n]), "SIP/2.0 200") {
		first, _, _ := strings.Cut(string(buf[:n]), "\r\n")
		return fmt.Errorf("kamailio answered %q", first)
	}
	return nil
}

// Stop kills Kamailio's process group (SIGTERM, SIGKILL after 10 s) and
// removes its folder.
func (k *Kamailio) Stop() error {
	k.proc.stop(syscall.SIGTERM, true)
	return os.RemoveAll(k.Dir)
}

// KamailioForTest starts Kamailio for this test, stopped when it ends. It
// skips the test when kamailio is missing, except under SWITCHBOARD_E2E=1.
func KamailioForTest(t testing.TB, opt KamailioOptions) *Kamailio {
	t.Helper()
	k, err := StartKamailio(context.Background(), opt)
	if err != nil {
		unavailable(t, err, ErrKamailioMissing)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("kamailio log:\n%s", k.Log())
		}
		k.Stop()
	})
	return k
}

// FreeSIPPort is a port free on 127.0.0.1 for both UDP and TCP, for a SIP
// server the test starts (the dispatcher list must name it in advance).
func FreeSIPPort() (int, error) { return probeLoopbackPort(true) }
