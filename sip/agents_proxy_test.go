package sip

import (
	"testing"

	"github.com/switchboard-cc/switchboard/sip/registrar"
)

func TestPhoneLocator(t *testing.T) {
	reg, err := registrar.New(registrar.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	if got := phoneLocator(Config{}, reg); got != reg {
		t.Fatalf("without agent_proxy: %T; want the node's registrar", got)
	}
	got := phoneLocator(Config{AgentProxy: "127.0.0.1:5060"}, reg).Lookup("1001")
	if len(got) != 1 || got[0].URI != "sip:1001@127.0.0.1:5060" || got[0].AgentID != "1001" || got[0].Transport != "udp" {
		t.Fatalf("with agent_proxy: %+v; want sip:1001@127.0.0.1:5060 over udp", got)
	}
}
