package arifake

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

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

// Vars returns a copy of every channel variable set on the channel.
func (h *Channel) Vars() map[string]string {
	out := map[string]string{}
	h.read(func(c *channel) {
		for k, v := range c.vars {
			out[k] = v
		}
	})
	return out
}

// DTMF presses digits on the caller's phone: one ChannelDtmfReceived per
// digit, in order. A digit in a live recording's terminateOn stops it
// (unless its beep still plays).
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
			if r.target == "channel:"+c.ID && strings.ContainsRune(r.terminateOn, d) && !r.beeping() {
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
