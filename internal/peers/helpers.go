package peers

import (
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
)

// FreePort returns a port that was free on 127.0.0.1 for both UDP and TCP a
// moment ago (real agents need a number in their config, not port 0).
func FreePort() (int, error) { return FreePorts(1) }

// FreePorts returns the first of n consecutive ports that were all free on
// 127.0.0.1 for UDP and TCP a moment ago. baresip needs two: it binds SIP
// on its port and SIP/TLS on the next one, and fails to start when that
// one is taken.
func FreePorts(n int) (int, error) {
	for range 50 {
		l, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		port := l.LocalAddr().(*net.UDPAddr).Port
		l.Close()
		if port+n-1 <= 65535 && portsFree(port, n) {
			return port, nil
		}
	}
	return 0, fmt.Errorf("no %d free consecutive ports", n)
}

func portsFree(first, n int) bool {
	var held []io.Closer
	defer func() {
		for _, c := range held {
			c.Close()
		}
	}()
	for p := first; p < first+n; p++ {
		u, err := net.ListenPacket("udp", fmt.Sprintf("127.0.0.1:%d", p))
		if err != nil {
			return false
		}
		held = append(held, u)
		t, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
		if err != nil {
			return false
		}
		held = append(held, t)
	}
	return true
}

// SpeechWAV speaks text with espeak-ng into an 8 kHz mono 16-bit WAV in dir,
// followed by padSeconds of silence (baresip hangs up when its microphone
// file ends).
func SpeechWAV(dir, text string, padSeconds int) (string, error) {
	raw := filepath.Join(dir, "speech-raw.wav")
	out := filepath.Join(dir, "speech.wav")
	if b, err := exec.Command("espeak-ng", "-w", raw, text).CombinedOutput(); err != nil {
		return "", fmt.Errorf("espeak-ng: %v: %s", err, b)
	}
	args := []string{raw, "-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer", out, "norm", "-3"}
	if padSeconds > 0 {
		args = append(args, "pad", "0", fmt.Sprint(padSeconds))
	}
	if b, err := exec.Command("sox", args...).CombinedOutput(); err != nil {
		return "", fmt.Errorf("sox: %v: %s", err, b)
	}
	os.Remove(raw)
	return out, nil
}

// Missing lists the named programs that are not installed.
func Missing(programs ...string) []string {
	var m []string
	for _, p := range programs {
		if _, err := exec.LookPath(p); err != nil {
			m = append(m, p)
		}
	}
	return m
}
