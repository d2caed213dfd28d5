package postgres

import (
	"bytes"
	"context"
	"net"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/events"
)

// commitCutter is a TCP proxy in front of the server that breaks one
// connection at COMMIT: either after the server has answered it (the
// transaction committed, the client never hears so), or before the server
// sees it (the transaction is rolled back).
type commitCutter struct {
	ln      net.Listener
	target  string
	armed   atomic.Bool
	deliver bool // forward the COMMIT to the server before cutting
	cuts    atomic.Int32
	silent  atomic.Bool // drop what the client sends: a server that stopped answering
}

func newCommitCutter(t *testing.T, target string, deliver bool) *commitCutter {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &commitCutter{ln: ln, target: target, deliver: deliver}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.pipe(c)
		}
	}()
	return p
}

func (p *commitCutter) pipe(client net.Conn) {
	server, err := net.Dial("tcp", p.target)
	if err != nil {
		client.Close()
		return
	}
	var commitSent atomic.Bool
	go func() {
		buf := make([]byte, 64<<10)
		for {
			n, err := client.Read(buf)
			if n > 0 && p.silent.Load() {
				continue
			}
			if n > 0 {
				if bytes.Contains(bytes.ToLower(buf[:n]), []byte("commit")) && p.armed.CompareAndSwap(true, false) {
					if !p.deliver {
						p.cuts.Add(1)
						client.Close()
						server.Close()
						return
					}
					commitSent.Store(true)
				}
				if _, err := server.Write(buf[:n]); err != nil {
					client.Close()
					return
				}
			}
			if err != nil {
				server.Close()
				return
			}
		}
	}()
	buf := make([]byte, 64<<10)
	for {
		n, err := server.Read(buf)
		if n > 0 {
			if commitSent.Load() { // the server's answer to COMMIT: swallow it
				p.cuts.Add(1)
				client.Close()
				server.Close()
				return
			}
			if _, err := client.Write(buf[:n]); err != nil {
				server.Close()
				return
			}
		}
		if err != nil {
			client.Close()
			return
		}
	}
}

// viaProxy rewrites a database URL to go through the proxy.
func viaProxy(t *testing.T, dbURL string, p *commitCutter) string {
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	u.Host = p.ln.Addr().String()
	return u.String()
}

func lostCommitBatch() []events.Event {
	batch := make([]events.Event, 10)
	for i := range batch {
		batch[i] = events.Event{Time: t0.Add(time.Duration(i) * time.Second), CallID: "lost", Type: events.IVRNode}
	}
	return batch
}

// The connection breaks after the server committed: Append learns that it
// did and reports success, so the Writer does not write the batch again.
func TestCommitAnswerLost(t *testing.T) {
	ctx := context.Background()
	dbURL := pg.Database(t)
	direct := openDB(t, dbURL, Options{}) // creates the schema
	u, _ := url.Parse(dbURL)
	p := newCommitCutter(t, u.Host, true)
	s := openDB(t, viaProxy(t, dbURL, p), Options{})

	p.armed.Store(true)
	if err := s.Append(ctx, lostCommitBatch()); err != nil {
		t.Fatalf("Append whose COMMIT committed but whose answer was lost = %v; want nil", err)
	}
	if p.cuts.Load() != 1 {
		t.Fatalf("the proxy cut %d connections; want 1", p.cuts.Load())
	}
	if n, err := direct.Count(ctx, time.Time{}, time.Time{}); err != nil || n != 10 {
		t.Errorf("Count = %d, %v; want the batch once (10)", n, err)
	}
}

// The connection breaks before the server saw COMMIT: the transaction is
// rolled back, Append says so, and the retry stores the batch once.
func TestCommitNeverArrived(t *testing.T) {
	ctx := context.Background()
	dbURL := pg.Database(t)
	direct := openDB(t, dbURL, Options{})
	u, _ := url.Parse(dbURL)
	p := newCommitCutter(t, u.Host, false)
	s := openDB(t, viaProxy(t, dbURL, p), Options{})

	p.armed.Store(true)
	batch := lostCommitBatch()
	if err := s.Append(ctx, batch); err == nil {
		t.Fatal("Append whose COMMIT never reached the server = nil; want an error")
	}
	if n, err := direct.Count(ctx, time.Time{}, time.Time{}); err != nil || n != 0 {
		t.Fatalf("Count after the failed Append = %d, %v; want 0", n, err)
	}
	if err := s.Append(ctx, batch); err != nil {
		t.Fatal(err)
	}
	if n, err := direct.Count(ctx, time.Time{}, time.Time{}); err != nil || n != 10 {
		t.Errorf("Count after the retry = %d, %v; want 10", n, err)
	}
}

// A server that stops answering mid-batch: Append gives up after
// appendTimeout (the Writer retries) instead of holding the writer for ever.
func TestAppendGivesUpOnSilentServer(t *testing.T) {
	defer func(d time.Duration) { appendTimeout = d }(appendTimeout)
	appendTimeout = 500 * time.Millisecond
	dbURL := pg.Database(t)
	openDB(t, dbURL, Options{})
	u, _ := url.Parse(dbURL)
	p := newCommitCutter(t, u.Host, true)
	s := openDB(t, viaProxy(t, dbURL, p), Options{})

	p.silent.Store(true)
	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- s.Append(context.Background(), lostCommitBatch()) }()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("Append to a silent server = nil; want an error")
		}
		t.Logf("Append gave up after %v: %v", time.Since(start), err)
		p.silent.Store(false) // let the pool close its connections quickly
	case <-time.After(20 * time.Second):
		t.Fatal("Append to a silent server still waiting after 20s")
	}
}
