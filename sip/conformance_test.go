package sip

import (
	"context"
	"errors"
	"net/netip"
	"sync"
	"testing"
	"time"

	sipgosip "github.com/emiago/sipgo/sip"

	"github.com/switchboard-cc/switchboard/ivr"
	"github.com/switchboard-cc/switchboard/ivr/ivrtest"
	"github.com/switchboard-cc/switchboard/media"
	"github.com/switchboard-cc/switchboard/routing"
	"github.com/switchboard-cc/switchboard/sip/b2bua"
	"github.com/switchboard-cc/switchboard/sip/registrar"
	"github.com/switchboard-cc/switchboard/sip/siptest"
)

// TestConformance runs ivr/ivrtest's suite over the native SIP transport:
// a siptest caller dials a real server over loopback, and agents are
// siptest phones rung through the B2BUA.
func TestConformance(t *testing.T) {
	if testing.Short() {
		t.Skip("conformance suite runs on real time")
	}
	ivrtest.RunConformance(t, sipFactory)
}

// staticPhones is the Locator: each agent's phone at a fixed contact (the
// registrar's job in production, tested in sip/registrar).
type staticPhones map[string]string

func (s staticPhones) Lookup(agentID string) []registrar.Contact {
	uri, ok := s[agentID]
	if !ok {
		return nil
	}
	return []registrar.Contact{{AgentID: agentID, URI: uri, Transport: "udp", Expires: time.Now().Add(time.Hour)}}
}

func sipFactory(t *testing.T, s ivrtest.Setup) (ivr.Call, ivrtest.Remote) {
	r := &sipRemote{agents: map[string]*siptest.Phone{}, answered: make(chan struct{}), ended: make(chan struct{})}
	locator := staticPhones{}
	for _, a := range s.Agents {
		p := newPhone(t, "127.0.0.1")
		switch a.Behavior {
		case ivrtest.Answers:
			p.SetIncoming(siptest.AnswerIncoming, a.AnswerAfter)
		case ivrtest.Busy:
			p.SetIncoming(siptest.BusyIncoming, 0)
		default:
			p.SetIncoming(siptest.RingIncoming, 0)
		}
		r.agents[a.ID] = p
		locator[a.ID] = p.Contact(a.ID)
	}
	legs, err := b2bua.New(b2bua.Config{Phones: locator, MediaIP: netip.MustParseAddr("127.0.0.1")})
	if err != nil {
		t.Fatal(err)
	}
	// The caller's phone is made before the server starts, so cleanup
	// stops the server first: it hangs up on a phone that still answers
	// the BYE, instead of waiting out its shutdown allowance (5 s a case).
	caller := newPhone(t, "127.0.0.1")
	calls := make(chan ivr.Call, 1)
	srv, err := New(Config{Listen: "127.0.0.1:0", RTPPortMin: -1}, Deps{
		Handler: runs(func(ctx context.Context, c ivr.Call) {
			calls <- c
			<-c.Done()
		}),
		Prompts:       s.Prompts,
		RecordingsDir: s.RecordingsDir,
		Agents:        &AgentPhones{Legs: legs},
	})
	if err != nil {
		t.Fatal(err)
	}
	serveUntilCleanup(t, srv)

	dialCtx, stopDial := context.WithCancel(context.Background())
	r.stopDial = stopDial
	t.Cleanup(stopDial)
	c, err := caller.Start(dialCtx, "sip:"+s.To+"@"+srv.Addr(), siptest.DialOptions{From: s.From, DTMFPayloadType: 101})
	if err != nil {
		t.Fatal(err)
	}
	r.call = c
	go func() {
		if err := c.WaitAnswer(dialCtx); err != nil {
			close(r.ended)
			return
		}
		// A phone sends audio all the time: the suite's recordings need it.
		c.Play([]media.Clip{media.Beep(media.PCMU)}, true)
		close(r.answered)
		<-c.Done()
		close(r.ended)
	}()
	select {
	case call := <-calls:
		return call, r
	case <-time.After(5 * time.Second):
		t.Fatal("the call never reached the handler")
		return nil, nil
	}
}

type sipRemote struct {
	call     *siptest.Call
	agents   map[string]*siptest.Phone
	answered chan struct{}
	ended    chan struct{}
	stopDial context.CancelFunc
	once     sync.Once
}

// up waits until the caller's side is answered (or gone).
func (r *sipRemote) up(ctx context.Context) bool {
	select {
	case <-r.answered:
		return true
	case <-r.ended:
	case <-ctx.Done():
	}
	return false
}

func (r *sipRemote) Press(ctx context.Context, keys string) error {
	if !r.up(ctx) {
		return siptest.ErrCallEnded
	}
	r.call.QueueDigits(keys) // the suite allows for the latency
	return nil
}

func (r *sipRemote) Hangup(ctx context.Context) error {
	select {
	case <-r.answered:
	default:
		// Ringing: CANCEL. But the 200 OK may already be here (the
		// engine answers, then the suite hangs up at once): then BYE.
		r.stopDial()
		select {
		case <-r.answered:
		case <-r.ended:
			return nil
		case <-time.After(2 * time.Second):
			return nil
		}
	}
	// The suite may end its context, and close our phone, as soon as the
	// server sees the BYE: the 200 may never be read.
	hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := r.call.Hangup(hctx); err != nil && !errors.Is(err, sipgosip.ErrTransactionCanceled) && !errors.Is(err, sipgosip.ErrTransactionTerminated) {
		return err
	}
	return nil
}

func (r *sipRemote) AgentHangup(ctx context.Context, agentID string) error {
	hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if p := r.agents[agentID]; p != nil && p.HangupIncoming(hctx) {
		return nil
	}
	return siptest.ErrCallEnded
}

func (r *sipRemote) Endpoint(agentID string) routing.Endpoint {
	uri := ""
	if p := r.agents[agentID]; p != nil {
		uri = p.Contact(agentID)
	}
	return routing.Endpoint{AgentID: agentID, URI: uri}
}

// TransferTarget: a blind transfer is a REFER to the caller's phone, which
// accepts it (202); the server then hangs up.
func (r *sipRemote) TransferTarget() ivr.Transfer {
	return ivr.Transfer{Target: "sip:7001@127.0.0.1", Kind: "uri"}
}

func (r *sipRemote) Ended() <-chan struct{} { return r.ended }
