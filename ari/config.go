package ari

import (
	"errors"
	"fmt"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/switchboard-cc/switchboard/ivr"
)

// Defaults for Config. Each is what a stock Asterisk with the snippets of
// docs/asterisk.md expects.
const (
	DefaultApplication = "switchboard"
	DefaultURL         = "http://127.0.0.1:8088/ari"
	// DefaultSoundPrefix is the folder under Asterisk's sounds directory
	// where an admin installs Switchboard's prompts: prompt store file
	// "en/welcome.wav" plays as sound "switchboard/en/welcome".
	DefaultSoundPrefix = "switchboard/"
	// DefaultRecoveryPrompt is played to a caller re-adopted after a
	// restart; "pls-hold-while-try" ships with Asterisk's core sounds.
	DefaultRecoveryPrompt = "sound:pls-hold-while-try"
	DefaultMusicClass     = "default"
	DefaultRecordFormat   = "wav"
	// DefaultRequestTimeout bounds one ARI request even when the call's
	// context lives longer: Asterisk answers in milliseconds, and a request
	// that hangs must not hold a caller in silence.
	DefaultRequestTimeout = 5 * time.Second
	// DefaultReconnectMin and DefaultReconnectMax bound the WebSocket
	// reconnect backoff: quick after a blip, never a busy loop while
	// Asterisk is down.
	DefaultReconnectMin = 250 * time.Millisecond
	DefaultReconnectMax = 30 * time.Second
	// DefaultPlaybackCheck: a playback that has sent no PlaybackFinished for
	// this long is looked up; Asterisk drops playbacks of unknown media
	// without finishing them.
	DefaultPlaybackCheck = 30 * time.Second
)

// Config is the `ari:` section of switchboard.yaml.
type Config struct {
	Application  string `yaml:"application"`   // Stasis application name
	URL          string `yaml:"url"`           // REST root, e.g. http://127.0.0.1:8088/ari
	WebsocketURL string `yaml:"websocket_url"` // default: URL with ws(s):// and /events
	Username     string `yaml:"username"`
	Password     string `yaml:"password"`

	// SoundPrefix maps a prompt store file to an Asterisk sound: the file's
	// path without extension, after this prefix.
	SoundPrefix string `yaml:"sound_prefix"`
	// Sounds maps a prompt name (as the flow names it) or a prompt store
	// file to an Asterisk media URI or sound name, overriding SoundPrefix.
	Sounds map[string]string `yaml:"sounds"`
	// RecoveryPrompt is played to a caller re-adopted after a restart
	// ("sound:..." or a bare sound name); "none" plays nothing.
	RecoveryPrompt  string `yaml:"recovery_prompt"`
	MusicClass      string `yaml:"moh_class"`        // music-on-hold class while queued
	RecordFormat    string `yaml:"record_format"`    // stored recording format
	TransferContext string `yaml:"transfer_context"` // dialplan context for number transfers; default: the call's own
	// AgentCallerID is the caller ID agents' phones show; "" shows the
	// caller's number.
	AgentCallerID string `yaml:"agent_caller_id"`

	RequestTimeout time.Duration `yaml:"request_timeout"`
	Reconnect      Backoff       `yaml:"reconnect"`
	PlaybackCheck  time.Duration `yaml:"playback_check"`
}

// Backoff bounds the WebSocket reconnect delay, which doubles from Min to
// Max and resets after a successful connection.
type Backoff struct {
	Min time.Duration `yaml:"min"`
	Max time.Duration `yaml:"max"`
}

// withDefaults fills zero fields and checks the rest.
func (c Config) withDefaults() (Config, error) {
	if c.Application == "" {
		c.Application = DefaultApplication
	}
	if c.URL == "" {
		c.URL = DefaultURL
	}
	c.URL = strings.TrimRight(c.URL, "/")
	u, err := url.Parse(c.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return c, fmt.Errorf("ari: url %q: want http(s)://host:port/ari", c.URL)
	}
	if c.WebsocketURL == "" {
		ws := *u
		ws.Scheme = map[string]string{"http": "ws", "https": "wss"}[u.Scheme]
		ws.Path = path.Join(u.Path, "events")
		c.WebsocketURL = ws.String()
	}
	if c.Username == "" || c.Password == "" {
		return c, errors.New("ari: username and password are required (ari.conf user)")
	}
	if c.SoundPrefix == "" {
		c.SoundPrefix = DefaultSoundPrefix
	}
	if c.RecoveryPrompt == "" {
		c.RecoveryPrompt = DefaultRecoveryPrompt
	}
	if c.MusicClass == "" {
		c.MusicClass = DefaultMusicClass
	}
	if c.RecordFormat == "" {
		c.RecordFormat = DefaultRecordFormat
	}
	if c.RequestTimeout <= 0 {
		c.RequestTimeout = DefaultRequestTimeout
	}
	if c.Reconnect.Min <= 0 {
		c.Reconnect.Min = DefaultReconnectMin
	}
	if c.Reconnect.Max < c.Reconnect.Min {
		c.Reconnect.Max = max(DefaultReconnectMax, c.Reconnect.Min)
	}
	if c.PlaybackCheck <= 0 {
		c.PlaybackCheck = DefaultPlaybackCheck
	}
	return c, nil
}

// Media returns the ARI media URI for a prompt: Sounds[name or file] when
// configured; else a prompt store file mapped under SoundPrefix
// ("en/welcome.wav" -> "sound:switchboard/en/welcome"); else Prompt.Sound,
// an Asterisk sound the flow named directly ("sound:hello-world" in YAML).
func (c Config) Media(p ivr.Prompt) (string, error) {
	for _, key := range []string{p.Name, p.File} {
		if v, ok := c.Sounds[key]; ok && key != "" {
			return mediaURI(v), nil
		}
	}
	if p.File != "" {
		f := strings.TrimPrefix(path.Clean("/"+p.File), "/")
		f = strings.TrimSuffix(f, path.Ext(f))
		return "sound:" + c.SoundPrefix + f, nil
	}
	if p.Sound != "" {
		return mediaURI(p.Sound), nil
	}
	if p.Name != "" {
		return mediaURI(p.Name), nil
	}
	return "", errors.New("ari: prompt has no name, file or sound")
}

// mediaURI keeps a URI with a scheme ("sound:", "digits:", "tone:") and
// makes a bare sound name a "sound:" URI.
func mediaURI(v string) string {
	if i := strings.Index(v, ":"); i > 0 && !strings.Contains(v[:i], "/") {
		return v
	}
	return "sound:" + v
}

func (c Config) appName() string {
	if c.Application == "" {
		return DefaultApplication
	}
	return c.Application
}
