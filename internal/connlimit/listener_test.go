package connlimit

import (
	"errors"
	"io"
	"net"
	"os"
	"slices"
	"syscall"
	"testing"
	"time"
)

// scripted fails Accept with its script's errors in turn (a nil entry
// accepts from the real listener), then accepts from the real listener.
type scripted struct {
	net.Listener
	script []error
}

func (s *scripted) Accept() (net.Conn, error) {
	if len(s.script) > 0 {
		err := s.script[0]
		s.script = s.script[1:]
		if err != nil {
			return nil, err
		}
	}
	return s.Listener.Accept()
}

func acceptErr(errno syscall.Errno) error {
	return &net.OpError{Op: "accept", Net: "tcp", Err: os.NewSyscallError("accept4", errno)}
}

func listenLoopback(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln
}

func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// TestListenerRetriesFailedAccepts: every failure of the wrapped Accept,
// temporary to net/http or not, is retried with a doubling wait that
// starts over after a success; only a closed listener ends Accept.
func TestListenerRetriesFailedAccepts(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		name       string
		script     []error
		accepts    int // connections dialled and accepted
		wantDelays []time.Duration
	}{
		{"EMFILE (descriptors run out)", []error{acceptErr(syscall.EMFILE), acceptErr(syscall.EMFILE), acceptErr(syscall.EMFILE)}, 1, []time.Duration{5 * ms, 10 * ms, 20 * ms}},
		{"ENOBUFS (not temporary to net/http)", []error{acceptErr(syscall.ENOBUFS)}, 1, []time.Duration{5 * ms}},
		{"EPROTO (Linux passes on the new connection's error)", []error{acceptErr(syscall.EPROTO), acceptErr(syscall.ENETUNREACH)}, 1, []time.Duration{5 * ms, 10 * ms}},
		{"the wait starts over after a success", []error{acceptErr(syscall.EMFILE), acceptErr(syscall.EMFILE), nil, acceptErr(syscall.ENFILE)}, 2, []time.Duration{5 * ms, 10 * ms, 5 * ms}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			inner := listenLoopback(t)
			var errs []error
			var delays []time.Duration
			l := NewListener(&scripted{Listener: inner, script: tc.script}, New(Limits{}), Events{
				AcceptFailed: func(err error, d time.Duration) { errs = append(errs, err); delays = append(delays, d) }})
			for i := range tc.accepts {
				client := dial(t, inner.Addr().String())
				c, err := l.Accept()
				if err != nil {
					t.Fatalf("Accept %d: %v; want a connection", i, err)
				}
				defer c.Close()
				if c.RemoteAddr().String() != client.LocalAddr().String() {
					t.Errorf("Accept %d from %v; want %v", i, c.RemoteAddr(), client.LocalAddr())
				}
			}
			if !slices.Equal(delays, tc.wantDelays) {
				t.Errorf("waits %v; want %v", delays, tc.wantDelays)
			}
			var want []error
			for _, e := range tc.script {
				if e != nil {
					want = append(want, e)
				}
			}
			if !slices.Equal(errs, want) {
				t.Errorf("AcceptFailed saw %v; want %v", errs, want)
			}
		})
	}
}

// TestListenerClose: Close ends Accept, also during a wait after a failure.
func TestListenerClose(t *testing.T) {
	for _, tc := range []struct {
		name   string
		script []error
	}{
		{"while accepting", nil},
		{"while waiting to retry", []error{acceptErr(syscall.EMFILE)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var l *Listener
			l = NewListener(&scripted{Listener: listenLoopback(t), script: tc.script}, New(Limits{}), Events{
				AcceptFailed: func(error, time.Duration) { l.Close() }})
			if tc.script == nil {
				l.Close()
			}
			if c, err := l.Accept(); !errors.Is(err, net.ErrClosed) {
				t.Errorf("Accept on a closed listener = %v, %v; want net.ErrClosed", c, err)
			}
		})
	}
}

// TestListenerRefusesOverCap: a connection over a cap is shown to Refused
// and closed at once; Accept goes on to the next one within the caps.
func TestListenerRefusesOverCap(t *testing.T) {
	inner := listenLoopback(t)
	refused := make(chan net.Addr, 1)
	l := NewListener(inner, New(Limits{Total: 1}), Events{Refused: func(c net.Conn) { refused <- c.RemoteAddr() }})
	dial(t, inner.Addr().String())
	first, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	over := dial(t, inner.Addr().String())
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			t.Error(err)
		}
		accepted <- c
	}()
	if _, err := over.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("read on a connection over the total cap: %v; want EOF", err)
	}
	if got := <-refused; got.String() != over.LocalAddr().String() {
		t.Errorf("Refused saw %v; want %v", got, over.LocalAddr())
	}
	first.Close()
	next := dial(t, inner.Addr().String())
	c := <-accepted
	defer c.Close()
	if c.RemoteAddr().String() != next.LocalAddr().String() {
		t.Errorf("accepted %v after a slot freed; want %v", c.RemoteAddr(), next.LocalAddr())
	}
}
