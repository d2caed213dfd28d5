package sip

import (
	"strings"
	"testing"
)

// RFC 3261 §8.2.2 / §21.5.6: a request in a SIP version we do not speak
// is answered 505 Version Not Supported, over UDP and TCP, whatever the
// method; SIP/2.0 requests are served as before.
func TestUnsupportedSIPVersion(t *testing.T) {
	srv := startServer(t, Config{}, noopHandler)
	for _, tc := range []struct {
		network, method, version, want string
	}{
		{"udp", "OPTIONS", "SIP/9.9", "SIP/2.0 505"},
		{"udp", "INVITE", "SIP/3.0", "SIP/2.0 505"},
		{"tcp", "OPTIONS", "SIP/9.9", "SIP/2.0 505"},
		{"udp", "SUBSCRIBE", "SIP/9.9", "SIP/2.0 505"}, // a method nobody handles
		{"udp", "SUBSCRIBE", "SIP/2.0", "SIP/2.0 405"},
		{"udp", "OPTIONS", "SIP/2.0", "SIP/2.0 200"},
		{"tcp", "OPTIONS", "SIP/2.0", "SIP/2.0 200"},
	} {
		got, err := rawRequest(t, tc.network, "", srv.Addr(), tc.method, tc.version)
		if err != nil || !strings.HasPrefix(got, tc.want) {
			t.Errorf("%s %s %s: %q, %v; want %s", tc.network, tc.method, tc.version, got, err, tc.want)
		}
	}
}
