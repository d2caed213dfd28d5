package ari

import (
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/switchboard-cc/switchboard/ivr"
)

func TestMedia(t *testing.T) {
	cfg, err := Config{Username: "u", Password: "p", Sounds: map[string]string{"goodbye": "vm-goodbye", "en/beep.wav": "tone:beep"}}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		p    ivr.Prompt
		want string
	}{
		{ivr.Prompt{Name: "welcome", File: "en/welcome.wav", Sound: "en/welcome"}, "sound:switchboard/en/welcome"},
		{ivr.Prompt{Name: "digits/7", File: "zh/digits/7.wav", Sound: "zh/digits/7"}, "sound:switchboard/zh/digits/7"},
		{ivr.Prompt{Name: "hello-world", Sound: "hello-world"}, "sound:hello-world"},
		{ivr.Prompt{Name: "goodbye", File: "en/goodbye.wav"}, "sound:vm-goodbye"},
		{ivr.Prompt{Name: "beep", File: "en/beep.wav"}, "tone:beep"},
		{ivr.Prompt{Name: "x", Sound: "digits:123"}, "digits:123"},
	}
	for _, tt := range tests {
		if got, err := cfg.Media(tt.p); err != nil || got != tt.want {
			t.Errorf("Media(%+v) = %q, %v; want %q", tt.p, got, err, tt.want)
		}
	}
	if _, err := cfg.Media(ivr.Prompt{}); err == nil {
		t.Error("Media of an empty prompt succeeded")
	}
}

func TestConfigFromYAML(t *testing.T) {
	const doc = `
application: switchboard
url: http://127.0.0.1:8088/ari
username: switchboard
password: secret
sound_prefix: sb/
recovery_prompt: switchboard/en/recovery
request_timeout: 3s
reconnect: {min: 100ms, max: 10s}
`
	var c Config
	if err := yaml.Unmarshal([]byte(doc), &c); err != nil {
		t.Fatal(err)
	}
	c, err := c.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if c.WebsocketURL != "ws://127.0.0.1:8088/ari/events" || c.Reconnect.Max.String() != "10s" || c.RequestTimeout.String() != "3s" ||
		c.MusicClass != "default" || c.RecordFormat != "wav" {
		t.Errorf("config = %+v", c)
	}
	for _, bad := range []Config{{URL: "ftp://x", Username: "u", Password: "p"}, {URL: "http://h/ari"}} {
		if _, err := bad.withDefaults(); err == nil {
			t.Errorf("withDefaults(%+v) accepted a bad config", bad)
		}
	}
}
