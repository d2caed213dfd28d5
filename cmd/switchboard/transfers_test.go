package main

import (
	"context"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/internal/clock"
	"github.com/switchboard-cc/switchboard/routing"
	"github.com/switchboard-cc/switchboard/sip/b2bua"
)

// TestAgentTransfers: the b2bua's transfer kinds map onto the ACD's check.
func TestAgentTransfers(t *testing.T) {
	acd, err := routing.New(routing.Config{Groups: map[string]routing.GroupConfig{"billing": {}, "outage": {}}}, routing.Options{Clock: clock.NewVirtual(time.Time{})})
	if err != nil {
		t.Fatal(err)
	}
	check := agentTransfers(acd)
	cases := []struct {
		kind, target string
		ok           bool
	}{
		{b2bua.TransferQueue, "outage", true},
		{b2bua.TransferQueue, "sales", false},
		{b2bua.TransferNumber, "+861012345678", true},
		{b2bua.TransferNumber, "", false},
		{"uri", "sip:x@example.com", false},
	}
	for _, tc := range cases {
		err := check(context.Background(), b2bua.TransferRequest{CallID: "c1", AgentID: "1001", Queue: "billing", Kind: tc.kind, Target: tc.target})
		if (err == nil) != tc.ok {
			t.Errorf("%s %q: err %v; want ok=%v", tc.kind, tc.target, err, tc.ok)
		}
	}
}
