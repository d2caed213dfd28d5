package httpapi_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"

	"github.com/switchboard-cc/switchboard/httpapi"
)

// staticQueues is the smallest Queues source: a fixed list.
type staticQueues []httpapi.Queue

func (q staticQueues) QueueStats(context.Context) ([]httpapi.Queue, error) { return q, nil }

// The host (cmd/switchboard) adapts its ACD and metrics to httpapi's small
// interfaces, wires a Notifier behind the event log, and serves.
func ExampleServer_Serve() {
	updates := httpapi.NewNotifier() // also an events.Sink: tee the event log into it
	srv, err := httpapi.New(httpapi.Config{
		Token:  "change-me",
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}, httpapi.Deps{
		Queues:  staticQueues{{Name: "billing", Waiting: 2}},
		Updates: updates,
	})
	if err != nil {
		panic(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0") // httpapi.DefaultAddr in production
	if err != nil {
		panic(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- srv.Serve(ctx, ln) }()

	res, err := http.Get("http://" + ln.Addr().String() + "/api/queues")
	if err != nil {
		panic(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	fmt.Println(res.StatusCode, strings.Contains(string(body), `"waiting":2`))

	stop()
	fmt.Println(<-done)
	// Output:
	// 200 true
	// <nil>
}
