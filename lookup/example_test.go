package lookup_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/switchboard-cc/switchboard/ivr"
	"github.com/switchboard-cc/switchboard/lookup"
)

// A lookup node's request, as the engine renders it, against an outage
// service; nested fields come back as dotted keys.
func ExampleClient_Lookup() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"status": "repairing", "eta": {"hours": 4}}`)
	}))
	defer srv.Close()

	c := lookup.New(lookup.Config{})
	fields, err := c.Lookup(context.Background(), ivr.LookupRequest{
		Method: "GET", URL: srv.URL + "/outages?account=12345678", Timeout: 2 * time.Second,
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(fields["status"], fields["eta.hours"])
	// Output: repairing 4
}

func ExampleFlatten() {
	fields, _ := lookup.Flatten([]byte(`{"crews": [{"id": "c1"}], "planned": false, "note": null}`))
	fmt.Println(fields["crews.0.id"], fields["planned"], fields["note"] == "")
	// Output: c1 false true
}
