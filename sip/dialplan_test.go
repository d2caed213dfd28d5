package sip

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/routing"
)

func TestDialPlan(t *testing.T) {
	tests := []struct {
		name        string
		allow, deny []string
		number      string
		ok          bool
	}{
		// The default: national numbers only. The first two reached the
		// trunk from an anonymous caller's From before the dial plan.
		{"default refuses a satellite number", nil, nil, "+88213000999", false},
		{"default refuses an international prefix", nil, nil, "0090012345678", false},
		{"default takes a national number", nil, nil, "01096069123", true},
		{"default takes a mobile number", nil, nil, "13800138000", true},
		{"default refuses a short code", nil, nil, "110", false},
		{"default refuses a URI", nil, nil, "1234567@evil.example.com", false},
		{"E.164 allowed by the operator", []string{"_+86ZX."}, nil, "+8613800138000", true},
		{"E.164 of another country", []string{"_+86ZX."}, nil, "+4915112345678", false},
		{"sets and ranges", []string{"_1[3-9]XXXXXXXXX"}, nil, "15012345678", true},
		{"sets and ranges, out of range", []string{"_1[3-9]XXXXXXXXX"}, nil, "12012345678", false},
		{"N is 2-9", []string{"_NXX"}, nil, "199", false},
		{"exact number", []string{"96069"}, nil, "96069", true},
		{"exact number is not a prefix", []string{"96069"}, nil, "960691", false},
		{"bang is zero or more", []string{"_0!"}, nil, "0", true},
		{"deny beats allow (premium rate)", []string{"_0ZXXXXX."}, []string{"_0900."}, "09001234567", false},
		{"deny leaves the rest", []string{"_0ZXXXXX."}, []string{"_0900."}, "08001234567", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := NewDialPlan(tc.allow, tc.deny)
			if err != nil {
				t.Fatal(err)
			}
			err = p.Check(tc.number)
			if (err == nil) != tc.ok {
				t.Errorf("Check(%q) = %v; want allowed %v", tc.number, err, tc.ok)
			}
			if err != nil && !errors.Is(err, ErrNumberNotAllowed) {
				t.Errorf("Check(%q) = %v; want ErrNumberNotAllowed", tc.number, err)
			}
		})
	}
	for _, bad := range []string{"", "_", "_0Y.", "_[a-b]", "_[]", "12a", "_0[1"} {
		if _, err := NewDialPlan([]string{bad}, nil); err == nil {
			t.Errorf("NewDialPlan(%q): no error", bad)
		}
	}
	if _, err := (Config{Trunk: TrunkConfig{URI: "sip:{number}@127.0.0.1", Allow: []string{"_0Q."}}}).withDefaults(); err == nil {
		t.Error("a config with a broken allow pattern validated")
	}
}

// Whatever reaches the dialer, it dials nothing outside the plan: the
// number is refused before an INVITE leaves.
func TestDialerRefusesNumberOutsidePlan(t *testing.T) {
	w := newCallbackWorld(t, 0)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, n := range []string{"+88213000999", "0090012345678"} {
		if _, err := w.dialer.Dial(ctx, "fraud-"+n, n, time.Second); !errors.Is(err, ErrNumberNotAllowed) {
			t.Errorf("Dial(%s) = %v; want ErrNumberNotAllowed", n, err)
		}
	}
	// A callback queued with such a number is dropped at its turn, the
	// agent given back without a miss.
	if err := w.acd.RequestCallback(ctx, routing.Request{CallID: "fraud", Group: "billing", Caller: "anonymous"}, "+88213000999"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the callback dropped", 5*time.Second, func() bool { return len(w.events.find("fraud", "call.end")) > 0 })
	if n := w.customer.invites.Load(); n != 0 {
		t.Errorf("the trunk was rung %d times; want 0", n)
	}
	if a, _ := w.acd.Agent("1001"); a.Activity != routing.Idle {
		t.Errorf("agent 1001 after the refused callback: %+v; want idle", a)
	}
}
