package peers

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
)

// FreePort returns a port that was free on 127.0.0.1 for both UDP and TCP a
// moment ago (real agents need a number in their config, not port 0).
func FreePort() (int, error) {
	for range 20 {
		l, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		port := l.LocalAddr().(*net.UDPAddr).Port
		t, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		l.Close()
		if err == nil {
			t.Close()
			return port, nil
		}
	}
	return 0, fmt.Errorf("no free port")
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
