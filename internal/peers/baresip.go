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

// BaresipConfig sets up one baresip user agent.
type BaresipConfig struct {
	Dir      string // working directory (config, recordings); required
	Mic      string // 8 kHz mono WAV used as the microphone; pad it: the call ends when it does
	SIPPort  int    // local SIP port; required (pick a free one)
	CtrlPort int    // ctrl_tcp port; required
	RTPPorts string // e.g. "42100-42199"
	Timeout  time.Duration

	// AOR is the account, e.g. "sip:1001@127.0.0.1:5060"; default
	// sip:tester@127.0.0.1:SIPPort. With Password set, baresip registers
	// there every RegInterval (default 60 s).
	AOR         string
	Password    string
	RegInterval time.Duration
	// AutoAnswer answers incoming calls at once (an agent's phone).
	AutoAnswer bool
	// Codecs for audio_codecs, e.g. "pcmu" or "pcma,pcmu"; default "pcmu".
	Codecs string
	// SIPTrace makes baresip print every SIP message (-s), for failure logs.
	SIPTrace bool
	// NoJitterBuffer turns baresip's jitter buffer off ("jitter_buffer_delay
	// 0-0"). Debian's baresip 1.0 / libre keep the buffer's last sequence
	// number across an SSRC change: when Asterisk switches a call's stream
	// to a new SSRC with lower sequence numbers (joining a bridge), every
	// later packet is dropped ("dropping 172 bytes ... (Connection timed
	// out)") and the phone hears silence.
	NoJitterBuffer bool
}

// accountLine is the line of baresip's accounts file for cfg.
func (cfg BaresipConfig) accountLine() string {
	aor := cfg.AOR
	if aor == "" {
		aor = fmt.Sprintf("sip:tester@127.0.0.1:%d", cfg.SIPPort)
	}
	line := "<" + aor + ">"
	if cfg.Password != "" {
		reg := cfg.RegInterval
		if reg == 0 {
			reg = time.Minute
		}
		line += fmt.Sprintf(";auth_pass=%s;regint=%d", cfg.Password, int(reg/time.Second))
	} else {
		line += ";regint=0"
	}
	if cfg.AutoAnswer {
		line += ";answermode=auto"
	}
	codecs := cfg.Codecs
	if codecs == "" {
		codecs = "pcmu"
	}
	return line + ";audio_codecs=" + codecs + ";ptime=20\n"
}

// Baresip is a running baresip.
type Baresip struct {
	cfg      BaresipConfig
	cmd      *exec.Cmd
	conn     net.Conn
	mu       sync.Mutex // guards log
	log      strings.Builder
	cmdMu    sync.Mutex // one command at a time: responses come in order
	token    int
	resp     chan map[string]any
	events   chan BaresipEvent
	exited   chan struct{}
	stopOnce sync.Once
}

// BaresipEvent is one ctrl_tcp event, e.g. Type "CALL_ESTABLISHED".
type BaresipEvent struct {
	Class    string `json:"class"`
	Type     string `json:"type"`
	Param    string `json:"param"`
	Peer     string `json:"peeruri"`
	PeerName string `json:"peerdisplayname"`
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
	if cfg.NoJitterBuffer {
		config += "jitter_buffer_delay 0-0\n"
	}
	files := map[string]string{
		"config":   config,
		"accounts": cfg.accountLine(),
		"contacts": "",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(conf, name), []byte(body), 0o644); err != nil {
			return nil, err
		}
	}
	secs := strconv.Itoa(int(cfg.Timeout.Seconds()))
	args := []string{secs, "baresip", "-f", conf, "-t", secs}
	if cfg.SIPTrace {
		args = append(args, "-s")
	}
	b := &Baresip{cfg: cfg, resp: make(chan map[string]any, 16), events: make(chan BaresipEvent, 256), exited: make(chan struct{})}
	b.cmd = exec.CommandContext(ctx, "timeout", args...)
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
	go b.readControl()
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

// readControl parses netstrings ("len:{json},") from ctrl_tcp: responses
// to Command and events for WaitEvent. Events beyond the buffer are dropped
// rather than stalling the responses behind them.
func (b *Baresip) readControl() {
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
		var m map[string]any
		if json.Unmarshal(buf[:n], &m) != nil {
			continue
		}
		switch {
		case m["response"] == true:
			select {
			case b.resp <- m:
			default:
			}
		case m["event"] == true:
			var e BaresipEvent
			if json.Unmarshal(buf[:n], &e) == nil {
				select {
				case b.events <- e:
				default:
				}
			}
		}
	}
}

// Command sends a ctrl_tcp menu command such as ("dial",
// "sip:96069@127.0.0.1:5060"), "hangup", "hold", "resume", "transfer",
// "sndcode", "ausrc" or "quit", and waits until baresip says it is done
// (all but quit, which gets no answer).
func (b *Baresip) Command(command, params string) error {
	b.cmdMu.Lock()
	defer b.cmdMu.Unlock()
	b.token++
	body, _ := json.Marshal(map[string]string{"command": command, "params": params, "token": strconv.Itoa(b.token)})
	if _, err := fmt.Fprintf(b.conn, "%d:%s,", len(body), body); err != nil {
		return fmt.Errorf("baresip %s: %w", command, err)
	}
	if command == "quit" {
		return nil
	}
	select {
	case m := <-b.resp:
		if m["ok"] != true {
			return fmt.Errorf("baresip %s %s: %v", command, params, m)
		}
		return nil
	case <-b.exited:
		return fmt.Errorf("baresip %s: baresip exited", command)
	case <-time.After(5 * time.Second):
		return fmt.Errorf("baresip %s: no response", command)
	}
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

// EventWithin is WaitEvent for at most d.
func (b *Baresip) EventWithin(typ string, d time.Duration) (BaresipEvent, error) {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	return b.WaitEvent(ctx, typ)
}

// Recordings are the WAV files baresip wrote of what it received in each
// call (the *-dec.wav of the sndfile module), oldest first. They are
// complete once the call, or baresip, has ended.
func (b *Baresip) Recordings() []string {
	m, _ := filepath.Glob(filepath.Join(b.cfg.Dir, "rec", "*-dec.wav"))
	return m // Glob lists a folder in name order: dump-<date>-<time>-...
}

// Heard is the recording of the last call (see Recordings).
func (b *Baresip) Heard() (string, error) {
	m := b.Recordings()
	if len(m) == 0 {
		return "", errors.New("baresip: no *-dec.wav recording")
	}
	return m[len(m)-1], nil
}

// Stop asks baresip to quit and waits for it (killing it after 3 s), so
// its recordings are complete. Stopping twice is harmless.
func (b *Baresip) Stop() {
	b.stopOnce.Do(func() {
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
	})
}
