package sip

import (
	"context"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/switchboard-cc/switchboard/ivr"
	"github.com/switchboard-cc/switchboard/sip/siptest"
)

// respondWatcher is the server transaction of an INFO: it sees the
// response the server sends. Only Respond is used by onInfo.
type respondWatcher struct {
	sip.ServerTransaction
	onRespond func(*sip.Response)
}

func (w respondWatcher) Respond(res *sip.Response) error {
	w.onRespond(res)
	return nil
}

// TestInfoDigitPressedBeforeTheOK: a phone sends its next SIP INFO once the
// previous one got its 200 OK, and the server handles each INFO on its own
// goroutine; so the key must be pressed before the 200 goes out, or "42#"
// arrives as "24#" or "#" before "4" (seen under load in
// TestPromptThenDigits/info_dtmf).
func TestInfoDigitPressedBeforeTheOK(t *testing.T) {
	calls := make(chan *Call, 1)
	srv := startServer(t, Config{}, func(ctx context.Context, call ivr.Call) {
		_ = call.Answer(ctx)
		calls <- call.(*Call)
		<-call.Done()
	})
	phone := newPhone(t, "127.0.0.1")
	ctx := ctxT(t, 10*time.Second)
	pc, err := phone.Dial(ctx, srv.target, siptest.DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Hangup(ctx)
	var c *Call
	select {
	case c = <-calls:
	case <-ctx.Done():
		t.Fatal("no call")
	}
	// An in-dialog INFO from the caller: the INVITE's dialog identifiers
	// with our tag in To.
	req := c.dialog.InviteRequest.Clone()
	req.Method = sip.INFO
	tag, _ := c.dialog.InviteResponse.To().Params.Get("tag")
	req.To().Params = req.To().Params.Add("tag", tag)
	req.RemoveHeader("Content-Type")
	req.AppendHeader(sip.NewHeader("Content-Type", "application/dtmf-relay"))
	req.SetBody([]byte("Signal=4\r\nDuration=160\r\n"))
	var status int
	pressed := -1
	srv.onInfo(req, respondWatcher{onRespond: func(res *sip.Response) {
		status, pressed = res.StatusCode, c.Keys().Len()
	}})
	if status != 200 || pressed != 1 {
		t.Errorf("the INFO was answered %d with %d keys pressed; want 200 with the key already pressed", status, pressed)
	}
}
