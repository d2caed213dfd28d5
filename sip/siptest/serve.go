package siptest

import (
	"fmt"
	"net"
	"time"

	"github.com/emiago/sipgo"
)

// ServeUDP serves srv on pc in a goroutine and returns once ua's transport
// layer has pc in its pool: requests sent from that address before then
// would open a second socket on the same port. It fails when serving ends
// first, or after wait.
func ServeUDP(ua *sipgo.UserAgent, srv *sipgo.Server, pc net.PacketConn, wait time.Duration) error {
	errc := make(chan error, 1)
	go func() { errc <- srv.ServeUDP(pc) }()
	deadline := time.Now().Add(wait)
	for {
		if c, _ := ua.TransportLayer().GetConnection("udp", pc.LocalAddr().String()); c != nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("siptest: sip server not serving after %v", wait)
		}
		select {
		case err := <-errc:
			return fmt.Errorf("siptest: serve: %w", err)
		case <-time.After(time.Millisecond):
		}
	}
}
