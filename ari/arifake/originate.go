package arifake

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

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
