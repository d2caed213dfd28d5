package scripted

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
