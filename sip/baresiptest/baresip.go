// Package baresiptest drives a real baresip (the Debian package) from Go
// tests: a caller or an agent's phone, controlled over ctrl_tcp (JSON in
// netstrings), with a WAV file as microphone and recordings of what it heard
// (REAL-PEERS recipe A). Tests that use it are end-to-end tests: gate them
// with Available.
package baresiptest

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

	"github.com/switchboard-cc/switchboard/media"
)

// Available skips t unless SWITCHBOARD_E2E=1 and baresip is installed.
func Available(t testing.TB) {
	t.Helper()
	if os.Getenv("SWITCHBOARD_E2E") != "1" {
		t.Skip("end-to-end test: set SWITCHBOARD_E2E=1 (needs the Debian package baresip)")
	}
	if _, err := exec.LookPath("baresip"); err != nil {
		t.Skip("baresip not installed: apt-get install baresip (scripts/debian-packages.txt)")
	}
}

// Config describes one baresip user agent.
type Config struct {
	// AOR is the account, e.g. "sip:1001@127.0.0.1:5060". With Password
	// set, baresip registers there every RegInterval.
	AOR         string
	Password    string
	RegInterval time.Duration // default 60 s when Password is set
	AutoAnswer  bool
	// Microphone is an 8 kHz mono 16-bit WAV played as the UA's audio;
	// baresip hangs up when it ends, so make it longer than the test.
	Microphone string
	// Codecs for audio_codecs, e.g. "pcmu" or "pcma,pcmu"; default "pcmu".
	Codecs string
}

// UA is a running baresip.
type UA struct {
	Dir string // its config dir; recordings land in Dir/rec

	cmd    *exec.Cmd
	out    *lockedBuffer
	conn   net.Conn
	mu     sync.Mutex
	token  int
	resp   chan map[string]any
	events chan map[string]any
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Start runs baresip with cfg until the test ends; its output (with a SIP
// trace) is logged if the test fails.
func Start(t testing.TB, cfg Config) *UA {
	t.Helper()
	dir := t.TempDir()
	rec := filepath.Join(dir, "rec")
	must(t, os.MkdirAll(rec, 0o755))
	if cfg.Microphone == "" {
		cfg.Microphone = filepath.Join(dir, "silence.wav")
		WriteTone(t, cfg.Microphone, 0, 60*time.Second)
	}
	if cfg.Codecs == "" {
		cfg.Codecs = "pcmu"
	}
	sipPort, ctrlPort := freePort(t, "udp"), freePort(t, "tcp")
	rtpBase := 40000 + int(sipPort)%200*100 // a range of its own per UA
	config := fmt.Sprintf(`poll_method epoll
sip_listen 127.0.0.1:%d
net_interface 127.0.0.1
call_local_timeout 30
call_max_calls 1
audio_source aufile,%s
audio_player alsa,null
audio_alert alsa,null
rtp_ports %d-%d
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
`, sipPort, cfg.Microphone, rtpBase, rtpBase+99, rec, ctrlPort)
	must(t, os.WriteFile(filepath.Join(dir, "config"), []byte(config), 0o644))
	account := "<" + cfg.AOR + ">"
	if cfg.Password != "" {
		reg := cfg.RegInterval
		if reg == 0 {
			reg = time.Minute
		}
		account += fmt.Sprintf(";auth_pass=%s;regint=%d", cfg.Password, int(reg/time.Second))
	} else {
		account += ";regint=0"
	}
	if cfg.AutoAnswer {
		account += ";answermode=auto"
	}
	account += ";audio_codecs=" + cfg.Codecs + ";ptime=20\n"
	must(t, os.WriteFile(filepath.Join(dir, "accounts"), []byte(account), 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "contacts"), nil, 0o644))

	ctx, cancel := context.WithCancel(context.Background())
	u := &UA{Dir: dir, out: &lockedBuffer{}, resp: make(chan map[string]any, 16), events: make(chan map[string]any, 256)}
	u.cmd = exec.CommandContext(ctx, "baresip", "-f", dir, "-s")
	u.cmd.Stdout, u.cmd.Stderr = u.out, u.out
	must(t, u.cmd.Start())
	t.Cleanup(func() {
		cancel()
		u.cmd.Wait()
		if t.Failed() {
			t.Logf("baresip %s output:\n%s", cfg.AOR, u.out.String())
		}
	})
	var err error
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if u.conn, err = net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(ctrlPort)); err == nil {
			break
		}
	}
	must(t, err)
	t.Cleanup(func() { u.conn.Close() })
	go u.read()
	return u
}

func (u *UA) read() {
	r := bufio.NewReader(u.conn)
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
		if json.Unmarshal(msg[:n], &m) != nil {
			continue
		}
		switch {
		case m["response"] == true:
			u.resp <- m
		case m["event"] == true:
			select {
			case u.events <- m:
			default:
			}
		}
	}
}

// Command runs a menu command ("dial", "hangup", "hold", "resume",
// "transfer", "sndcode", "quit") and fails t unless baresip says ok.
func (u *UA) Command(t testing.TB, command, params string) {
	t.Helper()
	u.mu.Lock()
	u.token++
	tok := strconv.Itoa(u.token)
	u.mu.Unlock()
	b, _ := json.Marshal(map[string]string{"command": command, "params": params, "token": tok})
	if _, err := fmt.Fprintf(u.conn, "%d:%s,", len(b), b); err != nil {
		t.Fatalf("baresip %s: %v", command, err)
	}
	if command == "quit" {
		return
	}
	select {
	case m := <-u.resp:
		if m["ok"] != true {
			t.Fatalf("baresip %s %s: %v", command, params, m)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("baresip %s: no response", command)
	}
}

// WaitEvent waits for an event of type typ (e.g. "CALL_ESTABLISHED",
// "CALL_CLOSED", "REGISTER_OK") and returns it; others are skipped.
func (u *UA) WaitEvent(t testing.TB, typ string, timeout time.Duration) map[string]any {
	t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case m := <-u.events:
			if m["type"] == typ {
				return m
			}
		case <-deadline:
			t.Fatalf("baresip: no %s event within %s", typ, timeout)
			return nil
		}
	}
}

// Quit stops baresip and waits for it, so its recordings are complete.
func (u *UA) Quit(t testing.TB) {
	t.Helper()
	u.Command(t, "quit", "")
	done := make(chan struct{})
	go func() { u.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		u.cmd.Process.Kill()
	}
}

// Heard returns what baresip heard in each call, in order (its
// dump-*-dec.wav recordings). Call after Quit.
func (u *UA) Heard(t testing.TB) [][]int16 {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(u.Dir, "rec", "dump-*-dec.wav"))
	slices.Sort(files)
	var out [][]int16
	for _, f := range files {
		r, err := os.Open(f)
		must(t, err)
		pcm, err := media.ReadWAV(r)
		r.Close()
		must(t, err)
		out = append(out, pcm)
	}
	return out
}

// RMS is the root mean square of pcm on a 0..1 scale.
func RMS(pcm []int16) float64 {
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

// WriteTone writes an 8 kHz mono WAV of a sine at hz (0: silence).
func WriteTone(t testing.TB, path string, hz float64, d time.Duration) {
	t.Helper()
	f, err := os.Create(path)
	must(t, err)
	defer f.Close()
	w, err := media.NewWAVWriter(f)
	must(t, err)
	pcm := make([]int16, int(d.Seconds()*media.SampleRate))
	for i := range pcm {
		pcm[i] = int16(8000 * math.Sin(2*math.Pi*hz*float64(i)/media.SampleRate))
	}
	must(t, w.Write(pcm))
	must(t, w.Close())
}

func freePort(t testing.TB, network string) int {
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

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
