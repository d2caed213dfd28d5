package ari

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// baresip is a real SIP user agent driven over its ctrl_tcp JSON
// interface (netstrings), as /work/shared/REAL-PEERS.md recipe A describes.
type baresip struct {
	t      *testing.T
	dir    string
	conn   net.Conn
	mu     sync.Mutex
	events []map[string]any
	sig    chan struct{}
	cmd    *exec.Cmd
}

type baresipOpts struct {
	name    string // folder name
	sipPort int
	ctrl    int
	rtpLo   int
	account string // accounts line
	source  string // WAV the phone "speaks"
}

func startBaresip(t *testing.T, o baresipOpts) *baresip {
	t.Helper()
	dir := filepath.Join(t.TempDir(), o.name)
	for _, d := range []string{dir, filepath.Join(dir, "rec")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
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
`, o.sipPort, o.source, o.rtpLo, o.rtpLo+40, filepath.Join(dir, "rec"), o.ctrl)
	files := map[string]string{"config": config, "accounts": o.account + "\n", "contacts": ""}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, "baresip", "-f", dir, "-t", "120")
	cmd.Stdin = nil
	logf, _ := os.Create(filepath.Join(dir, "baresip.log"))
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	b := &baresip{t: t, dir: dir, sig: make(chan struct{}), cmd: cmd}
	t.Cleanup(func() {
		if b.conn != nil {
			_ = b.send("quit", "")
			b.conn.Close()
		}
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(3 * time.Second):
			cancel()
			<-done
		}
		logf.Close()
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		conn, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(o.ctrl))
		if err == nil {
			b.conn = conn
			break
		}
		if time.Now().After(deadline) {
			out, _ := os.ReadFile(filepath.Join(dir, "baresip.log"))
			t.Fatalf("baresip %s: ctrl_tcp never came up: %v\n%s", o.name, err, out)
		}
		time.Sleep(50 * time.Millisecond)
	}
	go b.read()
	return b
}

// read collects events from the netstring stream.
func (b *baresip) read() {
	r := bufio.NewReader(b.conn)
	for {
		lenStr, err := r.ReadString(':')
		if err != nil {
			return
		}
		n, err := strconv.Atoi(strings.TrimSpace(lenStr[:len(lenStr)-1]))
		if err != nil {
			return
		}
		buf := make([]byte, n+1)
		if _, err := io.ReadFull(r, buf); err != nil {
			return
		}
		var m map[string]any
		if json.Unmarshal(buf[:n], &m) != nil {
			continue
		}
		b.mu.Lock()
		b.events = append(b.events, m)
		close(b.sig)
		b.sig = make(chan struct{})
		b.mu.Unlock()
	}
}

func (b *baresip) send(command, params string) error {
	msg, _ := json.Marshal(map[string]string{"command": command, "params": params, "token": command})
	_, err := fmt.Fprintf(b.conn, "%d:%s,", len(msg), msg)
	return err
}

// waitEvent waits for a call event of type typ.
func (b *baresip) waitEvent(typ string, d time.Duration) (map[string]any, bool) {
	deadline := time.After(d)
	seen := 0
	for {
		b.mu.Lock()
		evs, sig := b.events, b.sig
		b.mu.Unlock()
		for ; seen < len(evs); seen++ {
			if evs[seen]["type"] == typ {
				return evs[seen], true
			}
		}
		select {
		case <-sig:
		case <-deadline:
			return nil, false
		}
	}
}

// heard returns the WAV files of what the phone heard (sndfile's -dec).
func (b *baresip) heard() []string {
	files, _ := filepath.Glob(filepath.Join(b.dir, "rec", "*-dec.wav"))
	return files
}
