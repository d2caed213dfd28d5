package arifake

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/websocket"
)

// The files in testdata are real traffic captured from the Asterisk build
// Switchboard targets (see ../../../shared/ari/samples/README.md).

func readJSONL(t *testing.T, name string) []map[string]any {
	t.Helper()
	f, err := os.Open("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []map[string]any
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

// shape is an event's key structure: its keys, and the keys of its
// nested objects, sorted; values are ignored.
func shape(v any, prefix string, out *[]string) {
	m, ok := v.(map[string]any)
	if !ok {
		return
	}
	for k, sub := range m {
		*out = append(*out, prefix+k)
		shape(sub, prefix+k+".", out)
	}
}

func shapeOf(v any) string {
	var keys []string
	shape(v, "", &keys)
	sort.Strings(keys)
	return strings.Join(keys, " ")
}

// informational events that real Asterisk sends and the fake does not
// model (channel variables, dialplan steps, caller-id updates).
var informational = map[string]bool{"ChannelVarset": true, "ChannelDialplan": true, "ChannelCallerId": true,
	"ChannelConnectedLine": true}

type client struct {
	t   *testing.T
	srv *httptest.Server
	ws  *websocket.Conn
}

func newClient(t *testing.T, f *Server) *client {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	cfg, _ := websocket.NewConfig(strings.Replace(srv.URL, "http", "ws", 1)+"/ari/events?app=switchboard", "http://localhost/")
	cfg.Header.Set("Authorization", "Basic c3dpdGNoYm9hcmQ6c3dpdGNoYm9hcmQ=")
	ws, err := websocket.DialConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ws.Close() })
	stop := make(chan struct{})
	time.AfterFunc(5*time.Second, func() { close(stop) })
	if !f.Await(stop, func() bool { return f.Connected("switchboard") }) {
		t.Fatal("app never registered")
	}
	return &client{t: t, srv: srv, ws: ws}
}

// do sends one REST request; body "" sends none.
func (c *client) do(method, uri, body string) (int, map[string]any) {
	c.t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, c.srv.URL+uri, r)
	req.SetBasicAuth("switchboard", "switchboard")
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m
}

// next reads the next event that is not informational.
func (c *client) next() map[string]any {
	c.t.Helper()
	for {
		_ = c.ws.SetReadDeadline(time.Now().Add(5 * time.Second))
		var data []byte
		if err := websocket.Message.Receive(c.ws, &data); err != nil {
			c.t.Fatalf("no event: %v", err)
		}
		var m map[string]any
		if err := json.Unmarshal(data, &m); err != nil {
			c.t.Fatal(err)
		}
		if !informational[m["type"].(string)] {
			return m
		}
	}
}

// TestReplaySIPInbound plays the captured SIP call against the fake: the
// same requests, the same status codes, the same events in the same order
// with the same shapes, and timestamps in the real format.
func TestReplaySIPInbound(t *testing.T) {
	var real []map[string]any
	for _, e := range readJSONL(t, "sip-inbound-events.jsonl") {
		if !informational[e["type"].(string)] {
			real = append(real, e)
		}
	}
	f := New(Options{SoundLength: func(string) time.Duration { return 100 * time.Millisecond }})
	c := newClient(t, f)
	ch, err := f.Call(CallSpec{From: "5559876", Name: "Bob", Exten: "1000", Context: "switchboard-in", Args: []string{"inbound", "1000"}})
	if err != nil {
		t.Fatal(err)
	}
	var got []map[string]any
	got = append(got, c.next()) // StasisStart
	id := ch.ID()
	steps := []struct {
		method, uri string
		status      int
		events      int // events the step causes
		act         func()
	}{
		{"GET", "/ari/channels/" + id, 200, 0, nil},
		{"POST", "/ari/channels/" + id + "/answer", 204, 1, nil},
		{"POST", "/ari/channels/" + id + "/play?media=sound%3Ahello-world&playbackId=sip-greeting", 201, 2, nil},
		{"", "", 0, 3, func() { _ = ch.DTMF("12#") }},
		{"", "", 0, 2, ch.Hangup},
		{"POST", "/ari/channels/" + id + "/answer", 404, 0, nil},
	}
	for _, st := range steps {
		if st.act != nil {
			st.act()
		} else if status, _ := c.do(st.method, st.uri, ""); status != st.status {
			t.Errorf("%s %s = %d; want %d (as on Asterisk)", st.method, st.uri, status, st.status)
		}
		for i := 0; i < st.events; i++ {
			got = append(got, c.next())
		}
	}
	if len(got) != len(real) {
		t.Fatalf("fake sent %d events; Asterisk sent %d", len(got), len(real))
	}
	for i := range real {
		if got[i]["type"] != real[i]["type"] {
			t.Errorf("event %d: %v; Asterisk sent %v", i, got[i]["type"], real[i]["type"])
			continue
		}
		if g, w := shapeOf(got[i]), shapeOf(real[i]); g != w {
			t.Errorf("%v shape:\n fake     %s\n asterisk %s", got[i]["type"], g, w)
		}
		ts, _ := got[i]["timestamp"].(string)
		if _, err := time.Parse(DateFormat, ts); err != nil || strings.Contains(ts[len(ts)-5:], ":") {
			t.Errorf("timestamp %q is not in Asterisk's format", ts)
		}
	}
	if d := got[4]; d["digit"] != "1" || d["duration_ms"] == nil {
		t.Errorf("DTMF event %v; want digit 1 with duration_ms", d)
	}
}

// TestMultiMediaPlaybackOrder: Started, Continuing, Started again with the
// same id, Finished, as captured; a stopped playback finishes "done".
func TestMultiMediaPlaybackOrder(t *testing.T) {
	var real []map[string]any
	for _, e := range readJSONL(t, "ivr-session-events.jsonl") {
		if pb, ok := e["playback"].(map[string]any); ok && pb["id"] == "4b1a83af-45cc-4724-918e-2a79a706766b" {
			real = append(real, e)
		}
	}
	f := New(Options{})
	c := newClient(t, f)
	ch, _ := f.Call(CallSpec{Exten: "1000"})
	c.next()
	if status, body := c.do("POST", "/ari/channels/"+ch.ID()+"/play?media=sound%3Ayou-entered%2Cdigits%3A12", ""); status != 201 ||
		body["next_media_uri"] != "digits:12" || body["state"] != "queued" {
		t.Fatalf("play = %d %v", status, body)
	}
	for i, want := range real {
		got := c.next()
		pg, pw := got["playback"].(map[string]any), want["playback"].(map[string]any)
		if got["type"] != want["type"] || pg["state"] != pw["state"] || pg["media_uri"] != pw["media_uri"] || shapeOf(got) != shapeOf(want) {
			t.Errorf("event %d: %v %v; Asterisk sent %v %v", i, got["type"], pg, want["type"], pw)
		}
	}
	// Barge-in: DELETE still ends in "done".
	f.opts.SoundLength = func(string) time.Duration { return time.Hour }
	_, body := c.do("POST", "/ari/channels/"+ch.ID()+"/play?media=sound%3Ademo-congrats", "")
	c.next() // PlaybackStarted
	if status, _ := c.do("DELETE", "/ari/playbacks/"+body["id"].(string), ""); status != 204 {
		t.Fatalf("stop = %d", status)
	}
	if e := c.next(); e["type"] != "PlaybackFinished" || e["playback"].(map[string]any)["state"] != "done" {
		t.Errorf("after DELETE: %v; want PlaybackFinished done", e)
	}
	if status, body := c.do("GET", "/ari/playbacks/"+body["id"].(string), ""); status != 404 || body["message"] != "Playback not found" {
		t.Errorf("GET stopped playback = %d %v; want 404 Playback not found", status, body)
	}
}

// TestReplayErrorResponses replays every error exchange captured on
// Asterisk and expects the same status and body from the fake.
func TestReplayErrorResponses(t *testing.T) {
	f := New(Options{})
	f.SetEndpoint("Local/1001@switchboard-agents", EndpointBehavior{Kind: Answer})
	c := newClient(t, f)
	caller, _ := f.Call(CallSpec{Exten: "1000", Args: []string{"inbound", "1000"}})
	c.next()
	// The state the capture had: a bridge, an agent leg in Stasis and
	// one outside it (the far half of a Local channel there).
	if s, _ := c.do("POST", "/ari/bridges/c3527507-5178-4897-b611-f7e32fb7b26f?type=mixing", ""); s != 200 {
		t.Fatal("bridge")
	}
	if s, _ := c.do("POST", "/ari/channels?app=switchboard&appArgs=agent,1001&channelId=agent-1001&endpoint=Local%2F1001%40switchboard-agents", ""); s != 200 {
		t.Fatal("agent")
	}
	far, _ := f.Call(CallSpec{Exten: "1001"})
	if s, _ := c.do("POST", "/ari/channels/"+far.ID()+"/continue", ""); s != 204 {
		t.Fatal("far")
	}
	ids := strings.NewReplacer("1795397991.1", caller.ID(), "1795397991.0", caller.ID(), "agent-1001-far", far.ID())
	tornDown := false
	compared := 0
	for _, r := range readJSONL(t, "ivr-session-rest.jsonl") {
		step, _ := r["step"].(string)
		if step == "destroy bridge" {
			caller.Hangup()
			c.do("DELETE", "/ari/bridges/c3527507-5178-4897-b611-f7e32fb7b26f", "")
			tornDown = true
		}
		if !strings.HasPrefix(step, "error:") && !strings.HasPrefix(step, "auth failure") {
			continue
		}
		if strings.Contains(step, "stale error") {
			continue // Asterisk's thread-local errno bug: not reproduced on purpose
		}
		uri := ids.Replace(r["uri"].(string))
		if tornDown {
			uri = strings.ReplaceAll(uri, caller.ID(), "1795397991.1")
		}
		body := ""
		switch b := r["request_body"].(type) {
		case string:
			body = b
		case map[string]any:
			raw, _ := json.Marshal(b)
			body = string(raw)
		}
		req, _ := http.NewRequest(r["method"].(string), c.srv.URL+uri, strings.NewReader(body))
		switch r["auth"] {
		case "basic":
			req.SetBasicAuth("switchboard", "switchboard")
		case "basic with wrong password":
			req.SetBasicAuth("switchboard", "wrong")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var got any
		_ = json.NewDecoder(resp.Body).Decode(&got)
		resp.Body.Close()
		want := r["response_body"]
		compared++
		if resp.StatusCode != int(r["status"].(float64)) || !sameJSON(got, want) {
			t.Errorf("%s: %s %s = %d %v; Asterisk answered %v %v", step, r["method"], uri, resp.StatusCode, got, r["status"], want)
		}
	}
	if compared < 20 {
		t.Errorf("compared %d error exchanges; the capture has more than 20", compared)
	}
}

func sameJSON(a, b any) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}

// TestApplicationReplaced: the old socket hears ApplicationReplaced, new
// calls reach only the new socket.
func TestApplicationReplaced(t *testing.T) {
	f := New(Options{})
	first := newClient(t, f)
	cfg, _ := websocket.NewConfig(strings.Replace(first.srv.URL, "http", "ws", 1)+"/ari/events?app=switchboard&api_key=switchboard:switchboard", "http://localhost/")
	second, err := websocket.DialConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	if e := first.next(); e["type"] != "ApplicationReplaced" || e["application"] != "switchboard" {
		t.Fatalf("old socket got %v; want ApplicationReplaced", e)
	}
	stop := make(chan struct{})
	time.AfterFunc(5*time.Second, func() { close(stop) })
	f.Await(stop, func() bool { return f.Connections() == 2 })
	if _, err := f.Call(CallSpec{Exten: "2000", Args: []string{"probe"}}); err != nil {
		t.Fatal(err)
	}
	sc := &client{t: t, srv: first.srv, ws: second}
	if e := sc.next(); e["type"] != "StasisStart" {
		t.Errorf("new socket got %v; want StasisStart", e["type"])
	}
	_ = first.ws.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	var data []byte
	if err := websocket.Message.Receive(first.ws, &data); err == nil {
		t.Errorf("the replaced socket still receives: %s", data)
	}
}

func TestWebSocketUpgradeErrors(t *testing.T) {
	f := New(Options{})
	srv := httptest.NewServer(f)
	defer srv.Close()
	for _, r := range readJSONL(t, "ivr-session-ws-handshakes.jsonl") {
		if r["status"].(float64) == 101 {
			continue
		}
		q := strings.NewReplacer("%3Cwrong+password%3E", "wrong", "%3Ccorrect+password%3E", "switchboard").Replace(r["query_redacted"].(string))
		resp, err := http.Get(srv.URL + q)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		want := r["response_body"]
		wantBody, _ := want.(string)
		if m, ok := want.(map[string]any); ok {
			raw, _ := json.Marshal(m)
			wantBody = string(raw)
		}
		if resp.StatusCode != int(r["status"].(float64)) || strings.TrimSpace(string(body)) != strings.TrimSpace(wantBody) {
			t.Errorf("%s: %d %q; Asterisk answered %v %q", r["step"], resp.StatusCode, body, r["status"], wantBody)
		}
	}
}
