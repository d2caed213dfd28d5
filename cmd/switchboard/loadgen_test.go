package main

import (
	"context"
	"os"
	"sync"
	"testing"

	"github.com/switchboard-cc/switchboard/ivr"
	"github.com/switchboard-cc/switchboard/sip"
)

// TestLoadgenFrom: loadgen --from is the caller number the server sees on
// every call.
func TestLoadgenFrom(t *testing.T) {
	var mu sync.Mutex
	var callers []string
	srv, err := sip.New(sip.Config{Listen: "127.0.0.1:0", RTPPortMin: -1}, sip.Deps{
		Handler: func(ctx context.Context, c ivr.Call) ivr.Outcome {
			mu.Lock()
			callers = append(callers, c.From())
			mu.Unlock()
			if c.Answer(ctx) == nil {
				<-c.Done()
			}
			return ivr.Outcome{}
		},
		Prompts: os.DirFS("../../configs/prompts"),
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx) }()
	t.Cleanup(func() { cancel(); <-served })
	<-srv.Ready()

	code, _, errs := runMainInput(t, "", "loadgen", "--target", srv.Addr(), "--calls", "2", "--rate", "20",
		"--hold", "100ms", "--min-audio", "0", "--from", "+493012345", "--json")
	if code != 0 {
		t.Fatalf("loadgen exited %d: %s", code, errs)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(callers) != 2 {
		t.Fatalf("server saw %d calls; want 2", len(callers))
	}
	for _, c := range callers {
		if c != "+493012345" {
			t.Errorf("caller %q; want the --from number +493012345", c)
		}
	}
}
