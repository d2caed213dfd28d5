package b2bua

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/events"
	"github.com/switchboard-cc/switchboard/internal/clock"
	"github.com/switchboard-cc/switchboard/media"
	"github.com/switchboard-cc/switchboard/routing"
)

// TestBaresipAgentE2E registers a real baresip (Debian package) as agent
// 1001 with its password, rings it through the B2BUA, checks audio both
// ways, hold with music, a refused and an allowed transfer (REFER), and the
// agent hanging up. REAL-PEERS recipe A.
func TestBaresipAgentE2E(t *testing.T) {
	if os.Getenv("SWITCHBOARD_E2E") != "1" {
		t.Skip("end-to-end test: set SWITCHBOARD_E2E=1 (needs the Debian package baresip)")
	}
	if _, err := exec.LookPath("baresip"); err != nil {
		t.Skip("baresip not installed: apt-get install baresip (scripts/debian-packages.txt)")
	}
	sb := startSwitchboardClock(t, TransferRules{Groups: map[string]string{"billing": "billing"}}, clock.Real{})
	dir := t.TempDir()
	agentWAV := filepath.Join(dir, "agent.wav")
	writeTone(t, agentWAV, 440, 30*time.Second) // the agent "speaks" a tone
	sipPort, ctrlPort := freePort(t, "udp"), freePort(t, "tcp")
	cfg := fmt.Sprintf(`poll_method epoll
sip_listen 127.0.0.1:%d
net_interface 127.0.0.1
call_local_timeout 30
call_max_calls 1
audio_source aufile,%s
audio_player alsa,null
audio_alert alsa,null
rtp_ports 42300-42399
module_path /usr/lib/baresip/modules
module g711.so
module aufile.so
module alsa.so
module sndfile.so
module ctrl_tcp.so
module_tmp account.so
module_app menu.so
snd_path %s
ctrl_tcp_listen 127.0.0.1:%d
`, sipPort, agentWAV, dir, ctrlPort)
	bs := filepath.Join(dir, "bs")
	os.MkdirAll(bs, 0o755)
	must(t, os.WriteFile(filepath.Join(bs, "config"), []byte(cfg), 0o644))
	account := fmt.Sprintf("<sip:1001@%s>;auth_pass=%s;regint=60;answermode=auto;audio_codecs=pcmu;ptime=20\n", sb.addr, string(passwords["1001"]))
	must(t, os.WriteFile(filepath.Join(bs, "accounts"), []byte(account), 0o644))
	must(t, os.WriteFile(filepath.Join(bs, "contacts"), nil, 0o644))

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "baresip", "-f", bs, "-t", "50", "-s")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	must(t, cmd.Start())
	defer func() {
		cancel()
		cmd.Wait()
		if t.Failed() {
			t.Logf("baresip output:\n%s", out.String())
		}
	}()

	// Registered: the registrar reports agent 1001 available.
	e := sb.log.waitType(t, events.AgentDevice)
	if e.Agent != "1001" || e.Data["status"] != "available" {
		t.Fatalf("device event %+v; want 1001 available", e)
	}
	ctl := dialCtrl(t, ctrlPort)

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
	ctl.send(t, "hold", "")
	sb.log.waitType(t, events.CallHold)
	fc.phone.drain()
	if got := fc.phone.next(t, 0); string(got.payload) != string(mohPayload) {
		t.Fatalf("caller heard %x on hold; want music on hold", got.payload[:4])
	}
	ctl.send(t, "resume", "")
	if e := sb.log.waitType(t, events.CallUnhold); e.Data["hold_ms"] == "" {
		t.Fatalf("unhold event %+v without hold_ms", e)
	}
	time.Sleep(time.Second) // let the agent hear the caller again

	// A transfer to a number no rule names is refused with 403 and nothing
	// is dialled. (baresip 1.0 then hangs up by itself: the agent ends the
	// call, which also covers the agent's hang-up.)
	ctl.send(t, "transfer", "sip:+881612345678@"+sb.addr)
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
	ctl.send(t, "transfer", "sip:billing@"+sb.addr)
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
	ctl.send(t, "quit", "")
	cmd.Wait()

	// What baresip heard (its -dec.wav) holds the caller's tone.
	decs, _ := filepath.Glob(filepath.Join(dir, "dump-*-dec.wav"))
	if len(decs) == 0 {
		t.Fatal("baresip wrote no dump-*-dec.wav")
	}
	slices.Sort(decs) // the first call's recording: the caller talked there
	f, err := os.Open(decs[0])
	must(t, err)
	defer f.Close()
	pcm, err := media.ReadWAV(f)
	must(t, err)
	if rms := rmsPCM(pcm); rms < 0.02 {
		t.Fatalf("baresip heard RMS %.4f; want the caller's tone", rms)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func freePort(t *testing.T, network string) int {
	t.Helper()
	if network == "udp" {
		c, err := net.ListenPacket("udp4", "127.0.0.1:0")
		must(t, err)
		defer c.Close()
		return c.LocalAddr().(*net.UDPAddr).Port
	}
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	must(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func writeTone(t *testing.T, path string, hz float64, d time.Duration) {
	t.Helper()
	f, err := os.Create(path)
	must(t, err)
	defer f.Close()
	w, err := media.NewWAVWriter(f)
	must(t, err)
	n := int(d / time.Second * media.SampleRate)
	pcm := make([]int16, n)
	for i := range pcm {
		pcm[i] = int16(8000 * math.Sin(2*math.Pi*hz*float64(i)/media.SampleRate))
	}
	must(t, w.Write(pcm))
	must(t, w.Close())
}

// talk sends a tone from the caller's phone every 20 ms until stop closes.
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
	return rmsPCM(pcm)
}

func rmsPCM(pcm []int16) float64 {
	if len(pcm) == 0 {
		return 0
	}
	var sum float64
	for _, s := range pcm {
		v := float64(s) / 32768
		sum += v * v
	}
	return math.Sqrt(sum / float64(len(pcm)))
}

// ctrlClient speaks baresip's ctrl_tcp: JSON in netstrings.
type ctrlClient struct {
	conn  net.Conn
	mu    sync.Mutex
	token int
	resp  chan map[string]any
}

func dialCtrl(t *testing.T, port int) *ctrlClient {
	t.Helper()
	var conn net.Conn
	var err error
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if conn, err = net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(port)); err == nil {
			break
		}
	}
	must(t, err)
	c := &ctrlClient{conn: conn, resp: make(chan map[string]any, 64)}
	go func() {
		r := bufio.NewReader(conn)
		for {
			lenStr, err := r.ReadString(':')
			if err != nil {
				return
			}
			n, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(lenStr, ":")))
			if err != nil {
				return
			}
			msg := make([]byte, n+1) // payload and the trailing ','
			if _, err := io.ReadFull(r, msg); err != nil {
				return
			}
			var m map[string]any
			if json.Unmarshal(msg[:n], &m) == nil && m["response"] == true {
				c.resp <- m
			}
		}
	}()
	t.Cleanup(func() { conn.Close() })
	return c
}

func (c *ctrlClient) send(t *testing.T, command, params string) {
	t.Helper()
	c.mu.Lock()
	c.token++
	tok := strconv.Itoa(c.token)
	c.mu.Unlock()
	b, _ := json.Marshal(map[string]string{"command": command, "params": params, "token": tok})
	if _, err := fmt.Fprintf(c.conn, "%d:%s,", len(b), b); err != nil {
		t.Fatalf("ctrl %s: %v", command, err)
	}
	if command == "quit" {
		return
	}
	select {
	case m := <-c.resp:
		if m["ok"] != true {
			t.Fatalf("baresip %s: %v", command, m)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("baresip %s: no response", command)
	}
}
