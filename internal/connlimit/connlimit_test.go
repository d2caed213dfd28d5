package connlimit

import (
	"net"
	"testing"
)

// Remote addresses as a TCP listener reports them: v4 an IPv4 client of an
// IPv4 listener (4-byte IP), mapped an IPv4 client of a dual-stack one
// (16-byte ::ffff:a.b.c.d; it prints as a.b.c.d), v6 an IPv6 client.
func v4(ip string) net.Addr     { return &net.TCPAddr{IP: net.ParseIP(ip).To4(), Port: 40000} }
func mapped(ip string) net.Addr { return &net.TCPAddr{IP: net.ParseIP(ip).To16(), Port: 40001} }
func v6(ip string) net.Addr     { return &net.TCPAddr{IP: net.ParseIP(ip), Port: 40002} }

// textAddr is a remote address that is no *net.TCPAddr (a wrapped
// listener's), known only by its String.
type textAddr string

func (a textAddr) Network() string { return "tcp" }
func (a textAddr) String() string  { return string(a) }

// remoteConn is one end of a pipe that says it comes from remote.
type remoteConn struct {
	net.Conn
	remote net.Addr
}

func (c remoteConn) RemoteAddr() net.Addr { return c.remote }

// step admits a connection from `from` and wants it admitted or not, or,
// when from is nil, closes the close-th admitted connection twice.
type step struct {
	from  net.Addr
	want  bool
	close int
}

func TestLimiterAdmit(t *testing.T) {
	const a, b, c = "203.0.113.7", "198.51.100.9", "192.0.2.1"
	tests := []struct {
		name  string
		lim   Limits
		steps []step
	}{
		{"per-source cap; other sources unaffected; a release frees the slot", Limits{PerSource: 2},
			[]step{{from: v4(a), want: true}, {from: v4(a), want: true}, {from: v4(a)}, {from: v4(b), want: true},
				{close: 0}, {from: v4(a), want: true}, {from: v4(a)}}},
		{"total cap; a release frees the slot", Limits{Total: 3},
			[]step{{from: v4(a), want: true}, {from: v4(b), want: true}, {from: v4(b), want: true}, {from: v4(c)},
				{close: 1}, {from: v4(c), want: true}, {from: v4(a)}}},
		{"caps <= 0 are none", Limits{PerSource: 0, Total: -1},
			[]step{{from: v4(a), want: true}, {from: v4(a), want: true}, {from: v4(a), want: true}, {from: v4(a), want: true}}},
		{"a second Close releases nothing", Limits{Total: 1},
			[]step{{from: v4(a), want: true}, {from: v4(b)}, {close: 0}, {from: v4(b), want: true}, {from: v4(c)}}},
		{"a second Close releases nothing of its source", Limits{PerSource: 1},
			[]step{{from: v4(a), want: true}, {close: 0}, {from: v4(a), want: true}, {from: v4(a)}}},
		{"loopback exempt from the per-source cap, not from the total", Limits{PerSource: 1, Total: 5, LoopbackExempt: true},
			[]step{{from: v4("127.0.0.1"), want: true}, {from: v4("127.0.0.1"), want: true}, {from: v6("::1"), want: true},
				{from: v4(a), want: true}, {from: v4(a)}, {from: mapped("127.0.0.1"), want: true}, {from: v4("127.0.0.1")}}},
		{"loopback capped like any source without the option", Limits{PerSource: 1},
			[]step{{from: v4("127.0.0.1"), want: true}, {from: v4("127.0.0.1")}, {from: v4("127.0.0.2"), want: true}, {from: v6("::1"), want: true}, {from: v6("::1")}}},
		{"IPv4-mapped IPv6 counts as the IPv4 source", Limits{PerSource: 2},
			[]step{{from: v4(a), want: true}, {from: mapped(a), want: true}, {from: v4(a)}, {from: mapped(a)},
				{from: textAddr("[::ffff:" + a + "]:5060")}, {from: mapped(b), want: true}}},
		{"a source known only by its text", Limits{PerSource: 1},
			[]step{{from: textAddr(a + ":5060"), want: true}, {from: v4(a)}, {from: textAddr("[2001:db8::1]:5060"), want: true}}},
		{"addresses that name no IP share one source", Limits{PerSource: 1},
			[]step{{from: &net.UnixAddr{Name: "/run/a.sock", Net: "unix"}, want: true}, {from: &net.UnixAddr{Name: "@", Net: "unix"}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := New(tc.lim)
			var admitted []net.Conn
			for i, s := range tc.steps {
				if s.from == nil {
					admitted[s.close].Close()
					admitted[s.close].Close()
					continue
				}
				server, client := net.Pipe()
				defer client.Close()
				got, ok := l.Admit(remoteConn{Conn: server, remote: s.from})
				if ok != s.want {
					t.Fatalf("step %d: Admit(from %s) = %v; want %v", i, s.from, ok, s.want)
				}
				if !ok {
					if got != nil {
						t.Errorf("step %d: refused Admit returned a conn", i)
					}
					server.Close()
					continue
				}
				if got.RemoteAddr() != s.from {
					t.Errorf("step %d: admitted conn's RemoteAddr = %v; want %v", i, got.RemoteAddr(), s.from)
				}
				admitted = append(admitted, got)
			}
			for _, c := range admitted {
				c.Close()
			}
			if l.open != 0 || len(l.bySource) != 0 {
				t.Errorf("all closed: open %d, by source %v; want none", l.open, l.bySource)
			}
		})
	}
}

// TestLimiterOnLoopbackSockets: the same count over real connections
// accepted from 127.0.0.2, with and without the loopback exemption.
func TestLimiterOnLoopbackSockets(t *testing.T) {
	for _, tc := range []struct {
		lim  Limits
		want []bool // admitted, per connection from 127.0.0.2
	}{
		{Limits{PerSource: 2}, []bool{true, true, false}},
		{Limits{PerSource: 2, LoopbackExempt: true}, []bool{true, true, true}},
		{Limits{PerSource: 2, Total: 2, LoopbackExempt: true}, []bool{true, true, false}},
	} {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		l := New(tc.lim)
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}}
		for i, want := range tc.want {
			client, err := d.Dial("tcp", ln.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer client.Close()
			raw, err := ln.Accept()
			if err != nil {
				t.Fatal(err)
			}
			c, ok := l.Admit(raw)
			if ok != want {
				t.Errorf("%+v: connection %d: Admit = %v; want %v", tc.lim, i, ok, want)
			}
			if ok {
				defer c.Close()
			} else {
				raw.Close()
			}
		}
	}
}
