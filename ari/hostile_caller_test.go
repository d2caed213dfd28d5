package ari

import (
	"context"
	"strings"
	"testing"

	"github.com/switchboard-cc/switchboard/ari/arifake"
	"github.com/switchboard-cc/switchboard/ivr"
)

// TestHostileCallerNumberIsWithheld: the caller number Asterisk passes on
// comes from the trunk's caller ID, the caller's to choose. The SIP
// transport refuses a From user over 128 bytes or with control or
// non-ASCII characters (400); over ARI such a number used to become the
// call's From as is (into logs, events, flow variables and queue_log). Now
// it is treated as withheld: From is "".
func TestHostileCallerNumberIsWithheld(t *testing.T) {
	froms := newResult[string]()
	hs := newHarness(t, func(ctx context.Context, c ivr.Call) ivr.Outcome {
		froms.put(c.From())
		return ivr.Outcome{Result: ivr.Completed}
	}, harnessOpts{})
	for _, tc := range []struct{ name, number, want string }{
		{"ordinary", "+8613800000001", "+8613800000001"},
		{"10 kB", strings.Repeat("5", 10_000), ""},
		{"escape sequence", "555\x1b[2J1234", ""},
		{"nul", "555\x001234", ""},
		{"newline", "555\r\nX-Injected: 1", ""},
		{"not UTF-8", "555\xff\xfe", ""},
	} {
		if _, err := hs.fake.Call(arifake.CallSpec{From: tc.number, Name: "Mallory", Exten: "96069"}); err != nil {
			t.Fatal(err)
		}
		if got := froms.get(t); got != tc.want {
			t.Errorf("%s: From() = %q; want %q", tc.name, got, tc.want)
		}
	}
}
