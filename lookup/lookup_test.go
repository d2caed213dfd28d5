package lookup_test

import (
	"context"
	"errors"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/ivr"
	"github.com/switchboard-cc/switchboard/lookup"
)

func TestLookup(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/outages":
			if r.URL.Query().Get("account") != "12345678" || r.Method != http.MethodGet {
				http.Error(w, "bad request", http.StatusBadRequest)
				return
			}
			io.WriteString(w, `{"status":"repairing","eta_hours":4,"area":{"name":"north","crews":[{"id":"c1"},{"id":"c2"}]},"planned":false,"note":null}`)
		case "/echo":
			body, _ := io.ReadAll(r.Body)
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"method":"`+r.Method+`","token":"`+r.Header.Get("X-Token")+`","type":"`+r.Header.Get("Content-Type")+`","body_len":`+itoa(len(body))+`}`)
		case "/down":
			http.Error(w, "maintenance", http.StatusServiceUnavailable)
		case "/slow":
			select {
			case <-release:
			case <-r.Context().Done():
			}
		case "/array":
			io.WriteString(w, `[1,2]`)
		case "/garbage":
			io.WriteString(w, `{"status":`)
		case "/empty":
			w.WriteHeader(http.StatusNoContent)
		case "/big":
			io.WriteString(w, `{"x":"`+strings.Repeat("a", 2048)+`"}`)
		}
	}))
	defer srv.Close()

	cases := []struct {
		name    string
		req     ivr.LookupRequest
		want    map[string]string
		wantErr string
	}{
		{
			name: "GET with nested objects and arrays",
			req:  ivr.LookupRequest{URL: srv.URL + "/outages?account=12345678", Timeout: time.Second},
			want: map[string]string{"status": "repairing", "eta_hours": "4", "area.name": "north",
				"area.crews.0.id": "c1", "area.crews.1.id": "c2", "planned": "false", "note": ""},
		},
		{
			name: "POST with headers and body",
			req: ivr.LookupRequest{Method: "post", URL: srv.URL + "/echo", Body: `{"a":1}`,
				Headers: map[string]string{"X-Token": "s3cret"}, Timeout: time.Second},
			want: map[string]string{"method": "POST", "token": "s3cret", "type": "application/json", "body_len": "7"},
		},
		{name: "non-2xx is an error", req: ivr.LookupRequest{URL: srv.URL + "/down"}, wantErr: "status 503: maintenance"},
		{name: "timeout", req: ivr.LookupRequest{URL: srv.URL + "/slow", Timeout: 50 * time.Millisecond}, wantErr: "deadline exceeded"},
		{name: "not an object", req: ivr.LookupRequest{URL: srv.URL + "/array"}, wantErr: "want an object, got an array"},
		{name: "broken json", req: ivr.LookupRequest{URL: srv.URL + "/garbage"}, wantErr: "decode json"},
		{name: "no content is no fields", req: ivr.LookupRequest{URL: srv.URL + "/empty"}, want: map[string]string{}},
		{name: "body over the limit", req: ivr.LookupRequest{URL: srv.URL + "/big"}, wantErr: "larger than 1024 bytes"},
		{name: "not http", req: ivr.LookupRequest{URL: "file:///etc/passwd"}, wantErr: "not http or https"},
	}
	c := lookup.New(lookup.Config{MaxBody: 1024})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := c.Lookup(context.Background(), tc.req)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Lookup(%s) error = %v; want one containing %q", tc.req.URL, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Lookup(%s): %v", tc.req.URL, err)
			}
			if !maps.Equal(got, tc.want) {
				t.Errorf("Lookup(%s) = %v; want %v", tc.req.URL, got, tc.want)
			}
		})
	}

	t.Run("status error is typed", func(t *testing.T) {
		_, err := c.Lookup(context.Background(), ivr.LookupRequest{URL: srv.URL + "/down"})
		var se *lookup.StatusError
		if !errors.As(err, &se) || se.Code != http.StatusServiceUnavailable {
			t.Errorf("error %v; want a *StatusError 503", err)
		}
	})
	t.Run("the caller's context ends the request", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := c.Lookup(ctx, ivr.LookupRequest{URL: srv.URL + "/slow", Timeout: time.Minute})
		if !errors.Is(err, context.Canceled) {
			t.Errorf("error %v; want context.Canceled", err)
		}
	})
}

func itoa(n int) string {
	return strconv.Itoa(n)
}
