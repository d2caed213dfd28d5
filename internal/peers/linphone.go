package peers

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// LinphoneConfig sets up one linphonec caller.
type LinphoneConfig struct {
	Dir     string // HOME for linphonec; required
	SIPPort int
	RTPPort int
	// InfoDTMF sends digits as SIP INFO (application/dtmf-relay) instead of
	// RFC 4733.
	InfoDTMF bool
	Timeout  time.Duration
}

// Linphone is a running linphonec driven on stdin.
type Linphone struct {
	cfg    LinphoneConfig
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	mu     sync.Mutex
	out    strings.Builder
	exited chan struct{}
}

// StartLinphone writes linphonerc and starts linphonec.
func StartLinphone(ctx context.Context, cfg LinphoneConfig) (*Linphone, error) {
	if _, err := exec.LookPath("linphonec"); err != nil {
		return nil, err
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 60 * time.Second
	}
	// Without this folder linphonec never opens a SIP port (REAL-PEERS.md).
	if err := os.MkdirAll(filepath.Join(cfg.Dir, ".local", "share", "linphone"), 0o755); err != nil {
		return nil, err
	}
	info, rfc := 0, 1
	if cfg.InfoDTMF {
		info, rfc = 1, 0
	}
	rc := fmt.Sprintf(`[sip]
bind_address=127.0.0.1
use_ipv6=0
sip_port=%d
sip_tcp_port=0
sip_tls_port=0
contact="Tester" <sip:tester@127.0.0.1>
guess_hostname=0
use_rfc2833=%d
use_info=%d
register_only_when_network_is_up=0
[rtp]
bind_address=127.0.0.1
audio_rtp_port=%d
[sound]
echocancellation=0
[video]
display=0
capture=0
[audio_codec_0]
mime=PCMU
rate=8000
channels=1
enabled=1
`, cfg.SIPPort, rfc, info, cfg.RTPPort)
	rcPath := filepath.Join(cfg.Dir, "linphonerc")
	if err := os.WriteFile(rcPath, []byte(rc), 0o644); err != nil {
		return nil, err
	}
	l := &Linphone{cfg: cfg, exited: make(chan struct{})}
	l.cmd = exec.CommandContext(ctx, "timeout", strconv.Itoa(int(cfg.Timeout.Seconds())), "linphonec", "-c", rcPath, "-d", "0")
	l.cmd.Env = append(os.Environ(), "HOME="+cfg.Dir)
	var err error
	if l.stdin, err = l.cmd.StdinPipe(); err != nil {
		return nil, err
	}
	w := &lockedWriter{b: &l.out, mu: &l.mu}
	l.cmd.Stdout, l.cmd.Stderr = w, w
	if err := l.cmd.Start(); err != nil {
		return nil, err
	}
	go func() { l.cmd.Wait(); close(l.exited) }()
	return l, nil
}

// Send writes one command line (e.g. "call sip:...", "123#", "terminate").
func (l *Linphone) Send(line string) error {
	_, err := io.WriteString(l.stdin, line+"\n")
	return err
}

// Output is what linphonec printed so far.
func (l *Linphone) Output() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.out.String()
}

// WaitOutput waits until linphonec printed s.
func (l *Linphone) WaitOutput(ctx context.Context, s string) error {
	for !strings.Contains(l.Output(), s) {
		select {
		case <-ctx.Done():
			return fmt.Errorf("linphonec: waiting for %q: %w", s, ctx.Err())
		case <-l.exited:
			if strings.Contains(l.Output(), s) {
				return nil
			}
			return fmt.Errorf("linphonec exited before %q", s)
		case <-time.After(50 * time.Millisecond):
		}
	}
	return nil
}

// Stop quits linphonec and waits (killing it after 3 s).
func (l *Linphone) Stop() {
	l.Send("quit")
	l.stdin.Close()
	select {
	case <-l.exited:
	case <-time.After(3 * time.Second):
		l.cmd.Process.Signal(syscall.SIGTERM) // timeout(1) passes it on
		<-l.exited
	}
}
