package arifake

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// DateFormat is the timestamp layout the real server uses: milliseconds and
// an offset without a colon, so not RFC 3339.
const DateFormat = "2006-01-02T15:04:05.000-0700"

// Options configures a Server. The zero value is usable.
type Options struct {
	Username, Password string // default "switchboard"/"switchboard"
	// Scale multiplies every media length, ring timeout and recording limit
	// (0 means 1). Tests use a small scale so a 20 s ring costs 20 ms.
	Scale float64
	// SoundLength is how long one media item plays before it finishes;
	// nil: DefaultSoundLength for every item.
	SoundLength func(media string) time.Duration
	// MissingSounds are sound names (without "sound:") that do not exist:
	// playing one starts and then finishes with state "failed".
	MissingSounds []string
	// LeaveLatency is how long after the 204 of continue a channel leaves
	// Stasis (StasisEnd), as on a real Asterisk, where the channel's own
	// thread carries out the continue after the request was answered; a
	// hang-up in between hangs the caller up. 0: it leaves before the 204.
	LeaveLatency time.Duration
	// HangupLatency is how long after a hang-up's ChannelHangupRequest
	// (and the PlaybackFinished of what the channel was playing) the
	// channel leaves its bridge and Stasis, as on a real Asterisk, where
	// the channel's own thread tears it down. 0: all at once.
	HangupLatency time.Duration
	// BeepLength is how long the beep of a recording started with
	// beep=true plays after RecordingStarted (0: none). As on a real
	// Asterisk, a stop request (answered 204) and a terminating key in
	// that time are ignored: Asterisk logs "Unexpected control subclass
	// '1101'" and the recording goes on.
	BeepLength time.Duration
}

// DefaultSoundLength is the length of a media item when Options.SoundLength
// is nil: long enough to barge into, short enough for tests.
const DefaultSoundLength = 40 * time.Millisecond

// Server is the fake ARI server. Serve it with net/http (it is an
// http.Handler rooted at "/", answering under /ari/).
type Server struct {
	opts       Options
	asteriskID string

	mu         sync.Mutex
	seq        int
	channels   map[string]*channel
	bridges    map[string]*bridge
	playbacks  map[string]*playback
	live       map[string]*liveRecording
	stored     map[string]*StoredRecording
	endpoints  map[string]EndpointBehavior
	apps       map[string]*wsConn // the WebSocket currently registered per app
	known      map[string]bool    // apps that ever registered
	conns      map[*wsConn]bool
	faults     []*Fault
	rejectWS   bool
	requests   []Request
	events     []Sent
	changed    chan struct{}
	mohClasses map[string]bool
	closed     chan struct{}
	closeOnce  sync.Once
}

// Request is one REST request the server received.
type Request struct {
	Method string
	Path   string // without the /ari prefix, e.g. /channels/1.1/answer
	Params map[string]string
	Status int
}

// Sent is one event the server emitted, with the app it was meant for and
// whether a WebSocket was there to take it.
type Sent struct {
	App       string
	Type      string
	Delivered bool
	Event     map[string]any
}

// New returns a fake ARI server.
func New(opts Options) *Server {
	if opts.Username == "" {
		opts.Username, opts.Password = "switchboard", "switchboard"
	}
	if opts.Scale == 0 {
		opts.Scale = 1
	}
	return &Server{
		opts:       opts,
		asteriskID: "02:fc:00:00:00:01",
		channels:   map[string]*channel{},
		bridges:    map[string]*bridge{},
		playbacks:  map[string]*playback{},
		live:       map[string]*liveRecording{},
		stored:     map[string]*StoredRecording{},
		endpoints:  map[string]EndpointBehavior{},
		apps:       map[string]*wsConn{},
		known:      map[string]bool{},
		conns:      map[*wsConn]bool{},
		changed:    make(chan struct{}),
		mohClasses: map[string]bool{"default": true},
		closed:     make(chan struct{}),
	}
}

// Close releases requests held by Hang faults and closes every WebSocket,
// so an http.Server serving the fake can shut down.
func (s *Server) Close() {
	s.closeOnce.Do(func() { close(s.closed) })
	s.DropWebSockets()
}

// Fault makes matching requests fail. Method "" matches any method; Path is
// matched as a substring of the path below /ari. Times 0 means forever.
type Fault struct {
	Method  string
	Path    string
	Status  int
	Message string
	Times   int
	// Hang makes the server never answer: the request waits until the
	// client gives up (an Asterisk that is wedged).
	Hang bool
	hits int
}

// Fail installs a fault; it applies before any other processing except auth.
func (s *Server) Fail(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &f)
}

// ClearFaults removes every installed fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// Requests returns the REST requests received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Events returns every event emitted so far, in order.
func (s *Server) Events() []Sent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Sent(nil), s.events...)
}

// notifyLocked wakes every Await.
func (s *Server) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// Await blocks until cond returns true, re-checking it after every change
// of the server's state, or until done is closed (then it returns false).
// cond must not call Await; it may call the server's accessors.
func (s *Server) Await(done <-chan struct{}, cond func() bool) bool {
	for {
		s.mu.Lock()
		ch := s.changed
		s.mu.Unlock()
		if cond() {
			return true
		}
		select {
		case <-ch:
		case <-done:
			return cond()
		}
	}
}

func (s *Server) scaled(d time.Duration) time.Duration {
	return time.Duration(float64(d) * s.opts.Scale)
}

func (s *Server) nowStamp() string { return time.Now().Format(DateFormat) }

// nextIDLocked returns an Asterisk-style channel id: epoch seconds, a dot, a
// counter.
func (s *Server) nextIDLocked() string {
	s.seq++
	return fmt.Sprintf("%d.%d", time.Now().Unix(), s.seq)
}

func (s *Server) uuidLocked() string {
	s.seq++
	now := time.Now().UnixNano()
	return fmt.Sprintf("%08x-%04x-4%03x-a%03x-%012x", uint32(now>>16), s.seq&0xffff, s.seq&0xfff, now&0xfff, now&0xffffffffffff)
}

// apiError is an error response; key is "message" except for the one place
// the real server says "error".
type apiError struct {
	status int
	key    string
	msg    string
}

func errf(status int, format string, args ...any) *apiError {
	return &apiError{status: status, key: "message", msg: fmt.Sprintf(format, args...)}
}

// jsonKeys is the params entry listing the keys that came in a JSON body
// as strings.
const jsonKeys = "\x00json"

// fromJSONString reports whether key came in the JSON body as a single
// string: Asterisk does not split such a value on commas.
func fromJSONString(p map[string]string, key string) bool {
	for _, k := range strings.Split(p[jsonKeys], ",") {
		if k == key {
			return true
		}
	}
	return false
}

// params merges the query string and a JSON object body, as Asterisk does.
// Non-string JSON values are turned into their text; "variables" keeps its
// object in the returned map under that key, encoded as JSON.
func parseParams(r *http.Request) (map[string]string, *apiError) {
	p := map[string]string{}
	for k, v := range r.URL.Query() {
		if len(v) > 0 {
			p[k] = v[0]
		}
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if len(strings.TrimSpace(string(body))) == 0 {
		return p, nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(body, &obj); err != nil {
		return nil, errf(400, "Error parsing request body")
	}
	var fromJSON []string
	for k, raw := range obj {
		var str string
		if json.Unmarshal(raw, &str) == nil {
			fromJSON = append(fromJSON, k)
			p[k] = str
			continue
		}
		var list []string
		if json.Unmarshal(raw, &list) == nil {
			p[k] = strings.Join(list, ",")
			continue
		}
		if k == "variables" {
			p[k] = string(raw)
			continue
		}
		var num float64
		if json.Unmarshal(raw, &num) == nil {
			p[k] = strconv.FormatFloat(num, 'f', -1, 64)
			continue
		}
		var b bool
		if json.Unmarshal(raw, &b) == nil {
			p[k] = strconv.FormatBool(b)
			continue
		}
		if string(raw) != "null" {
			p[k] = string(raw)
		}
	}
	p[jsonKeys] = strings.Join(fromJSON, ",")
	return p, nil
}

func (s *Server) authorized(r *http.Request) bool {
	if u, pw, ok := r.BasicAuth(); ok {
		return u == s.opts.Username && pw == s.opts.Password
	}
	if key := r.URL.Query().Get("api_key"); key != "" {
		return key == s.opts.Username+":"+s.opts.Password
	}
	return false
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if v != nil {
		_ = json.NewEncoder(w).Encode(v)
	}
}

// ServeHTTP answers REST requests under /ari and upgrades /ari/events.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path, ok := strings.CutPrefix(r.URL.Path, "/ari")
	if !ok {
		writeJSON(w, 404, map[string]string{"message": "Resource not found"})
		return
	}
	if !s.authorized(r) {
		writeJSON(w, 401, map[string]string{"message": "Authentication required"})
		return
	}
	if path == "/events" {
		s.serveEvents(w, r)
		return
	}
	params, perr := parseParams(r)
	var (
		status int
		resp   any
	)
	if s.hangs(r.Method, path) {
		select {
		case <-r.Context().Done():
		case <-s.closed:
		}
		return
	}
	if perr == nil {
		status, resp, perr = s.dispatch(r.Method, path, params)
	}
	if perr != nil {
		status = perr.status
		resp = map[string]string{perr.key: perr.msg}
	}
	s.mu.Lock()
	s.requests = append(s.requests, Request{Method: r.Method, Path: path, Params: params, Status: status})
	s.notifyLocked()
	s.mu.Unlock()
	if status == http.StatusNoContent {
		w.WriteHeader(status)
		return
	}
	writeJSON(w, status, resp)
}

type handlerFunc func(s *Server, vars map[string]string, p map[string]string) (int, any, *apiError)

type route struct {
	method  string
	pattern []string
	h       handlerFunc
}

func splitPath(p string) []string {
	p = strings.Trim(p, "/")
	if p == "" {
		return nil
	}
	parts := strings.Split(p, "/")
	for i, part := range parts {
		if u, err := url.PathUnescape(part); err == nil {
			parts[i] = u
		}
	}
	return parts
}

func match(pattern, parts []string) (map[string]string, bool) {
	if len(pattern) != len(parts) {
		return nil, false
	}
	vars := map[string]string{}
	for i, seg := range pattern {
		if strings.HasPrefix(seg, "{") {
			vars[strings.Trim(seg, "{}")] = parts[i]
			continue
		}
		if seg != parts[i] {
			return nil, false
		}
	}
	return vars, true
}

// dispatch finds the route; an unknown path is 404 "Resource not found" and
// a known path with another method is 405 "Invalid method", as on Asterisk.
func (s *Server) dispatch(method, path string, p map[string]string) (int, any, *apiError) {
	if f := s.fault(method, path); f != nil {
		return 0, nil, f
	}
	parts := splitPath(path)
	pathKnown := false
	for _, rt := range routes {
		vars, ok := match(rt.pattern, parts)
		if !ok {
			continue
		}
		pathKnown = true
		if rt.method != method {
			continue
		}
		return rt.h(s, vars, p)
	}
	if pathKnown {
		return 0, nil, errf(405, "Invalid method")
	}
	return 0, nil, errf(404, "Resource not found")
}

// hangs reports whether a Hang fault matches (and counts the hit).
func (s *Server) hangs(method, path string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.faults {
		if !f.Hang || (f.Method != "" && f.Method != method) || !strings.Contains(path, f.Path) {
			continue
		}
		f.hits++
		if f.Times > 0 && f.hits >= f.Times {
			s.faults = append(s.faults[:i], s.faults[i+1:]...)
		}
		return true
	}
	return false
}

func (s *Server) fault(method, path string) *apiError {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.faults {
		if f.Hang || (f.Method != "" && f.Method != method) || !strings.Contains(path, f.Path) {
			continue
		}
		f.hits++
		if f.Times > 0 && f.hits >= f.Times {
			s.faults = append(s.faults[:i], s.faults[i+1:]...)
		}
		return errf(f.Status, "%s", f.Message)
	}
	return nil
}

// routes are the resources this fake serves; each exists in the API
// declarations (TestRoutesAreDeclared holds that line).
var routes []route

func handle(method, pattern string, h handlerFunc) {
	routes = append(routes, route{method: method, pattern: splitPath(pattern), h: h})
}

func init() {
	handle("GET", "/asterisk/info", (*Server).asteriskInfo)
	handle("GET", "/asterisk/ping", (*Server).asteriskPing)
	handle("GET", "/applications", (*Server).listApplications)
	handle("GET", "/applications/{applicationName}", (*Server).getApplication)
	handle("GET", "/endpoints", (*Server).listEndpoints)
	handle("GET", "/sounds/{soundId}", (*Server).getSound)
	registerChannelRoutes()
	registerMediaRoutes()
}

func (s *Server) asteriskInfo(_, _ map[string]string) (int, any, *apiError) {
	return 200, map[string]any{
		"build":  map[string]string{"os": "Linux", "machine": "x86_64", "options": "", "date": "", "user": "arifake"},
		"system": map[string]string{"version": "GIT-master-f0c1c1a7b7", "entity_id": s.asteriskID},
		"config": map[string]any{"name": "", "default_language": "en", "setid": map[string]string{"user": "", "group": ""}},
		"status": map[string]string{"startup_time": s.nowStamp(), "last_reload_time": s.nowStamp()},
	}, nil
}

func (s *Server) asteriskPing(_, _ map[string]string) (int, any, *apiError) {
	return 200, map[string]string{"ping": "pong", "timestamp": s.nowStamp(), "asterisk_id": s.asteriskID}, nil
}

func (s *Server) appJSONLocked(name string) map[string]any {
	ids := []string{}
	for _, c := range s.channels {
		if c.inStasis && c.app == name {
			ids = append(ids, c.ID)
		}
	}
	bids := []string{}
	for _, b := range s.bridges {
		bids = append(bids, b.ID)
	}
	return map[string]any{"name": name, "channel_ids": ids, "bridge_ids": bids, "endpoint_ids": []string{},
		"device_names": []string{}, "events_allowed": []any{}, "events_disallowed": []any{}}
}

func (s *Server) listApplications(_, _ map[string]string) (int, any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []any{}
	for name := range s.known {
		out = append(out, s.appJSONLocked(name))
	}
	return 200, out, nil
}

func (s *Server) getApplication(v, _ map[string]string) (int, any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.known[v["applicationName"]] {
		return 0, nil, errf(404, "Application not found")
	}
	return 200, s.appJSONLocked(v["applicationName"]), nil
}

func (s *Server) listEndpoints(_, _ map[string]string) (int, any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []any{map[string]any{"technology": "PJSIP", "resource": "anonymous", "state": "offline", "channel_ids": []string{}}}
	for ep, b := range s.endpoints {
		tech, res, _ := strings.Cut(ep, "/")
		state := "online"
		if b.Kind == Unreachable {
			state = "offline"
		}
		out = append(out, map[string]any{"technology": tech, "resource": res, "state": state, "channel_ids": []string{}})
	}
	return 200, out, nil
}

func (s *Server) getSound(v, _ map[string]string) (int, any, *apiError) {
	if s.soundMissing(v["soundId"]) {
		return 0, nil, errf(404, "Sound not found")
	}
	return 200, map[string]any{"id": v["soundId"], "formats": []any{map[string]string{"language": "en", "format": "wav"}}}, nil
}

func (s *Server) soundMissing(name string) bool {
	for _, m := range s.opts.MissingSounds {
		if m == name {
			return true
		}
	}
	return false
}
