package sip

import (
	"context"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/ivr"
	"github.com/switchboard-cc/switchboard/sip/siptest"
)

// BenchmarkCallSetup is one call's signalling end to end over loopback UDP:
// INVITE, 180, 200 with SDP, ACK, BYE, 200 — both sides in this process.
// Profile it with -cpuprofile to see where setup time goes.
func BenchmarkCallSetup(b *testing.B) {
	srv, err := New(Config{Listen: "127.0.0.1:0", RTPPortMin: -1, FloodRate: -1, MaxCalls: 100000}, Deps{
		Handler: runs(func(ctx context.Context, call ivr.Call) {
			if call.Answer(ctx) == nil {
				<-call.Done()
			}
		}),
		Prompts: testPrompts,
	})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go srv.Serve(ctx)
	<-srv.Ready()
	phone, err := siptest.NewPhone(siptest.Config{})
	if err != nil {
		b.Fatal(err)
	}
	defer phone.Close()
	target := "sip:96069@" + srv.Addr()
	b.ReportAllocs()
	for b.Loop() {
		dctx, dcancel := context.WithTimeout(ctx, 5*time.Second)
		c, err := phone.Dial(dctx, target, siptest.DialOptions{DTMFPayloadType: 101})
		if err != nil {
			b.Fatal(err)
		}
		if err := c.Hangup(dctx); err != nil {
			b.Fatal(err)
		}
		dcancel()
	}
}
