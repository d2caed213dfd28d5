package sip

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
)

var errNoPorts = errors.New("no free rtp port")

// portPool hands out RTP sockets from the configured range, one per call.
// Ports return to the back of the free list, so a port is reused as late as
// possible (stray packets of an old call rarely reach a new one).
type portPool struct {
	ip netip.Addr

	mu   sync.Mutex
	free []int // nil with any == true: let the kernel choose
	any  bool
}

func newPortPool(ip netip.Addr, min, max int) *portPool {
	p := &portPool{ip: ip}
	if min < 0 {
		p.any = true
		return p
	}
	for port := min; port <= max; port++ {
		p.free = append(p.free, port)
	}
	return p
}

// open binds a socket on a free port.
func (p *portPool) open() (*net.UDPConn, error) {
	if p.any {
		c, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(p.ip, 0)))
		if err != nil {
			return nil, fmt.Errorf("listen rtp: %w", err)
		}
		return c, nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for tries := len(p.free); tries > 0; tries-- {
		port := p.free[0]
		p.free = p.free[1:]
		c, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(p.ip, uint16(port))))
		if err == nil {
			return c, nil
		}
		p.free = append(p.free, port) // in use by someone else: try later
	}
	return nil, errNoPorts
}

// release returns port to the pool once its socket is closed.
func (p *portPool) release(port int) {
	if p.any {
		return
	}
	p.mu.Lock()
	p.free = append(p.free, port)
	p.mu.Unlock()
}

// available is the number of ports not handed out.
func (p *portPool) available() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.free)
}
