package sip

import (
	"context"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/switchboard-cc/switchboard/flows"
	"github.com/switchboard-cc/switchboard/ivr"
	"github.com/switchboard-cc/switchboard/ivr/ivrtest"
	"github.com/switchboard-cc/switchboard/media"
	"github.com/switchboard-cc/switchboard/sip/b2bua"
	"github.com/switchboard-cc/switchboard/sip/registrar"
	"github.com/switchboard-cc/switchboard/sip/siptest"
)

// The agent's REFER reaches the engine over real SIP: the B2BUA accepts the
// transfer to a group, ends the agent's leg, and the queue node puts the
// caller in line there (which times out here into on_timeout).
func TestAgentReferRequeuesThroughEngine(t *testing.T) {
	if _, ok := any((*media.Session)(nil)).(b2bua.CallerMedia); !ok {
		t.Skip("media.Session has no SetReceiver/WriteRTP")
	}
	reg, err := registrar.New(registrar.Config{Passwords: map[string]registrar.Password{"1001": "pw-1001"}})
	if err != nil {
		t.Fatal(err)
	}
	accepted := make(chan b2bua.TransferRequest, 1)
	legs, err := b2bua.New(b2bua.Config{Phones: reg, MediaIP: netip.MustParseAddr("127.0.0.1"),
		Transfers: b2bua.TransferRules{Groups: map[string]string{"7002": "outage"}},
		OnTransfer: func(_ context.Context, tr b2bua.TransferRequest) error {
			accepted <- tr
			return nil
		}})
	if err != nil {
		t.Fatal(err)
	}

	b := ivrtest.NewFlow("t", "en", "96069")
	b.Node("q", "bye", &flows.QueueSpec{Group: "billing", OnTimeout: b.Ref("after"), OnClosed: b.Ref("after")})
	b.Node("after", "", &flows.PlaySpec{Prompts: ivrtest.P("welcome")})
	b.Node("bye", "", &flows.PlaySpec{Prompts: ivrtest.P("welcome")})
	router := &ivrtest.Router{Groups: map[string]ivrtest.Queue{
		"billing": {Offers: []ivrtest.ScheduledOffer{{Agents: []string{"1001"}, Ring: 5 * time.Second}}},
		"outage":  {Exit: 300 * time.Millisecond},
	}}
	eng, err := ivr.New(ivr.Config{}, ivr.Deps{Catalog: func() *flows.Catalog { return ivrtest.Catalog(b.Flow()) },
		Router: router, Prompts: testPrompts})
	if err != nil {
		t.Fatal(err)
	}
	outcome := make(chan ivr.Outcome, 1)
	srv := startServerDeps(t, Config{}, Deps{Agents: &AgentPhones{Registrar: reg, Legs: legs,
		HoldMusic: ivr.Playback{Prompts: []ivr.Prompt{prompt("moh")}}}},
		func(ctx context.Context, call ivr.Call) { outcome <- eng.Run(ctx, call) })
	phone := newAgentPhone(t)
	phone.register(t, srv.Addr(), "pw-1001")

	caller := newPhone(t, "127.0.0.1")
	call, err := caller.Start(ctxT(t, 5*time.Second), srv.target, siptest.DialOptions{From: "13800138000", Codecs: []string{"PCMU"}})
	if err != nil {
		t.Fatal(err)
	}
	defer call.Close()
	if err := call.WaitAnswer(ctxT(t, 5*time.Second)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the agent's phone to answer", 5*time.Second, func() bool { return phone.current.Load() != nil })
	d := phone.current.Load()
	waitFor(t, "the agent leg to be confirmed", 5*time.Second, func() bool { return d.LoadState() == sip.DialogStateConfirmed })

	refer := sip.NewRequest(sip.REFER, d.InviteRequest.Contact().Address)
	refer.AppendHeader(sip.NewHeader("Refer-To", "<sip:7002@127.0.0.1>"))
	res, err := d.Do(ctxT(t, 5*time.Second), refer)
	if err != nil || res.StatusCode != 202 {
		t.Fatalf("REFER: %v %v; want 202", res, err)
	}
	if tr := <-accepted; tr.Kind != b2bua.TransferQueue || tr.Target != "outage" || tr.AgentID != "1001" {
		t.Errorf("transfer request %+v", tr)
	}
	select {
	case out := <-outcome:
		if out.LastNode != "after" || out.Result != ivr.Completed {
			t.Errorf("outcome %+v; want completed at after (on_timeout of the new line)", out)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("flow did not end after the transfer")
	}
	want := []string{"enqueue billing", "answered o1 1001", "finish agent", "enqueue outage", "exit timeout"}
	if got := router.Log(); !slices.Equal(got, want) {
		t.Errorf("router saw %q; want %q", got, want)
	}
}
