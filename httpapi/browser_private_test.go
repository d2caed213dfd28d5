package httpapi

import (
	"strings"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/internal/clock"
)

// TestWallboardOffLoopbackWithToken: when serve binds a non-loopback
// address (PrivateReads) the event stream needs the token. The page used to
// open the stream without it and stayed "reconnecting…" for a remote
// supervisor. Now it takes the token from its address (#access_token=,
// then removed from the address bar) or asks for it once, and goes live.
// A caller's display text full of markup is shown as text, not run.
func TestWallboardOffLoopbackWithToken(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	wd := startChromeDriver(t)
	private := func(c *Config, _ *Deps) { c.PrivateReads = true; c.MinPush = 50 * time.Millisecond }
	const describe = `return {
		conn: document.querySelector('#conn').textContent,
		dialog: document.querySelector('#dialog').open ? document.querySelector('#dialog-title').textContent : 'closed',
		agents: document.querySelectorAll('tr[data-agent]').length,
		hash: location.hash,
	}`
	const live = `return document.querySelector('#conn').textContent === 'live' && document.querySelectorAll('tr[data-agent]').length === 3`

	// A bookmark with the token in the fragment.
	e := newEnvWithClock(t, clock.Real{}, private)
	const hostile = `<img src=x onerror="window.__xss=1">`
	e.center.enqueue("c-x", hostile, "billing")
	wd.navigate(e.hs.URL + "/#access_token=" + testToken)
	wd.waitFor("the live board from #access_token", live+` && location.hash === ''`, describe, 15*time.Second)
	wd.waitFor("the hostile caller shown as text", `return [...document.querySelectorAll('#calls td')].some(td => td.textContent === `+"`"+hostile+"`"+`)
		&& !document.querySelector('#calls img') && !window.__xss`, describe, 5*time.Second)

	// No token in the address: the page asks for the token only (no name)
	// and goes live with it. (A new server is a new origin: nothing kept.)
	e2 := newEnvWithClock(t, clock.Real{}, private)
	wd.navigate(e2.hs.URL + "/")
	wd.waitFor("the token dialog", `return document.querySelector('#dialog').open
		&& !document.querySelector('#row-token').classList.contains('hidden')
		&& document.querySelector('#row-name').classList.contains('hidden')`, describe, 15*time.Second)
	wd.typeInto("#in-token", "wrong-token")
	wd.click("#dialog-ok")
	wd.waitFor("the token dialog again, saying the token is wrong", `return document.querySelector('#dialog').open
		&& document.querySelector('#dialog-error').textContent.includes('invalid bearer token')`, describe, 15*time.Second)
	wd.typeInto("#in-token", testToken)
	wd.click("#dialog-ok")
	wd.waitFor("the live board after the token", live, describe, 15*time.Second)

	// The same requests as the page makes, at the HTTP level.
	if res := e2.do("GET", "/api/calls", ""); res.status != 401 {
		t.Errorf("GET /api/calls without token = %d; want 401", res.status)
	}
	if res := e2.do("GET", "/api/calls", "", withToken(testToken)); res.status != 200 || !strings.Contains(string(res.body), "[") {
		t.Errorf("GET /api/calls with token = %d %s; want 200", res.status, res.body)
	}
}
