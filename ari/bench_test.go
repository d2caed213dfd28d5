package ari

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/ari/arifake"
	"github.com/switchboard-cc/switchboard/ivr"
)

// BenchmarkCallOverFake: one short call end to end over loopback HTTP and
// WebSocket: StasisStart, answer, one prompt, a key, hang-up.
func BenchmarkCallOverFake(b *testing.B) {
	done := make(chan struct{}, 1)
	hs := newBenchHarness(b, func(ctx context.Context, c ivr.Call) ivr.Outcome {
		_ = c.Answer(ctx)
		_, _ = c.Play(ctx, ivr.Playback{Prompts: []ivr.Prompt{prompt("welcome")}})
		_, _ = c.Collect(ctx, ivr.Collect{Max: 1, FirstDigit: time.Second})
		done <- struct{}{}
		return ivr.Outcome{}
	})
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ch, err := hs.Call(arifake.CallSpec{Exten: "96069"})
		if err != nil {
			b.Fatal(err)
		}
		_ = ch.DTMF("1")
		<-done
		stop := make(chan struct{})
		hs.Await(stop, ch.Gone)
	}
	b.StopTimer()
	b.ReportMetric(float64(len(hs.Requests()))/float64(b.N), "requests/call")
}

func newBenchHarness(b *testing.B, h Handler) *arifake.Server {
	fake := arifake.New(arifake.Options{SoundLength: func(string) time.Duration { return 0 }})
	srv := httptest.NewServer(fake)
	b.Cleanup(srv.Close)
	b.Cleanup(fake.Close)
	tr, err := New(Config{URL: srv.URL + "/ari", Username: "switchboard", Password: "switchboard"}, h, Options{})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan struct{})
	go func() { defer close(served); _ = tr.Serve(ctx) }()
	b.Cleanup(func() { cancel(); <-served })
	<-tr.Ready()
	stop := make(chan struct{})
	fake.Await(stop, func() bool { return fake.Connected("switchboard") })
	return fake
}
