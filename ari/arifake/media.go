package arifake

import (
	"strconv"
	"strings"
	"time"
)

type playback struct {
	ID     string
	media  []string
	idx    int
	target string // channel:<id> or bridge:<id>
	app    string
	state  string
	timer  *time.Timer
}

func (pb *playback) json() map[string]any {
	m := map[string]any{"id": pb.ID, "media_uri": pb.media[pb.idx], "target_uri": pb.target,
		"language": "en", "state": pb.state}
	if pb.idx+1 < len(pb.media) {
		m["next_media_uri"] = pb.media[pb.idx+1]
	}
	return m
}

type bridge struct {
	ID, Name, Type string
	channels       []string
	created        time.Time
	moh            string
}

func (b *bridge) json() map[string]any {
	return map[string]any{"id": b.ID, "technology": "simple_bridge", "bridge_type": b.Type, "bridge_class": "stasis",
		"creator": "Stasis", "name": b.Name, "channels": append([]string{}, b.channels...),
		"creationtime": b.created.Format(DateFormat), "video_mode": "none"}
}

type liveRecording struct {
	name, format, target, app string
	state                     string
	terminateOn               string
	started                   time.Time
	beepUntil                 time.Time // stops and keys are ignored until then
	timer                     *time.Timer
}

// beeping reports whether r's beep still plays.
func (r *liveRecording) beeping() bool { return time.Now().Before(r.beepUntil) }

func (r *liveRecording) json() map[string]any {
	m := map[string]any{"name": r.name, "format": r.format, "target_uri": r.target, "state": r.state}
	if r.state == "done" {
		d := int(time.Since(r.started).Round(time.Second) / time.Second)
		m["duration"], m["talking_duration"], m["silence_duration"] = d, d, 0
	}
	return m
}

// StoredRecording is a finished recording kept by the server.
type StoredRecording struct {
	Name     string
	Format   string
	Duration time.Duration
}

func registerMediaRoutes() {
	handle("GET", "/playbacks/{playbackId}", (*Server).getPlayback)
	handle("DELETE", "/playbacks/{playbackId}", (*Server).stopPlayback)
	handle("POST", "/playbacks/{playbackId}/control", (*Server).controlPlayback)
	handle("GET", "/bridges", (*Server).listBridges)
	handle("POST", "/bridges", (*Server).createBridge)
	handle("POST", "/bridges/{bridgeId}", (*Server).createBridge)
	handle("GET", "/bridges/{bridgeId}", (*Server).getBridge)
	handle("DELETE", "/bridges/{bridgeId}", (*Server).deleteBridge)
	handle("POST", "/bridges/{bridgeId}/addChannel", (*Server).addChannel)
	handle("POST", "/bridges/{bridgeId}/removeChannel", (*Server).removeChannel)
	handle("POST", "/bridges/{bridgeId}/play", (*Server).playBridge)
	handle("POST", "/bridges/{bridgeId}/play/{playbackId}", (*Server).playBridge)
	handle("POST", "/bridges/{bridgeId}/moh", (*Server).bridgeMOH)
	handle("DELETE", "/bridges/{bridgeId}/moh", (*Server).bridgeMOH)
	handle("GET", "/recordings/live/{recordingName}", (*Server).getLive)
	handle("DELETE", "/recordings/live/{recordingName}", (*Server).cancelLive)
	handle("POST", "/recordings/live/{recordingName}/stop", (*Server).stopLive)
	handle("GET", "/recordings/stored", (*Server).listStored)
	handle("GET", "/recordings/stored/{recordingName}", (*Server).getStored)
	handle("DELETE", "/recordings/stored/{recordingName}", (*Server).deleteStored)
}

// playableSchemes are the media URI schemes Asterisk knows; anything else
// starts and then silently vanishes (no PlaybackFinished).
var playableSchemes = map[string]bool{"sound": true, "recording": true, "number": true, "digits": true,
	"characters": true, "tone": true}

func (s *Server) playChannel(v, p map[string]string) (int, any, *apiError) {
	if p["media"] == "" {
		return 0, nil, errf(500, "Failed to queue media for playback")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.stasisChannelLocked(v["channelId"])
	if err != nil {
		return 0, nil, err
	}
	return s.startPlaybackLocked(c.app, "channel:"+c.ID, v["playbackId"], p)
}

func (s *Server) playBridge(v, p map[string]string) (int, any, *apiError) {
	if p["media"] == "" {
		return 0, nil, errf(500, "Failed to queue media for playback")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.bridges[v["bridgeId"]]
	if b == nil {
		return 0, nil, errf(404, "Bridge not found")
	}
	app := ""
	for _, id := range b.channels {
		if c := s.channels[id]; c != nil {
			app = c.app
		}
	}
	return s.startPlaybackLocked(app, "bridge:"+b.ID, v["playbackId"], p)
}

func (s *Server) startPlaybackLocked(app, target, id string, p map[string]string) (int, any, *apiError) {
	if id == "" {
		id = p["playbackId"]
	}
	if id == "" {
		id = s.uuidLocked()
	}
	if s.playbacks[id] != nil {
		return 0, nil, errf(409, "Playback with the same id already exists")
	}
	media := strings.Split(p["media"], ",")
	if fromJSONString(p, "media") {
		media = []string{p["media"]} // a JSON string is one item, commas and all
	}
	pb := &playback{ID: id, media: media, target: target, app: app, state: "queued"}
	s.playbacks[id] = pb
	resp := pb.json()
	s.beginItemLocked(pb)
	return 201, resp, nil
}

// beginItemLocked starts the current media item: PlaybackStarted, then a
// timer to its end (or, for an unknown scheme, nothing ever again).
func (s *Server) beginItemLocked(pb *playback) {
	pb.state = "playing"
	media := pb.media[pb.idx]
	if c := s.channels[strings.TrimPrefix(pb.target, "channel:")]; c != nil {
		c.played = append(c.played, media)
	}
	s.emitLocked(pb.app, "PlaybackStarted", map[string]any{"playback": pb.json()})
	scheme, name, _ := strings.Cut(media, ":")
	if !playableSchemes[scheme] {
		delete(s.playbacks, pb.ID)
		return
	}
	if scheme == "sound" && s.soundMissing(name) {
		pb.timer = time.AfterFunc(0, func() { s.itemDone(pb, "failed") })
		return
	}
	length := DefaultSoundLength
	if s.opts.SoundLength != nil {
		length = s.opts.SoundLength(media)
	}
	pb.timer = time.AfterFunc(s.scaled(length), func() { s.itemDone(pb, "done") })
}

func (s *Server) itemDone(pb *playback, state string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.playbacks[pb.ID] != pb {
		return
	}
	if state == "done" && pb.idx+1 < len(pb.media) {
		pb.state = "continuing"
		s.emitLocked(pb.app, "PlaybackContinuing", map[string]any{"playback": pb.json()})
		pb.idx++
		s.beginItemLocked(pb)
		return
	}
	s.finishPlaybackLocked(pb, state)
}

func (s *Server) finishPlaybackLocked(pb *playback, state string) {
	if pb.timer != nil {
		pb.timer.Stop()
	}
	pb.state = state
	delete(s.playbacks, pb.ID)
	s.emitLocked(pb.app, "PlaybackFinished", map[string]any{"playback": pb.json()})
}

func (s *Server) getPlayback(v, _ map[string]string) (int, any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	pb := s.playbacks[v["playbackId"]]
	if pb == nil {
		return 0, nil, errf(404, "Playback not found")
	}
	return 200, pb.json(), nil
}

// stopPlayback is DELETE /playbacks/{id}: the playback still finishes with
// state "done" (there is no "canceled").
func (s *Server) stopPlayback(v, _ map[string]string) (int, any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	pb := s.playbacks[v["playbackId"]]
	if pb == nil {
		return 0, nil, errf(404, "Playback not found")
	}
	s.finishPlaybackLocked(pb, "done")
	return 204, nil, nil
}

func (s *Server) controlPlayback(v, p map[string]string) (int, any, *apiError) {
	switch p["operation"] {
	case "restart", "pause", "unpause", "reverse", "forward":
	case "":
		return 0, nil, errf(400, "Missing parameter operation")
	default:
		return 0, nil, errf(400, "Invalid operation %s", p["operation"])
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.playbacks[v["playbackId"]] == nil {
		return 0, nil, errf(404, "Playback not found")
	}
	return 204, nil, nil
}

var bridgeTypes = map[string]bool{"mixing": true, "holding": true, "dtmf_events": true, "proxy_media": true,
	"video_sfu": true, "video_single": true, "sdp_label": true}

func (s *Server) createBridge(v, p map[string]string) (int, any, *apiError) {
	typ := p["type"]
	if typ == "" {
		typ = "mixing"
	}
	for _, t := range strings.Split(typ, ",") {
		if !bridgeTypes[t] {
			return 0, nil, errf(500, "Unable to create bridge. Possible duplicate bridge id '(null)'")
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	id := v["bridgeId"]
	if id == "" {
		id = p["bridgeId"]
	}
	if id != "" && s.bridges[id] != nil {
		return 0, nil, errf(409, "Bridge with id '%s' already exists", id)
	}
	if id == "" {
		id = s.uuidLocked()
	}
	b := &bridge{ID: id, Name: p["name"], Type: strings.Split(typ, ",")[0], created: time.Now()}
	s.bridges[id] = b
	return 200, b.json(), nil
}

func (s *Server) listBridges(_, _ map[string]string) (int, any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []any{}
	for _, b := range s.bridges {
		out = append(out, b.json())
	}
	return 200, out, nil
}

func (s *Server) getBridge(v, _ map[string]string) (int, any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.bridges[v["bridgeId"]]
	if b == nil {
		return 0, nil, errf(404, "Bridge not found")
	}
	return 200, b.json(), nil
}

func (s *Server) deleteBridge(v, _ map[string]string) (int, any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.bridges[v["bridgeId"]]
	if b == nil {
		return 0, nil, errf(404, "Bridge not found")
	}
	for _, id := range append([]string(nil), b.channels...) {
		if c := s.channels[id]; c != nil {
			s.leaveBridgeLocked(b, c)
		}
	}
	for _, pb := range s.playbacks {
		if pb.target == "bridge:"+b.ID {
			s.finishPlaybackLocked(pb, "done")
		}
	}
	delete(s.bridges, b.ID)
	s.emitLocked(s.appOfBridgeLocked(b), "BridgeDestroyed", map[string]any{"bridge": b.json()})
	return 204, nil, nil
}

func (s *Server) appOfBridgeLocked(*bridge) string {
	for app := range s.known {
		return app
	}
	return ""
}

func (s *Server) addChannel(v, p map[string]string) (int, any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.bridges[v["bridgeId"]]
	if b == nil {
		return 0, nil, errf(404, "Bridge not found")
	}
	if p["channel"] == "" {
		return 0, nil, errf(400, "Missing parameter channel")
	}
	var add []*channel
	for _, id := range strings.Split(p["channel"], ",") {
		c := s.channels[id]
		if c == nil {
			return 0, nil, errf(400, "Channel not found")
		}
		if !c.inStasis {
			return 0, nil, errf(422, "Channel not in Stasis application")
		}
		add = append(add, c)
	}
	for _, c := range add {
		if c.bridge == b.ID {
			continue
		}
		s.leaveBridgeIfAnyLocked(c)
		c.bridge = b.ID
		c.moh = ""
		b.channels = append(b.channels, c.ID)
		s.emitLocked(c.app, "ChannelEnteredBridge", map[string]any{"bridge": b.json(), "channel": c.json()})
	}
	return 204, nil, nil
}

func (s *Server) removeChannel(v, p map[string]string) (int, any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.bridges[v["bridgeId"]]
	if b == nil {
		return 0, nil, errf(404, "Bridge not found")
	}
	if p["channel"] == "" {
		return 0, nil, errf(400, "Missing parameter channel")
	}
	c := s.channels[p["channel"]]
	if c == nil {
		return 0, nil, errf(400, "Channel not found")
	}
	if c.bridge != b.ID {
		return 0, nil, errf(422, "Channel not in this bridge")
	}
	s.leaveBridgeLocked(b, c)
	return 204, nil, nil
}

func (s *Server) leaveBridgeIfAnyLocked(c *channel) {
	if b := s.bridges[c.bridge]; b != nil {
		s.leaveBridgeLocked(b, c)
	}
}

// leaveBridgeLocked removes c from b: ChannelLeftBridge, whose bridge no
// longer lists c.
func (s *Server) leaveBridgeLocked(b *bridge, c *channel) {
	for i, id := range b.channels {
		if id == c.ID {
			b.channels = append(b.channels[:i], b.channels[i+1:]...)
			break
		}
	}
	c.bridge = ""
	s.emitLocked(c.app, "ChannelLeftBridge", map[string]any{"bridge": b.json(), "channel": c.json()})
}

func (s *Server) bridgeMOH(v, p map[string]string) (int, any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.bridges[v["bridgeId"]]
	if b == nil {
		return 0, nil, errf(404, "Bridge not found")
	}
	b.moh = p["mohClass"]
	return 204, nil, nil
}

var recordingFormats = map[string]bool{"wav": true, "gsm": true, "ulaw": true, "alaw": true, "sln": true, "g722": true, "wav49": true}

func (s *Server) recordChannel(v, p map[string]string) (int, any, *apiError) {
	if p["name"] == "" {
		return 0, nil, errf(400, "Recording name is required")
	}
	if p["format"] == "" {
		return 0, nil, errf(400, "Recording format is required")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.stasisChannelLocked(v["channelId"])
	if err != nil {
		return 0, nil, err
	}
	if !recordingFormats[p["format"]] {
		return 0, nil, errf(422, "Recording format not supported")
	}
	if s.live[p["name"]] != nil {
		return 0, nil, errf(409, "Recording with the same name is already in progress")
	}
	exists := p["ifExists"]
	if exists == "" {
		exists = "fail"
	}
	if s.stored[p["name"]] != nil && exists == "fail" {
		return 0, nil, errf(422, "Recording with the same name already exists on the system")
	}
	r := &liveRecording{name: p["name"], format: p["format"], target: "channel:" + c.ID, app: c.app,
		state: "queued", terminateOn: terminateKeys(p["terminateOn"]), started: time.Now()}
	if p["beep"] == "true" {
		r.beepUntil = r.started.Add(s.scaled(s.opts.BeepLength))
	}
	s.live[r.name] = r
	resp := r.json()
	r.state = "recording"
	s.emitLocked(c.app, "RecordingStarted", map[string]any{"recording": r.json()})
	if secs, _ := strconv.Atoi(p["maxDurationSeconds"]); secs > 0 {
		r.timer = time.AfterFunc(s.scaled(time.Duration(secs)*time.Second), func() {
			s.mu.Lock()
			defer s.mu.Unlock()
			if s.live[r.name] == r {
				s.finishRecordingLocked(r, "done")
			}
		})
	}
	return 201, resp, nil
}

// terminateKeys turns terminateOn ("none", "any", "*", "#") into the keys
// that stop the recording.
func terminateKeys(t string) string {
	switch t {
	case "", "none":
		return ""
	case "any":
		return "0123456789*#ABCD"
	}
	return t
}

func (s *Server) finishRecordingLocked(r *liveRecording, state string) {
	if r.timer != nil {
		r.timer.Stop()
	}
	delete(s.live, r.name)
	r.state = state
	s.stored[r.name] = &StoredRecording{Name: r.name, Format: r.format, Duration: time.Since(r.started)}
	s.emitLocked(r.app, "RecordingFinished", map[string]any{"recording": r.json()})
}

func (s *Server) getLive(v, _ map[string]string) (int, any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.live[v["recordingName"]]
	if r == nil {
		return 0, nil, errf(404, "Recording not found")
	}
	return 200, r.json(), nil
}

func (s *Server) stopLive(v, _ map[string]string) (int, any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.live[v["recordingName"]]
	if r == nil {
		return 0, nil, errf(404, "Recording not found")
	}
	if !r.beeping() {
		s.finishRecordingLocked(r, "done")
	}
	return 204, nil, nil
}

func (s *Server) cancelLive(v, _ map[string]string) (int, any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.live[v["recordingName"]]
	if r == nil {
		return 0, nil, errf(404, "Recording not found")
	}
	s.finishRecordingLocked(r, "canceled")
	delete(s.stored, r.name)
	return 204, nil, nil
}

func (s *Server) listStored(_, _ map[string]string) (int, any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []any{}
	for _, r := range s.stored {
		out = append(out, map[string]string{"name": r.Name, "format": r.Format})
	}
	return 200, out, nil
}

func (s *Server) getStored(v, _ map[string]string) (int, any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.stored[v["recordingName"]]
	if r == nil {
		return 0, nil, errf(404, "Recording not found")
	}
	return 200, map[string]string{"name": r.Name, "format": r.Format}, nil
}

func (s *Server) deleteStored(v, _ map[string]string) (int, any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stored[v["recordingName"]] == nil {
		return 0, nil, errf(404, "Recording not found")
	}
	delete(s.stored, v["recordingName"])
	return 204, nil, nil
}

// Stored returns the stored recording called name, if any.
func (s *Server) Stored(name string) (StoredRecording, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.stored[name]
	if r == nil {
		return StoredRecording{}, false
	}
	return *r, true
}
