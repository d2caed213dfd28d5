package httpapi

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A minimal client for chromedriver's W3C WebDriver HTTP API: enough to open
// a page, run script, click, type and take a screenshot. No module needed.

const chromiumBinary = "/usr/bin/chromium"

// chromiumFlags are the ones this machine needs (see the environment notes):
// root needs --no-sandbox; the networking flags stop Chromium from dialling
// Google's services on a network that refuses them.
var chromiumFlags = []string{
	"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
	"--disable-background-networking", "--disable-component-update", "--disable-sync",
	"--disable-dev-shm-usage", "--window-size=1500,1050", "--force-device-scale-factor=1",
}

type webDriver struct {
	t       *testing.T
	base    string // http://127.0.0.1:PORT
	session string
	client  *http.Client
}

// startChromeDriver starts chromedriver on a free loopback port and a fresh
// Chromium session with its own profile directory. It skips the test when
// either is missing, unless SWITCHBOARD_E2E=1 (make test) says they must be
// there.
func startChromeDriver(t *testing.T) *webDriver {
	t.Helper()
	driverPath, err := exec.LookPath("chromedriver")
	if _, serr := os.Stat(chromiumBinary); err != nil || serr != nil {
		msg := "browser test needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver; listed in scripts/debian-packages.txt)"
		if os.Getenv("SWITCHBOARD_E2E") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	port := freePort(t)
	logPath := filepath.Join(t.TempDir(), "chromedriver.log")
	cmd := exec.Command(driverPath, fmt.Sprintf("--port=%d", port), "--allowed-ips=127.0.0.1", "--log-path="+logPath)
	if err := cmd.Start(); err != nil {
		t.Fatalf("start chromedriver: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			if b, err := os.ReadFile(logPath); err == nil && len(b) > 0 {
				t.Logf("chromedriver log (tail):\n%s", tail(string(b), 3000))
			}
		}
	})
	wd := &webDriver{t: t, base: fmt.Sprintf("http://127.0.0.1:%d", port), client: &http.Client{Timeout: 60 * time.Second}}

	// Readiness: chromedriver answers /status with ready:true once it listens.
	deadline := time.Now().Add(20 * time.Second)
	for {
		var st struct {
			Value struct{ Ready bool } `json:"value"`
		}
		if err := wd.call("GET", "/status", nil, &st); err == nil && st.Value.Ready {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("chromedriver not ready on port %d after 20 s", port)
		}
		time.Sleep(25 * time.Millisecond)
	}

	args := append(append([]string(nil), chromiumFlags...), "--user-data-dir="+t.TempDir())
	caps := map[string]any{"capabilities": map[string]any{"alwaysMatch": map[string]any{
		"browserName":        "chrome",
		"goog:chromeOptions": map[string]any{"binary": chromiumBinary, "args": args},
	}}}
	var created struct {
		Value struct {
			SessionID string `json:"sessionId"`
		} `json:"value"`
	}
	if err := wd.call("POST", "/session", caps, &created); err != nil {
		t.Fatalf("new session: %v", err)
	}
	wd.session = created.Value.SessionID
	t.Cleanup(func() { wd.call("DELETE", "/session/"+wd.session, nil, nil) })
	return wd
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// call does one WebDriver command; a W3C error body becomes the error.
func (wd *webDriver) call(method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, wd.base+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := wd.client.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return err
	}
	if res.StatusCode != http.StatusOK {
		var e struct {
			Value struct{ Error, Message string } `json:"value"`
		}
		json.Unmarshal(b, &e)
		return fmt.Errorf("%s %s: %d %s: %s", method, path, res.StatusCode, e.Value.Error, firstLine(e.Value.Message))
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

func (wd *webDriver) sessionCall(method, path string, body, out any) {
	wd.t.Helper()
	if err := wd.call(method, "/session/"+wd.session+path, body, out); err != nil {
		wd.t.Fatal(err)
	}
}

func (wd *webDriver) navigate(url string) {
	wd.t.Helper()
	wd.sessionCall("POST", "/url", map[string]any{"url": url}, nil)
}

// exec runs script in the page and decodes its return value into out.
func (wd *webDriver) exec(script string, out any, args ...any) {
	wd.t.Helper()
	if args == nil {
		args = []any{}
	}
	var res struct {
		Value json.RawMessage `json:"value"`
	}
	wd.sessionCall("POST", "/execute/sync", map[string]any{"script": script, "args": args}, &res)
	if out != nil {
		if err := json.Unmarshal(res.Value, out); err != nil {
			wd.t.Fatalf("script result %s: %v", res.Value, err)
		}
	}
}

// element finds one element by CSS selector.
func (wd *webDriver) element(css string) string {
	wd.t.Helper()
	var res struct {
		Value map[string]string `json:"value"`
	}
	wd.sessionCall("POST", "/element", map[string]any{"using": "css selector", "value": css}, &res)
	for _, id := range res.Value { // the key is the W3C element identifier
		return id
	}
	wd.t.Fatalf("no element %q", css)
	return ""
}

// click finds and clicks; it finds again when a re-render replaced the
// element between the two commands (the page re-renders changed rows).
func (wd *webDriver) click(css string) {
	wd.t.Helper()
	var err error
	for range 3 {
		err = wd.call("POST", "/session/"+wd.session+"/element/"+wd.element(css)+"/click", map[string]any{}, nil)
		if err == nil || !strings.Contains(err.Error(), "stale element") {
			break
		}
	}
	if err != nil {
		wd.t.Fatal(err)
	}
}

func (wd *webDriver) typeInto(css, text string) {
	wd.t.Helper()
	wd.sessionCall("POST", "/element/"+wd.element(css)+"/value", map[string]any{"text": text}, nil)
}

// waitFor runs script until it returns true, failing after timeout with the
// last value of describe (a script returning what the page shows).
func (wd *webDriver) waitFor(what, script, describe string, timeout time.Duration) {
	wd.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		var ok bool
		wd.exec(script, &ok)
		if ok {
			return
		}
		if time.Now().After(deadline) {
			var shown any
			wd.exec(describe, &shown)
			wd.t.Fatalf("page never showed %s within %s; it shows %v", what, timeout, shown)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (wd *webDriver) screenshot(path string) {
	wd.t.Helper()
	var res struct {
		Value string `json:"value"`
	}
	wd.sessionCall("GET", "/screenshot", nil, &res)
	png, err := base64.StdEncoding.DecodeString(res.Value)
	if err != nil {
		wd.t.Fatalf("screenshot: %v", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		wd.t.Fatal(err)
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		wd.t.Fatal(err)
	}
	wd.t.Logf("screenshot: %s", path)
}
