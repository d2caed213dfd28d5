package peers

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// BaresipConfig sets up one baresip caller.
type BaresipConfig struct {
	Dir      string // working directory (config, recordings); required
	Mic      string // 8 kHz mono WAV used as the microphone; pad it: the call ends when it does
	SIPPort  int    // local SIP port; required (pick a free one)
	CtrlPort int    // ctrl_tcp port; required
	RTPPorts string // e.g. "42100-42199"
	Timeout  time.Duration
}

// Baresip is a running baresip.
type Baresip struct {
	cfg    BaresipConfig
	cmd    *exec.Cmd
	conn   net.Conn
	mu     sync.Mutex
	events chan BaresipEvent
	exited chan struct{}
	log    strings.Builder
}

// BaresipEvent is one ctrl_tcp event, e.g. Type "CALL_ESTABLISHED".
type BaresipEvent struct {
	Class string `json:"class"`
	Type  string `json:"type"`
	Param string `json:"param"`
	Peer  string `json:"peeruri"`
}

// StartBaresip writes the config, starts baresip and connects to ctrl_tcp.
func StartBaresip(ctx context.Context, cfg BaresipConfig) (*Baresip, error) {
	if _, err := exec.LookPath("baresip"); err != nil {
		return nil, err
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 60 * time.Second
	}
	if cfg.RTPPorts == "" {
		cfg.RTPPorts = "42100-42199"
	}
	conf := filepath.Join(cfg.Dir, "bs")
	rec := filepath.Join(cfg.Dir, "rec")
	for _, d := range []string{conf, rec} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, err
		}
	}
	config := fmt.Sprintf(`poll_method epoll
sip_listen 127.0.0.1:%d
net_interface 127.0.0.1
call_local_timeout 30
call_max_calls 1
audio_source aufile,%s
audio_player alsa,null
audio_alert alsa,null
rtp_ports %s
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
`, cfg.SIPPort, cfg.Mic, cfg.RTPPorts, rec, cfg.CtrlPort)
	files := map[string]string{
		"config":   config,
		"accounts": fmt.Sprintf("<sip:tester@127.0.0.1:%d>;regint=0;answermode=auto;audio_codecs=pcmu;ptime=20\n", cfg.SIPPort),
		"contacts": "",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(conf, name), []byte(body), 0o644); err != nil {
			return nil, err
		}
	}
	secs := strconv.Itoa(int(cfg.Timeout.Seconds()))
	b := &Baresip{cfg: cfg, events: make(chan BaresipEvent, 64), exited: make(chan struct{})}
	b.cmd = exec.CommandContext(ctx, "timeout", secs, "baresip", "-f", conf, "-t", secs)
	b.cmd.Stdin = nil
	b.cmd.Stdout = &lockedWriter{b: &b.log, mu: &b.mu}
	b.cmd.Stderr = b.cmd.Stdout
	if err := b.cmd.Start(); err != nil {
		return nil, err
	}
	go func() { b.cmd.Wait(); close(b.exited) }()
	// ctrl_tcp comes up a moment after start: retry until it accepts.
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", cfg.CtrlPort))
		if err == nil {
			b.conn = c
			break
		}
		select {
		case <-b.exited:
			return nil, fmt.Errorf("baresip exited: %s", b.Output())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			b.Stop()
			return nil, fmt.Errorf("baresip ctrl_tcp: %w", err)
		}
	}
	go b.readEvents()
	return b, nil
}

type lockedWriter struct {
	b  *strings.Builder
	mu *sync.Mutex
}

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

// Output is what baresip printed so far (for failure messages).
func (b *Baresip) Output() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.log.String()
}

// readEvents parses netstrings ("len:{json},") from ctrl_tcp.
func (b *Baresip) readEvents() {
	defer close(b.events)
	r := bufio.NewReader(b.conn)
	for {
		lenStr, err := r.ReadString(':')
		if err != nil {
			return
		}
		n, err := strconv.Atoi(strings.TrimSpace(lenStr[:len(lenStr)-1]))
		if err != nil || n < 0 || n > 1<<20 {
			return
		}
		buf := make([]byte, n+1) // payload and the trailing comma
		if _, err := io.ReadFull(r, buf); err != nil {
			return
		}
		var msg struct {
			Event bool `json:"event"`
			BaresipEvent
		}
		if json.Unmarshal(buf[:n], &msg) == nil && msg.Event {
			b.events <- msg.BaresipEvent
		}
	}
}

// Command sends a ctrl_tcp command such as ("dial", "sip:96069@127.0.0.1:5060").
func (b *Baresip) Command(command, params string) error {
	body, _ := json.Marshal(map[string]string{"command": command, "params": params, "token": command})
	_, err := fmt.Fprintf(b.conn, "%d:%s,", len(body), body)
	return err
}

// WaitEvent returns the next event of type typ, skipping others.
func (b *Baresip) WaitEvent(ctx context.Context, typ string) (BaresipEvent, error) {
	for {
		select {
		case e, ok := <-b.events:
			if !ok {
				return e, errors.New("baresip: control connection closed")
			}
			if e.Type == typ {
				return e, nil
			}
		case <-ctx.Done():
			return BaresipEvent{}, fmt.Errorf("baresip: waiting for %s: %w", typ, ctx.Err())
		}
	}
}

// Heard is the WAV file baresip wrote of what it received (the *-dec.wav of
// the sndfile module), once the call has ended.
func (b *Baresip) Heard() (string, error) {
	m, _ := filepath.Glob(filepath.Join(b.cfg.Dir, "rec", "*-dec.wav"))
	if len(m) == 0 {
		return "", errors.New("baresip: no *-dec.wav recording")
	}
	return m[len(m)-1], nil
}

// Stop asks baresip to quit and waits for it (killing it after 3 s).
func (b *Baresip) Stop() {
	if b.conn != nil {
		b.Command("quit", "")
	}
	select {
	case <-b.exited:
	case <-time.After(3 * time.Second):
		b.cmd.Process.Signal(syscall.SIGTERM) // timeout(1) passes it on
		<-b.exited
	}
	if b.conn != nil {
		b.conn.Close()
	}
}
