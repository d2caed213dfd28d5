package sip

import (
	"net"
	"syscall"
)

// sipReadBuffer is the kernel receive buffer asked for the SIP UDP socket.
// The default (about 200 KiB) holds a tenth of a second of INVITE/ACK/BYE at
// 1,000 calls/s; a garbage-collection pause on a pinned core is longer, and
// every datagram dropped then costs the caller a 500 ms retransmission. 8 MiB
// rides out such pauses (measured with /proc/net/snmp RcvbufErrors under
// SIPp's setup scenario).
const sipReadBuffer = 8 << 20

// growReadBuffer raises conn's receive buffer: SO_RCVBUFFORCE when the
// process may (root, CAP_NET_ADMIN), else SO_RCVBUF, which the kernel caps
// at net.core.rmem_max. Failure is not an error: the socket works as before.
func growReadBuffer(conn *net.UDPConn) {
	if rc, err := conn.SyscallConn(); err == nil {
		var serr error
		_ = rc.Control(func(fd uintptr) {
			serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUFFORCE, sipReadBuffer)
		})
		if serr == nil {
			return
		}
	}
	_ = conn.SetReadBuffer(sipReadBuffer)
}
