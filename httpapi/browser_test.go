package httpapi

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/internal/clock"
)

// artifactDir is where the browser test leaves its screenshot:
// $SWITCHBOARD_ARTIFACTS, or switchboard-artifacts under the temp dir.
func artifactDir() string {
	if d := os.Getenv("SWITCHBOARD_ARTIFACTS"); d != "" {
		return d
	}
	return filepath.Join(os.TempDir(), "switchboard-artifacts")
}

// TestWallboardInChromium drives the real page in headless Chromium: an
// agent logs in through the API and a simulated call enters a queue, and the
// page shows both without reloading; then a supervisor sets an agent
// not-ready from the board, giving the token once.
func TestWallboardInChromium(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	wd := startChromeDriver(t)
	e := newEnvWithClock(t, clock.Real{}, func(c *Config, _ *Deps) { c.MinPush = 50 * time.Millisecond })

	wd.navigate(e.hs.URL + "/")
	// A marker that a reload would wipe out.
	wd.exec(`window.__boardMarker = 'loaded-once'; return true`, nil)
	const describe = `return {
		conn: document.querySelector('#conn').textContent,
		tiles: [...document.querySelectorAll('.tile')].map(t => t.dataset.queue + ':' + t.querySelector('.waiting').textContent),
		agents: [...document.querySelectorAll('tr[data-agent]')].map(r => r.dataset.agent + ':' + r.querySelector('.state').dataset.state + ':' + r.querySelector('.reason').textContent),
		marker: window.__boardMarker || 'RELOADED',
	}`
	wd.waitFor("the live board", `return document.querySelector('#conn').textContent === 'live'
		&& !!document.querySelector('.tile[data-queue="billing"]')
		&& document.querySelectorAll('tr[data-agent]').length === 3
		&& document.querySelectorAll('#chart-calls rect').length > 0`, describe, 15*time.Second)
	wd.waitFor("agent 1001 logged out, nothing waiting", `return document.querySelector('tr[data-agent="1001"] .state').dataset.state === 'logged_out'
		&& document.querySelector('.tile[data-queue="billing"] .waiting').textContent === '0'`, describe, 5*time.Second)

	// The agent logs in and goes ready through the API; a caller queues.
	for _, p := range []string{"/api/agents/1001/login", "/api/agents/1001/ready"} {
		if res := e.post(p, ""); res.status != 200 {
			t.Fatalf("POST %s = %d %s", p, res.status, res.body)
		}
	}
	e.center.enqueue("c-1", "+8613800000001", "billing")
	wd.waitFor("the waiting call and agent 1001 ready, without reload", `return document.querySelector('tr[data-agent="1001"] .state').dataset.state === 'ready'
		&& document.querySelector('.tile[data-queue="billing"] .waiting').textContent === '1'
		&& document.querySelector('.tile[data-queue="billing"] .ready').textContent === '2'
		&& !!document.querySelector('#calls tr[data-call="c-1"]')
		&& window.__boardMarker === 'loaded-once'`, describe, 5*time.Second)

	// More traffic, so the screenshot shows a busy board.
	e.center.enqueue("c-2", "+8613800000002", "billing")
	e.center.enqueue("c-3", "+8613800000004", "outage")
	wd.waitFor("three waiting calls", `return document.querySelector('.tile[data-queue="billing"] .waiting').textContent === '2'
		&& document.querySelector('.tile[data-queue="outage"] .waiting').textContent === '1'`, describe, 5*time.Second)

	// The supervisor sets agent 1002 not-ready from the board: the page asks
	// for name and token once, then for the reason.
	wd.click(`tr[data-agent="1002"] button[data-action="not-ready"]`)
	wd.waitFor("the sign-in dialog", `return document.querySelector('#dialog').open && !document.querySelector('#row-token').classList.contains('hidden')`, describe, 5*time.Second)
	wd.typeInto("#in-name", "sup-ana")
	wd.typeInto("#in-token", testToken)
	wd.click("#dialog-ok")
	wd.waitFor("the reason dialog", `return document.querySelector('#dialog').open && document.querySelector('#row-token').classList.contains('hidden')`, describe, 5*time.Second)
	wd.typeInto("#in-reason", "coaching")
	wd.click("#dialog-ok")
	wd.waitFor("agent 1002 not ready (coaching)", `return document.querySelector('tr[data-agent="1002"] .state').dataset.state === 'not_ready'
		&& document.querySelector('tr[data-agent="1002"] .reason').textContent === 'coaching'
		&& window.__boardMarker === 'loaded-once'`, describe, 5*time.Second)
	if got := e.center.actions(); !slices.Contains(got, "not-ready 1002 by=sup-ana reason=coaching") {
		t.Errorf("ACD saw %q; want the supervisor's not-ready for 1002", got)
	}

	// The token is remembered for the tab: a forced logout asks only why.
	wd.click(`tr[data-agent="1001"] button[data-action="logout"]`)
	wd.waitFor("the reason dialog without sign-in", `return document.querySelector('#dialog').open && document.querySelector('#row-token').classList.contains('hidden')`, describe, 5*time.Second)
	wd.typeInto("#in-reason", "end of shift")
	wd.click("#dialog-ok")
	wd.waitFor("agent 1001 logged out", `return document.querySelector('tr[data-agent="1001"] .state').dataset.state === 'logged_out'`, describe, 5*time.Second)
	if got := e.center.actions(); !slices.Contains(got, "logout 1001 by=sup-ana reason=end of shift") {
		t.Errorf("ACD saw %q; want the supervisor's logout of 1001", got)
	}

	// Let the toast fade so the screenshot shows the board itself.
	wd.waitFor("the toast to fade", `return getComputedStyle(document.querySelector('#toast')).opacity === '0'`, describe, 10*time.Second)
	wd.screenshot(filepath.Join(artifactDir(), "wallboard.png"))

	// A server with no token: the board shows everything but offers no
	// actions it would refuse.
	open := newEnvWithClock(t, clock.Real{}, func(c *Config, _ *Deps) { c.Token = "" })
	wd.navigate(open.hs.URL + "/")
	wd.waitFor("a read-only board", `return document.querySelector('#conn').textContent === 'live'
		&& document.querySelectorAll('tr[data-agent]').length === 3
		&& document.querySelectorAll('tr[data-agent] button').length === 0
		&& document.querySelector('#supervisor').classList.contains('hidden')`, describe, 10*time.Second)
}
