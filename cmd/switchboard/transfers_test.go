package main

import (
	"context"
	"testing"

	"github.com/switchboard-cc/switchboard/routing"
	"github.com/switchboard-cc/switchboard/sip/b2bua"
)

func TestAgentTransfers(t *testing.T) {
	check := agentTransfers(map[string]routing.GroupConfig{"billing": {}, "outage": {}})
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
