package ivrtest

import (
	"reflect"
	"testing"
	"time"
)

func TestParseScript(t *testing.T) {
	cases := []struct {
		in   string
		want []Step
		err  bool
	}{
		{"", nil, false},
		{"1,1,12345678#", []Step{{Keys: "1"}, {Keys: "1"}, {Keys: "12345678#"}}, false},
		{"1,,2", []Step{{Keys: "1"}, {}, {Keys: "2"}}, false},
		{"!1,3s+42,h,1h,!h,hangup", []Step{{At: AtPrompt, Keys: "1"}, {Delay: 3 * time.Second, Keys: "42"},
			{Hangup: true}, {Keys: "1", Hangup: true}, {At: AtPrompt, Hangup: true}, {Hangup: true}}, false},
		{"!500ms+*#", []Step{{At: AtPrompt, Delay: 500 * time.Millisecond, Keys: "*#"}}, false},
		{"1x", nil, true},
		{"-3s+1", nil, true},
	}
	for _, tc := range cases {
		got, err := ParseScript(tc.in)
		if (err != nil) != tc.err || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParseScript(%q) = %v, %v; want %v (error %v)", tc.in, got, err, tc.want, tc.err)
		}
	}
}

func TestParseAgents(t *testing.T) {
	got, err := ParseAgents("a1, a2:busy, a3:answer:4s:3m, a4:noanswer")
	want := map[string]Agent{"a1": {}, "a2": {Behavior: Busy},
		"a3": {AnswerAfter: 4 * time.Second, Talk: 3 * time.Minute}, "a4": {Behavior: NoAnswer}}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("ParseAgents = %v, %v; want %v", got, err, want)
	}
	for _, bad := range []string{"a1:sleepy", ":busy", "a1:answer:soon", "a1:answer:1s:1s:x"} {
		if _, err := ParseAgents(bad); err == nil {
			t.Errorf("ParseAgents(%q) accepted", bad)
		}
	}
}
