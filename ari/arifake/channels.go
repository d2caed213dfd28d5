package arifake

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// channel is one Asterisk channel: a caller scripted by a test or an agent
// leg originated over REST.
type channel struct {
	ID, Name, State      string
	CallerName, CallerNo string
	ConnName, ConnNo     string
	Context, Exten       string
	Priority             int
	AppName, AppData     string
	created              time.Time

	app        string
	inStasis   bool
	originated bool // created by POST /channels: ChannelDestroyed reaches the app
	vars       map[string]string
	bridge     string
	moh        string
	held       bool
	played     []string // every media item started on this channel, in order
	dtmfSent   string   // digits the controller sent towards this channel's far end
	continued  string   // "context,exten,priority" after /continue
	redirected string
	gone       bool

	endpoint   string
	appArgs    string
	dialStatus string
	timer      *time.Timer
}

type chanJSON struct {
	ID         string       `json:"id"`
	Name       string       `json:"name"`
	State      string       `json:"state"`
	ProtocolID string       `json:"protocol_id"`
	Caller     idName       `json:"caller"`
	Connected  idName       `json:"connected"`
	Account    string       `json:"accountcode"`
	Dialplan   dialplanJSON `json:"dialplan"`
	Created    string       `json:"creationtime"`
	Language   string       `json:"language"`
}

type idName struct {
	Name   string `json:"name"`
	Number string `json:"number"`
}

type dialplanJSON struct {
	Context  string `json:"context"`
	Exten    string `json:"exten"`
	Priority int    `json:"priority"`
	AppName  string `json:"app_name"`
	AppData  string `json:"app_data"`
}

func (c *channel) json() chanJSON {
	pid := ""
	if strings.HasPrefix(c.Name, "PJSIP/") {
		pid = c.ID + "@arifake"
	}
	return chanJSON{ID: c.ID, Name: c.Name, State: c.State, ProtocolID: pid,
		Caller: idName{c.CallerName, c.CallerNo}, Connected: idName{c.ConnName, c.ConnNo},
		Dialplan: dialplanJSON{c.Context, c.Exten, c.Priority, c.AppName, c.AppData},
		Created:  c.created.Format(DateFormat), Language: "en"}
}

func (s *Server) chanEventLocked(c *channel, typ string, extra map[string]any) {
	f := map[string]any{"channel": c.json()}
	for k, v := range extra {
		f[k] = v
	}
	s.emitLocked(c.app, typ, f)
}

// ErrNotRegistered is returned by Call when no WebSocket is registered for
// the app: Stasis() would fail and the dialplan would go on without it.
var ErrNotRegistered = errors.New("arifake: stasis application not registered")

// CallSpec describes a scripted inbound call.
type CallSpec struct {
	App     string   // Stasis application; default "switchboard"
	From    string   // caller number
	Name    string   // caller name
	Exten   string   // dialed extension (channel dialplan exten)
	Context string   // default "inbound"
	Args    []string // Stasis() arguments after the app name
}

// Channel is a test's handle on one channel of the fake.
type Channel struct {
	s  *Server
	id string
}

// Call puts a new caller into the Stasis application, as the dialplan line
// Stasis(app[,args]) would: StasisStart with args, state Ring.
func (s *Server) Call(spec CallSpec) (*Channel, error) {
	if spec.App == "" {
		spec.App = "switchboard"
	}
	if spec.Context == "" {
		spec.Context = "inbound"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.apps[spec.App] == nil {
		return nil, ErrNotRegistered
	}
	id := s.nextIDLocked()
	data := strings.Join(append([]string{spec.App}, spec.Args...), ",")
	c := &channel{ID: id, Name: fmt.Sprintf("PJSIP/anonymous-%08x", s.seq), State: "Ring",
		CallerName: spec.Name, CallerNo: spec.From, Context: spec.Context, Exten: spec.Exten, Priority: 2,
		AppName: "Stasis", AppData: data, created: time.Now(), app: spec.App, inStasis: true, vars: map[string]string{}}
	s.channels[id] = c
	args := spec.Args
	if args == nil {
		args = []string{}
	}
	s.chanEventLocked(c, "StasisStart", map[string]any{"args": args})
	return &Channel{s: s, id: id}, nil
}

// Channel returns a handle on the channel with id (which may not exist).
func (s *Server) Channel(id string) *Channel { return &Channel{s: s, id: id} }

// Originated returns handles on the live channels originated to endpoint
// (e.g. "PJSIP/1001"), oldest first.
func (s *Server) Originated(endpoint string) []*Channel {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*Channel
	var cs []*channel
	for _, c := range s.channels {
		if c.endpoint == endpoint {
			cs = append(cs, c)
		}
	}
	sortChannels(cs)
	for _, c := range cs {
		out = append(out, &Channel{s: s, id: c.ID})
	}
	return out
}

// StasisChannels lists the ids of live channels in app's Stasis.
func (s *Server) StasisChannels(app string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, c := range s.channels {
		if c.inStasis && c.app == app {
			out = append(out, c.ID)
		}
	}
	return out
}

func sortChannels(cs []*channel) {
	for i := 1; i < len(cs); i++ {
		for j := i; j > 0 && cs[j].created.Before(cs[j-1].created); j-- {
			cs[j], cs[j-1] = cs[j-1], cs[j]
		}
	}
}

// ID is the channel's id.
func (h *Channel) ID() string { return h.id }

func (h *Channel) read(f func(c *channel)) bool {
	h.s.mu.Lock()
	defer h.s.mu.Unlock()
	c := h.s.channels[h.id]
	if c == nil {
		return false
	}
	f(c)
	return true
}

// Gone reports whether the channel has been hung up (or never existed).
func (h *Channel) Gone() bool { return !h.read(func(*channel) {}) }

// State is the channel state ("Ring", "Up", ...), "" once gone.
func (h *Channel) State() (st string) {
	h.read(func(c *channel) { st = c.State })
	return st
}

// InStasis reports whether the channel is in its Stasis app.
func (h *Channel) InStasis() (in bool) {
	h.read(func(c *channel) { in = c.inStasis })
	return in
}

// Played lists the media items started on the channel so far.
func (h *Channel) Played() (out []string) {
	h.read(func(c *channel) { out = append(out, c.played...) })
	return out
}

// MOH is the music-on-hold class playing on the channel, "" when none.
func (h *Channel) MOH() (class string) {
	h.read(func(c *channel) { class = c.moh })
	return class
}

// Bridge is the id of the bridge the channel is in, "" when none.
func (h *Channel) Bridge() (id string) {
	h.read(func(c *channel) { id = c.bridge })
	return id
}

// Continued is "context,exten,priority" once the controller sent the
// channel back to the dialplan, "" before.
func (h *Channel) Continued() (to string) {
	h.read(func(c *channel) { to = c.continued })
	return to
}

// Redirected is the endpoint the controller redirected the channel to.
func (h *Channel) Redirected() (to string) {
	h.read(func(c *channel) { to = c.redirected })
	return to
}

// Var returns a channel variable.
func (h *Channel) Var(name string) (v string) {
	h.read(func(c *channel) { v = c.vars[name] })
	return v
}

// DTMF presses digits on the caller's phone: one ChannelDtmfReceived per
// digit, in order. A digit in a live recording's terminateOn stops it.
func (h *Channel) DTMF(digits string) error {
	s := h.s
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.channels[h.id]
	if c == nil {
		return fmt.Errorf("arifake: channel %s not found", h.id)
	}
	for _, d := range digits {
		s.chanEventLocked(c, "ChannelDtmfReceived", map[string]any{"digit": string(d), "duration_ms": 100})
		for _, r := range s.live {
			if r.target == "channel:"+c.ID && strings.ContainsRune(r.terminateOn, d) {
				s.finishRecordingLocked(r, "done")
			}
		}
	}
	return nil
}

// Hangup hangs up from the far end (a BYE): ChannelHangupRequest without a
// cause, then the channel leaves its bridge and Stasis.
func (h *Channel) Hangup() {
	s := h.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.channels[h.id]; c != nil {
		s.hangupLocked(c, nil, 16, "Normal Clearing")
	}
}

// hangupLocked tears a channel down. req holds the ChannelHangupRequest
// fields (nil: a far-end hangup, which carries no cause).
func (s *Server) hangupLocked(c *channel, req map[string]any, cause int, causeTxt string) {
	if c.gone {
		return
	}
	c.gone = true
	if c.timer != nil {
		c.timer.Stop()
	}
	if c.dialStatus == "" || c.dialStatus == "RINGING" {
		if c.endpoint != "" && c.dialStatus != "" {
			c.dialStatus = "CANCEL"
			s.emitLocked(c.app, "Dial", dialFields(c))
		}
	}
	s.chanEventLocked(c, "ChannelHangupRequest", req)
	for _, pb := range s.playbacks {
		if pb.target == "channel:"+c.ID {
			s.finishPlaybackLocked(pb, "done")
		}
	}
	for _, r := range s.live {
		if r.target == "channel:"+c.ID {
			s.finishRecordingLocked(r, "done")
		}
	}
	if b := s.bridges[c.bridge]; b != nil {
		s.leaveBridgeLocked(b, c)
	}
	if c.inStasis {
		c.inStasis = false
		s.chanEventLocked(c, "StasisEnd", nil)
	}
	if c.originated {
		s.chanEventLocked(c, "ChannelDestroyed", map[string]any{"cause": cause, "cause_txt": causeTxt})
	}
	delete(s.channels, c.ID)
	s.notifyLocked()
}

func registerChannelRoutes() {
	handle("GET", "/channels", (*Server).listChannels)
	handle("POST", "/channels", (*Server).originate)
	handle("GET", "/channels/{channelId}", (*Server).getChannel)
	handle("POST", "/channels/{channelId}", (*Server).originate)
	handle("DELETE", "/channels/{channelId}", (*Server).deleteChannel)
	handle("POST", "/channels/{channelId}/answer", (*Server).answer)
	handle("POST", "/channels/{channelId}/ring", (*Server).stasisNoop)
	handle("DELETE", "/channels/{channelId}/ring", (*Server).stasisNoop)
	handle("POST", "/channels/{channelId}/continue", (*Server).continueDialplan)
	handle("POST", "/channels/{channelId}/redirect", (*Server).redirect)
	handle("POST", "/channels/{channelId}/dtmf", (*Server).sendDTMF)
	handle("POST", "/channels/{channelId}/moh", (*Server).startMOH)
	handle("DELETE", "/channels/{channelId}/moh", (*Server).stopMOH)
	handle("POST", "/channels/{channelId}/hold", (*Server).hold)
	handle("DELETE", "/channels/{channelId}/hold", (*Server).hold)
	handle("GET", "/channels/{channelId}/variable", (*Server).getVar)
	handle("POST", "/channels/{channelId}/variable", (*Server).setVar)
	handle("POST", "/channels/{channelId}/play", (*Server).playChannel)
	handle("POST", "/channels/{channelId}/play/{playbackId}", (*Server).playChannel)
	handle("POST", "/channels/{channelId}/record", (*Server).recordChannel)
}

// stasisChannelLocked finds a channel that must be in Stasis: 404 when it
// does not exist, 409 when it is outside the application.
func (s *Server) stasisChannelLocked(id string) (*channel, *apiError) {
	c := s.channels[id]
	if c == nil {
		return nil, errf(404, "Channel not found")
	}
	if !c.inStasis {
		return nil, errf(409, "Channel not in Stasis application")
	}
	return c, nil
}

func (s *Server) listChannels(_, _ map[string]string) (int, any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cs := make([]*channel, 0, len(s.channels))
	for _, c := range s.channels {
		cs = append(cs, c)
	}
	sortChannels(cs)
	out := make([]chanJSON, 0, len(cs))
	for _, c := range cs {
		out = append(out, c.json())
	}
	return 200, out, nil
}

func (s *Server) getChannel(v, _ map[string]string) (int, any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.channels[v["channelId"]]
	if c == nil {
		return 0, nil, errf(404, "Channel not found")
	}
	return 200, c.json(), nil
}

var hangupReasons = map[string]int{"normal": 16, "busy": 17, "congestion": 34, "no_answer": 19, "timeout": 19,
	"rejected": 21, "unallocated": 1, "normal_unspecified": 31, "number_incomplete": 28, "codec_mismatch": 58,
	"interworking": 127, "failure": 38, "answered_elsewhere": 26}

func (s *Server) deleteChannel(v, p map[string]string) (int, any, *apiError) {
	reason := p["reason"]
	if reason == "" {
		reason = "normal"
	}
	cause, ok := hangupReasons[reason]
	if !ok {
		return 0, nil, errf(400, "Invalid reason for hangup reason provided")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.channels[v["channelId"]]
	if c == nil {
		return 0, nil, errf(404, "Channel not found")
	}
	s.hangupLocked(c, map[string]any{"cause": 32, "soft": true}, cause, causeText(cause))
	return 204, nil, nil
}

func causeText(cause int) string {
	switch cause {
	case 16:
		return "Normal Clearing"
	case 17:
		return "User busy"
	case 19:
		return "No user responding"
	case 21:
		return "Call Rejected"
	case 0:
		return "Unknown"
	}
	return "Unknown"
}

func (s *Server) answer(v, _ map[string]string) (int, any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.stasisChannelLocked(v["channelId"])
	if err != nil {
		return 0, nil, err
	}
	if c.State != "Up" {
		c.State = "Up"
		s.chanEventLocked(c, "ChannelStateChange", nil)
	}
	return 204, nil, nil
}

func (s *Server) stasisNoop(v, _ map[string]string) (int, any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.stasisChannelLocked(v["channelId"]); err != nil {
		return 0, nil, err
	}
	return 204, nil, nil
}

func (s *Server) continueDialplan(v, p map[string]string) (int, any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.stasisChannelLocked(v["channelId"])
	if err != nil {
		return 0, nil, err
	}
	ctx, ext, prio := c.Context, c.Exten, strconv.Itoa(c.Priority+1)
	if p["context"] != "" {
		ctx = p["context"]
	}
	if p["extension"] != "" {
		ext = p["extension"]
	}
	if p["priority"] != "" && p["priority"] != "0" {
		prio = p["priority"]
	} else if p["context"] != "" || p["extension"] != "" {
		prio = "1"
	} else if p["label"] != "" {
		prio = p["label"]
	}
	c.continued = ctx + "," + ext + "," + prio
	c.inStasis = false
	c.Context, c.Exten = ctx, ext
	s.leaveBridgeIfAnyLocked(c)
	s.chanEventLocked(c, "StasisEnd", nil)
	return 204, nil, nil
}

func (s *Server) redirect(v, p map[string]string) (int, any, *apiError) {
	if p["endpoint"] == "" {
		return 0, nil, errf(400, "Required parameter endpoint not provided")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.stasisChannelLocked(v["channelId"])
	if err != nil {
		return 0, nil, err
	}
	if !strings.Contains(p["endpoint"], "/") {
		return 0, nil, errf(422, "Endpoint parameter is not valid")
	}
	c.redirected = p["endpoint"]
	c.inStasis = false
	s.leaveBridgeIfAnyLocked(c)
	s.chanEventLocked(c, "StasisEnd", nil)
	return 204, nil, nil
}

func (s *Server) sendDTMF(v, p map[string]string) (int, any, *apiError) {
	if p["dtmf"] == "" {
		return 0, nil, errf(400, "DTMF is required")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.stasisChannelLocked(v["channelId"])
	if err != nil {
		return 0, nil, err
	}
	c.dtmfSent += p["dtmf"]
	return 204, nil, nil
}

func (s *Server) startMOH(v, p map[string]string) (int, any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.stasisChannelLocked(v["channelId"])
	if err != nil {
		return 0, nil, err
	}
	class := p["mohClass"]
	if class == "" {
		class = "default"
	}
	c.moh = class
	c.played = append(c.played, "moh:"+class)
	s.notifyLocked()
	return 204, nil, nil
}

func (s *Server) stopMOH(v, _ map[string]string) (int, any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.stasisChannelLocked(v["channelId"])
	if err != nil {
		return 0, nil, err
	}
	c.moh = ""
	s.notifyLocked()
	return 204, nil, nil
}

func (s *Server) hold(v, _ map[string]string) (int, any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.stasisChannelLocked(v["channelId"])
	if err != nil {
		return 0, nil, err
	}
	c.held = !c.held
	if c.held {
		s.chanEventLocked(c, "ChannelHold", nil)
	} else {
		s.chanEventLocked(c, "ChannelUnhold", nil)
	}
	return 204, nil, nil
}

func (s *Server) getVar(v, p map[string]string) (int, any, *apiError) {
	if p["variable"] == "" {
		return 0, nil, errf(400, "Variable name is required")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.channels[v["channelId"]]
	if c == nil {
		return 0, nil, errf(404, "Channel not found")
	}
	val, ok := c.vars[p["variable"]]
	switch p["variable"] {
	case "CALLERID(num)":
		val, ok = c.CallerNo, true
	case "CALLERID(name)":
		val, ok = c.CallerName, true
	case "EXTEN":
		val, ok = c.Exten, true
	}
	if !ok {
		return 0, nil, errf(404, "Provided variable was not found")
	}
	return 200, map[string]string{"value": val}, nil
}

func (s *Server) setVar(v, p map[string]string) (int, any, *apiError) {
	if p["variable"] == "" {
		return 0, nil, errf(400, "Variable name is required")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.channels[v["channelId"]]
	if c == nil {
		return 0, nil, errf(404, "Channel not found")
	}
	c.vars[p["variable"]] = p["value"]
	s.emitLocked(c.app, "ChannelVarset", map[string]any{"variable": p["variable"], "value": p["value"], "channel": c.json()})
	return 204, nil, nil
}

// BehaviorKind is how an originated endpoint reacts.
type BehaviorKind int

const (
	// Answer: rings, then answers after EndpointBehavior.After.
	Answer BehaviorKind = iota
	// Busy: rings, then answers BUSY after After.
	Busy
	// NoAnswer: rings until the originate's timeout.
	NoAnswer
	// Unreachable: the channel is destroyed at once with cause 0 and no
	// Dial event, as the real server does for an unroutable destination.
	Unreachable
	// Decline: rings, then rejects the call (CONGESTION, cause 21).
	Decline
)

// EndpointBehavior scripts an agent endpoint such as "PJSIP/1001".
type EndpointBehavior struct {
	Kind  BehaviorKind
	After time.Duration // ring time before Answer, Busy or Decline (scaled)
}

// SetEndpoint says how endpoint behaves when it is originated. Endpoints
// never set are Unreachable.
func (s *Server) SetEndpoint(endpoint string, b EndpointBehavior) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.endpoints[endpoint] = b
}

var knownTech = map[string]bool{"PJSIP": true, "SIP": true, "Local": true, "IAX2": true, "DAHDI": true}

func dialFields(c *channel) map[string]any {
	_, res, _ := strings.Cut(c.endpoint, "/")
	return map[string]any{"dialstatus": c.dialStatus, "forward": "", "dialstring": res, "peer": c.json()}
}

func (s *Server) originate(v, p map[string]string) (int, any, *apiError) {
	if p["endpoint"] == "" {
		return 0, nil, errf(400, "Endpoint must be specified")
	}
	if p["app"] == "" && p["extension"] == "" {
		return 0, nil, errf(400, "Application or extension must be specified")
	}
	tech, res, _ := strings.Cut(p["endpoint"], "/")
	if !knownTech[tech] || res == "" {
		return 0, nil, &apiError{status: 500, key: "error", msg: "Allocation failed"}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	id := v["channelId"]
	if id == "" {
		id = p["channelId"]
	}
	if id != "" && s.channels[id] != nil {
		return 0, nil, errf(409, "Channel with given unique ID already exists")
	}
	if id == "" {
		id = s.nextIDLocked()
	}
	timeout := 30 * time.Second
	if t, err := strconv.Atoi(p["timeout"]); err == nil && t > 0 {
		timeout = time.Duration(t) * time.Second
	}
	name, num := parseCallerID(p["callerId"])
	s.seq++
	c := &channel{ID: id, Name: fmt.Sprintf("%s-%08x", p["endpoint"], s.seq), State: "Down",
		CallerName: name, CallerNo: num, Context: "default", Exten: "s", Priority: 1,
		AppName: "AppDial2", AppData: "(Outgoing Line)", created: time.Now(),
		app: p["app"], originated: true, vars: map[string]string{}, endpoint: p["endpoint"], appArgs: p["appArgs"]}
	if raw := p["variables"]; raw != "" {
		var vars map[string]string
		if json.Unmarshal([]byte(raw), &vars) == nil {
			for k, val := range vars {
				c.vars[k] = val
			}
		}
	}
	if orig := s.channels[p["originator"]]; orig != nil {
		c.ConnName, c.ConnNo = orig.CallerName, orig.CallerNo
	}
	s.channels[id] = c
	resp := c.json()
	b, ok := s.endpoints[p["endpoint"]]
	if !ok || b.Kind == Unreachable {
		s.hangupLocked(c, map[string]any{"cause": 0}, 0, "Unknown")
		return 200, resp, nil
	}
	c.dialStatus = ""
	s.emitLocked(c.app, "Dial", dialFields(c))
	c.dialStatus = "RINGING"
	c.State = "Ringing"
	s.emitLocked(c.app, "Dial", dialFields(c))
	after := s.scaled(b.After)
	if b.Kind == NoAnswer || after > s.scaled(timeout) {
		after = s.scaled(timeout)
		b.Kind = NoAnswer
	}
	c.timer = time.AfterFunc(after, func() { s.ringDone(c, b.Kind) })
	return 200, resp, nil
}

// ringDone ends the ringing of an originated channel as its behaviour says.
func (s *Server) ringDone(c *channel, kind BehaviorKind) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c.gone {
		return
	}
	switch kind {
	case Answer:
		c.State = "Up"
		s.chanEventLocked(c, "ChannelStateChange", nil)
		c.dialStatus = "ANSWER"
		s.emitLocked(c.app, "Dial", dialFields(c))
		if c.app != "" {
			c.inStasis = true
			args := []string{}
			if c.appArgs != "" {
				args = strings.Split(c.appArgs, ",")
			}
			c.AppName, c.AppData = "Stasis", c.app+","+c.appArgs
			s.chanEventLocked(c, "StasisStart", map[string]any{"args": args})
		}
	case Busy:
		c.dialStatus = "BUSY"
		s.emitLocked(c.app, "Dial", dialFields(c))
		s.hangupLocked(c, map[string]any{"cause": 17}, 17, "User busy")
	case Decline:
		c.dialStatus = "CONGESTION"
		s.emitLocked(c.app, "Dial", dialFields(c))
		s.hangupLocked(c, map[string]any{"cause": 21}, 21, "Call Rejected")
	default:
		c.dialStatus = "NOANSWER"
		s.emitLocked(c.app, "Dial", dialFields(c))
		s.hangupLocked(c, map[string]any{"cause": 19}, 19, "No user responding")
	}
}

// parseCallerID splits `Name <number>` (either part optional).
func parseCallerID(s string) (name, num string) {
	s = strings.TrimSpace(s)
	if i := strings.Index(s, "<"); i >= 0 && strings.HasSuffix(s, ">") {
		return strings.Trim(strings.TrimSpace(s[:i]), `"`), s[i+1 : len(s)-1]
	}
	return "", s
}
