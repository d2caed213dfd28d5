package arifake

import (
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
	if s.opts.HangupLatency <= 0 {
		s.teardownLocked(c, cause, causeTxt)
		return
	}
	time.AfterFunc(s.opts.HangupLatency, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.teardownLocked(c, cause, causeTxt)
	})
}

// teardownLocked takes a hung-up channel out of its bridge, Stasis and the
// server.
func (s *Server) teardownLocked(c *channel, cause int, causeTxt string) {
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
	leave := func() {
		c.inStasis = false
		c.Context, c.Exten = ctx, ext
		s.leaveBridgeIfAnyLocked(c)
		s.chanEventLocked(c, "StasisEnd", nil)
	}
	if s.opts.LeaveLatency <= 0 {
		leave()
		return 204, nil, nil
	}
	time.AfterFunc(s.opts.LeaveLatency, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if !c.gone && c.inStasis {
			leave()
		}
	})
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
