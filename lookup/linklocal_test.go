package lookup_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/ivr"
	"github.com/switchboard-cc/switchboard/lookup"
)

func TestCheckOrigin(t *testing.T) {
	tests := []struct {
		origin    string
		allow     bool
		wantError bool
	}{
		{"http://127.0.0.1:9000", false, false},
		{"https://crm.example.com", false, false},
		{"http://169.254.169.254", false, true},
		{"http://169.254.10.1:8080", false, true},
		{"http://[fe80::1]:80", false, true},
		{"http://[fd00:ec2::254]", false, true},
		{"http://metadata.google.internal", false, true},
		{"http://Metadata.Google.Internal.", false, true},
		{"http://0.0.0.0:9000", false, true},
		{"http://169.254.169.254", true, false},
		{"ftp://example.com", true, true},
	}
	for _, tc := range tests {
		err := lookup.CheckOrigin(tc.origin, tc.allow)
		if (err != nil) != tc.wantError {
			t.Errorf("CheckOrigin(%q, %v) = %v; want error %v", tc.origin, tc.allow, err, tc.wantError)
		}
	}
}

// The client refuses a link-local address after resolution, before any
// packet is sent. fe80::1 on the loopback interface keeps even a broken
// check on this machine.
func TestClientRefusesLinkLocal(t *testing.T) {
	c := lookup.New(lookup.Config{})
	_, err := c.Lookup(context.Background(), ivr.LookupRequest{URL: "http://[fe80::1%25lo]:9/meta-data", Timeout: time.Second})
	if !errors.Is(err, lookup.ErrLinkLocal) {
		t.Fatalf("Lookup(link-local) = %v; want ErrLinkLocal", err)
	}
	// Loopback stays allowed: the example flows' backends live there.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(`{"ok":true}`)) }))
	defer srv.Close()
	got, err := c.Lookup(context.Background(), ivr.LookupRequest{URL: srv.URL + "/x", Timeout: time.Second})
	if err != nil || got["ok"] != "true" {
		t.Fatalf("Lookup(loopback) = %v, %v; want ok=true", got, err)
	}
}
