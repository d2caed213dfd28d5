package ari

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/CyCoreSystems/ari/v5"
	"github.com/CyCoreSystems/ari/v5/client/native"
	"github.com/CyCoreSystems/ari/v5/stdbus"
	"golang.org/x/net/websocket"

	"github.com/switchboard-cc/switchboard/internal/clock"
	"github.com/switchboard-cc/switchboard/ivr"
)

// Handler runs one call: normally the flow engine's Run. Its Outcome tells
// the transport what to do with a channel still in Stasis when it returns:
// Continue sends it back to the dialplan, anything else hangs it up.
// It is ivr.Handler, the one signature every transport takes.
type Handler = ivr.Handler

// Options are the transport's collaborators; every field is optional.
type Options struct {
	Logger *slog.Logger
	Clock  clock.Clock // timeouts of Collect, ring and record backstops
}

// Transport is the Asterisk transport: it holds the events WebSocket of one
// Stasis application and runs a Handler for every caller that enters it.
type Transport struct {
	cfg     Config
	handler Handler
	log     *slog.Logger
	clk     clock.Clock
	rest    *native.Client // REST over ari/v5; its own WebSocket is unused
	// run tags the ids this process gives playbacks and bridges, so a
	// restarted Switchboard never collides with what an earlier run left.
	run string
	bus ari.Bus // fed by our WebSocket; calls subscribe here

	ready     chan struct{}
	readyOnce sync.Once

	mu       sync.Mutex
	calls    map[string]*call // by caller channel id
	legs     map[string]bool  // agent channel ids we originated
	watching map[string]bool  // bridged pairs re-adopted after a restart
	wg       sync.WaitGroup
	stopping bool
}

// runTag is a short id for this process's run.
func runTag() string {
	return strconv.FormatInt(time.Now().UnixNano()%(1<<32), 36)
}

// errReplaced: another WebSocket registered our application.
var errReplaced = errors.New("ari: application replaced by another controller")

// New returns a transport; Serve connects it.
func New(cfg Config, h Handler, opts Options) (*Transport, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if h == nil {
		return nil, errors.New("ari: no call handler")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if opts.Clock == nil {
		opts.Clock = clock.Real{}
	}
	// native.New only fills options; we never call its Connect, whose
	// WebSocket loop blocks without a context, retries at a fixed 1 s and
	// tells nobody when it reconnected. REST calls work without it.
	rest := native.New(&native.Options{Application: cfg.Application, URL: cfg.URL,
		WebsocketURL: cfg.WebsocketURL, Username: cfg.Username, Password: cfg.Password})
	return &Transport{
		cfg: cfg, handler: h, log: opts.Logger.With("transport", "ari", "app", cfg.Application),
		clk: opts.Clock, rest: rest, bus: stdbus.New(), ready: make(chan struct{}), run: runTag(),
		calls: map[string]*call{}, legs: map[string]bool{}, watching: map[string]bool{},
	}, nil
}

// Ready is closed once the events WebSocket is up and the channels left in
// the application by an earlier run have been re-adopted.
func (t *Transport) Ready() <-chan struct{} { return t.ready }

// Active counts the calls this transport is running.
func (t *Transport) Active() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.calls)
}

// Drain returns nil at once: stopping this process cuts off no Asterisk
// caller. The channels live in Asterisk; those in the Stasis application
// when Serve's context ends stay there (hearing silence) and the next run
// re-adopts them at the node they were in (Track, Serve's resync). So a
// draining Switchboard keeps taking and running ARI calls until it stops,
// rather than leaving new callers unanswered for the whole drain; to move
// callers elsewhere for good, change the dialplan, not the controller.
func (t *Transport) Drain(context.Context) error { return nil }

// Serve holds the events WebSocket until ctx ends, reconnecting with
// backoff whenever Asterisk is unreachable or the connection drops. It
// returns nil after ctx ends, once every call goroutine has returned. Calls
// still in Stasis are left there for the next run to re-adopt.
func (t *Transport) Serve(ctx context.Context) error {
	defer func() {
		t.mu.Lock()
		t.stopping = true
		t.mu.Unlock()
		t.wg.Wait()
	}()
	delay := t.cfg.Reconnect.Min
	failures := 0
	for ctx.Err() == nil {
		ws, err := t.dial(ctx)
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			failures++
			lvl := slog.LevelWarn
			if failures == 1 || failures%10 == 0 {
				lvl = slog.LevelError
			}
			t.log.Log(ctx, lvl, "ari: cannot connect to Asterisk; retrying",
				"url", t.cfg.WebsocketURL, "err", err, "retry_in", delay, "failures", failures)
			if clock.Sleep(ctx, clock.Real{}, delay) != nil {
				break
			}
			delay = min(2*delay, t.cfg.Reconnect.Max)
			continue
		}
		if failures > 0 {
			t.log.Info("ari: connected to Asterisk", "url", t.cfg.WebsocketURL, "after_failures", failures)
		} else {
			t.log.Info("ari: connected to Asterisk", "url", t.cfg.WebsocketURL)
		}
		failures, delay = 0, t.cfg.Reconnect.Min
		err = t.session(ctx, ws)
		switch {
		case ctx.Err() != nil:
		case errors.Is(err, errReplaced):
			t.log.Error("ari: ApplicationReplaced: another controller registered the Stasis application; "+
				"its calls are no longer ours. Check that only one Switchboard uses this application name. Reclaiming after backoff",
				"app", t.cfg.Application, "retry_in", t.cfg.Reconnect.Max)
			t.releaseAll()
			if clock.Sleep(ctx, clock.Real{}, t.cfg.Reconnect.Max) != nil {
				return nil
			}
		default:
			t.log.Warn("ari: events connection lost; reconnecting", "err", err)
		}
	}
	return nil
}

// dial opens the events WebSocket with Basic auth.
func (t *Transport) dial(ctx context.Context) (*websocket.Conn, error) {
	v := url.Values{"app": {t.cfg.Application}}
	cfg, err := websocket.NewConfig(t.cfg.WebsocketURL+"?"+v.Encode(), "http://localhost/")
	if err != nil {
		return nil, fmt.Errorf("websocket url: %w", err)
	}
	cfg.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(t.cfg.Username+":"+t.cfg.Password)))
	dctx, cancel := context.WithTimeout(ctx, t.cfg.RequestTimeout)
	defer cancel()
	ws, err := cfg.DialContext(dctx)
	if err != nil {
		return nil, err
	}
	return ws, nil
}

// session reads events until the connection ends. Right after connecting
// it reconciles with Asterisk: calls whose channel left while we were away
// end, channels in the app that nobody runs are re-adopted.
func (t *Transport) session(ctx context.Context, ws *websocket.Conn) error {
	stop := context.AfterFunc(ctx, func() { _ = ws.Close() })
	defer stop()
	defer ws.Close()

	frames := make(chan []byte, 64)
	readErr := make(chan error, 1)
	left := make(chan struct{}) // session returned: the reader stops too
	defer close(left)
	go func() {
		for {
			var data []byte
			if err := websocket.Message.Receive(ws, &data); err != nil {
				t.log.Debug("ari: events read ended", "err", err)
				readErr <- err
				close(frames)
				return
			}
			select {
			case frames <- data:
			case <-left:
				return
			}
		}
	}()
	// Events that arrive during the resync are buffered in frames and
	// handled after it; a StasisStart for a channel the resync adopted
	// is then ignored as a duplicate.
	t.resync(ctx)
	t.readyOnce.Do(func() { close(t.ready) })
	for data := range frames {
		e, err := ari.DecodeEvent(data)
		if err != nil {
			t.log.Debug("ari: undecodable event", "err", err)
			continue
		}
		if e.GetType() == ari.Events.ApplicationReplaced {
			return errReplaced
		}
		if t.log.Enabled(ctx, slog.LevelDebug) {
			t.log.Debug("ari: event", "type", e.GetType(), "keys", fmt.Sprint(e.Keys()))
		}
		t.dispatch(ctx, e)
	}
	return <-readErr
}

// dispatch starts a call on a caller's StasisStart and hands every event
// to the subscribers of the bus.
func (t *Transport) dispatch(ctx context.Context, e ari.Event) {
	if st, ok := e.(*ari.StasisStart); ok && !isAgentLeg(st.Channel.ID, st.Args) {
		t.mu.Lock()
		_, known := t.calls[st.Channel.ID]
		t.mu.Unlock()
		if !known {
			t.startCall(ctx, st.Channel, st.Args, false)
		}
	}
	t.bus.Send(e)
}

// agentPrefix marks the channels Switchboard originates to agents, so a
// restarted Switchboard tells them from callers.
const agentPrefix = "swagent-"

func isAgentLeg(id string, args []string) bool {
	return strings.HasPrefix(id, agentPrefix) || (len(args) > 0 && args[0] == "agent")
}

// dialedNumber picks the flow's number: the first Stasis argument that is
// not the keyword "inbound", else the channel's dialplan extension.
func dialedNumber(ch ari.ChannelData, args []string) string {
	for _, a := range args {
		if a != "" && a != "inbound" {
			return a
		}
	}
	if ch.Dialplan != nil {
		return ch.Dialplan.Exten
	}
	return ""
}

// startCall registers a call and runs the handler in its own goroutine.
func (t *Transport) startCall(ctx context.Context, ch ari.ChannelData, args []string, recovered bool) *call {
	c := t.newCall(ctx, ch, args, recovered)
	t.mu.Lock()
	if t.stopping {
		t.mu.Unlock()
		c.release()
		return nil
	}
	t.calls[c.id] = c
	t.wg.Add(1)
	t.mu.Unlock()
	go func() {
		defer t.wg.Done()
		defer func() {
			t.mu.Lock()
			delete(t.calls, c.id)
			t.mu.Unlock()
		}()
		c.run(t.handler)
	}()
	return c
}

// releaseAll forgets every call without touching its channel: after
// ApplicationReplaced another controller owns them.
func (t *Transport) releaseAll() {
	t.mu.Lock()
	calls := make([]*call, 0, len(t.calls))
	for _, c := range t.calls {
		calls = append(calls, c)
	}
	t.mu.Unlock()
	for _, c := range calls {
		c.release()
	}
}

// do runs one ari/v5 request (whose methods take no context) bounded by
// ctx and by the request timeout. A request abandoned on timeout finishes
// in the background; its result is dropped.
func (t *Transport) do(ctx context.Context, what string, f func() error) error {
	ctx, cancel := context.WithTimeout(ctx, t.cfg.RequestTimeout)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- f() }()
	select {
	case err := <-done:
		if err != nil {
			return &RequestError{Op: what, Status: statusOf(err), Err: err}
		}
		return nil
	case <-ctx.Done():
		return &RequestError{Op: what, Err: ctx.Err()}
	}
}

// RequestError is a failed ARI request: Status is the HTTP status (0 when
// no response came).
type RequestError struct {
	Op     string
	Status int
	Err    error
}

func (e *RequestError) Error() string {
	if e.Status != 0 {
		return fmt.Sprintf("ari %s: status %d", e.Op, e.Status)
	}
	return fmt.Sprintf("ari %s: %v", e.Op, e.Err)
}

func (e *RequestError) Unwrap() error { return e.Err }

// Gone reports whether the error means the channel left us: 404 (no such
// channel) or 409 (not in our Stasis application).
func (e *RequestError) Gone() bool { return e.Status == 404 || e.Status == 409 }

func statusOf(err error) int {
	var coder interface{ Code() int }
	for e := err; e != nil; e = errors.Unwrap(e) {
		if c, ok := e.(interface{ Code() int }); ok {
			return c.Code()
		}
		if cause, ok := e.(interface{ Cause() error }); ok && cause.Cause() != nil {
			if errors.As(cause.Cause(), &coder) {
				return coder.Code()
			}
		}
	}
	return 0
}

// detached is a short context for clean-up after the call's own context
// ended (stop a playback, stop music): Asterisk must still be told.
func (t *Transport) detached() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), t.cfg.RequestTimeout)
}

func (t *Transport) key(kind, id string) *ari.Key { return ari.NewKey(kind, id) }

// sleepReal waits on the wall clock; used only for retry pacing.
func sleepReal(ctx context.Context, d time.Duration) error { return clock.Sleep(ctx, clock.Real{}, d) }

var errRecordingFailed = errors.New("recording failed")

func asRequestError(err error, re **RequestError) bool { return errors.As(err, re) }
