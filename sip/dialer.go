package sip

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/switchboard-cc/switchboard/ivr"
	"github.com/switchboard-cc/switchboard/media"
	"github.com/switchboard-cc/switchboard/routing"
	"github.com/switchboard-cc/switchboard/sip/b2bua"
	"github.com/switchboard-cc/switchboard/sip/sdpaudio"
)

// Trunk defaults (TrunkConfig).
const (
	DefaultTrunkRingTimeout = 20 * time.Second
	DefaultCallbackAttempts = 3
	DefaultCallbackRetry    = 10 * time.Minute
	DefaultConnectingPrompt = "en/connecting.wav"
)

// TrunkConfig is the outbound line callbacks are dialled on (sip.trunk).
// Without a URI there is no trunk and serve refuses callbacks.
type TrunkConfig struct {
	// URI is where a number is dialled; "{number}" is replaced by it, e.g.
	// "sip:{number}@pbx.example.com:5060".
	URI string `yaml:"uri"`
	// From is the number the customer's phone shows (the From user part).
	From string `yaml:"from"`
	// Listen is the local UDP address of the trunk's signalling; empty:
	// the media IP, on a port the system picks.
	Listen string `yaml:"listen"`
	// RingTimeout bounds how long the customer's phone rings (it is also
	// kept short enough for the agent reserved meanwhile to be rung).
	RingTimeout time.Duration `yaml:"ring_timeout"`
	// Attempts is how many times a customer who does not answer (or is
	// busy) is called before the callback is dropped; RetryAfter is the
	// pause between attempts, during which the callback is out of line and
	// then comes back at its original place.
	Attempts   int           `yaml:"attempts"`
	RetryAfter time.Duration `yaml:"retry_after"`
	// Connecting is the prompt file (in the prompt store) the customer hears
	// when they answer, before the agent's phone rings.
	Connecting string `yaml:"connecting"`
	// Allow and Deny are the dial plan (DialPlan): a callback number must
	// match an Allow pattern and no Deny pattern, or it is refused when the
	// caller asks and again before it is dialled. Empty Allow:
	// DefaultTrunkAllow, national numbers only.
	Allow []string `yaml:"allow"`
	Deny  []string `yaml:"deny"`
}

// DialPlan compiles Allow and Deny.
func (t TrunkConfig) DialPlan() (*DialPlan, error) { return NewDialPlan(t.Allow, t.Deny) }

// Enabled reports whether a trunk is configured.
func (t TrunkConfig) Enabled() bool { return t.URI != "" }

func (t TrunkConfig) withDefaults() (TrunkConfig, error) {
	if !strings.Contains(t.URI, "{number}") {
		return t, fmt.Errorf("sip: trunk uri %q: must contain {number}", t.URI)
	}
	var u sip.Uri
	if err := sip.ParseUri(strings.ReplaceAll(t.URI, "{number}", "1"), &u); err != nil {
		return t, fmt.Errorf("sip: trunk uri %q: %w", t.URI, err)
	}
	if _, err := t.DialPlan(); err != nil {
		return t, err
	}
	if t.From != "" && !dialable(t.From) {
		return t, fmt.Errorf("sip: trunk from %q: digits and a leading + only", t.From)
	}
	if t.RingTimeout <= 0 {
		t.RingTimeout = DefaultTrunkRingTimeout
	}
	if t.Attempts <= 0 {
		t.Attempts = DefaultCallbackAttempts
	}
	if t.RetryAfter <= 0 {
		t.RetryAfter = DefaultCallbackRetry
	}
	if t.Connecting == "" {
		t.Connecting = DefaultConnectingPrompt
	}
	return t, nil
}

// target is the trunk URI for number. Only digits with an optional leading
// + are dialled: a number from a flow variable can never smuggle a host or
// URI parameters into the request (no toll fraud).
func (t TrunkConfig) target(number string) (sip.Uri, error) {
	var u sip.Uri
	if !dialable(number) {
		return u, fmt.Errorf("callback number %q: digits and a leading + only", number)
	}
	err := sip.ParseUri(strings.ReplaceAll(t.URI, "{number}", number), &u)
	return u, err
}

func dialable(s string) bool {
	for i, c := range s {
		if (c < '0' || c > '9') && !(c == '+' && i == 0) {
			return false
		}
	}
	return s != "" && s != "+"
}

// DialError is a customer who did not take the call: Status is the SIP
// final response (486 busy, 603 decline, 480...), 0 when the phone rang out.
type DialError struct {
	Status int
	Reason string
}

func (e *DialError) Error() string {
	if e.Status == 0 {
		return "no answer"
	}
	return fmt.Sprintf("customer answered %d %s", e.Status, e.Reason)
}

// Dialer places outbound calls on the trunk, from its own signalling
// socket, with RTP ports and prompts from the Server. Callback (callback.go)
// runs a virtual-hold callback over it.
type Dialer struct {
	srv      *Server
	cfg      TrunkConfig
	plan     *DialPlan
	log      *slog.Logger
	requeue  func(ctx context.Context, req routing.Request, number string) error
	ready    chan struct{}
	dialogs  *sipgo.DialogClientCache
	fromHost string

	mu       sync.Mutex
	runCtx   context.Context // Serve's: callbacks end with it
	local    netip.AddrPort  // the signalling socket's address, once ready
	calls    map[*Outbound]struct{}
	active   map[string]bool // callback call IDs being dialled or talking
	attempts map[string]int  // callback call ID -> customer attempts so far
}

// DialerDeps connect the dialer to the ACD.
type DialerDeps struct {
	// Requeue puts a callback back in line after the customer did not
	// answer (routing.ACD.RequestCallback).
	Requeue func(ctx context.Context, req routing.Request, number string) error
	Logger  *slog.Logger
}

// NewDialer prepares a dialer for srv; Serve starts it once srv listens.
func NewDialer(srv *Server, cfg TrunkConfig, deps DialerDeps) (*Dialer, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	plan, err := cfg.DialPlan()
	if err != nil {
		return nil, err
	}
	log := deps.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Dialer{srv: srv, cfg: cfg, plan: plan, log: log, requeue: deps.Requeue, ready: make(chan struct{}),
		calls: map[*Outbound]struct{}{}, active: map[string]bool{}, attempts: map[string]int{}}, nil
}

// Ready is closed once the dialer can place calls.
func (d *Dialer) Ready() <-chan struct{} { return d.ready }

// Serve binds the trunk's signalling socket (after the Server listens) and
// answers the customers' in-dialog requests until ctx ends; then it hangs
// up every outbound call.
func (d *Dialer) Serve(ctx context.Context) error {
	select {
	case <-d.srv.Ready():
	case <-ctx.Done():
		return nil
	}
	listen := d.cfg.Listen
	if listen == "" {
		listen = netip.AddrPortFrom(d.srv.mediaIP, 0).String()
	}
	ua, err := net.ResolveUDPAddr("udp", listen)
	if err != nil {
		return fmt.Errorf("sip: trunk listen %s: %w", listen, err)
	}
	conn, err := net.ListenUDP("udp", ua)
	if err != nil {
		return fmt.Errorf("sip: trunk listen %s: %w", listen, err)
	}
	laddr := conn.LocalAddr().(*net.UDPAddr).AddrPort()
	host := laddr.Addr().String()
	if laddr.Addr().IsUnspecified() {
		host = d.srv.mediaIP.String()
	}
	d.fromHost = host
	// The trunk's peer, or anyone who can send to this socket, is heard by
	// the stack as a caller is by the Server's: its log is limited the
	// same way (loglimit.go).
	stackLog := slog.New(newLimitedHandler(d.log.Handler(), time.Now))
	agent, err := sipgo.NewUA(sipgo.WithUserAgent(d.srv.cfg.UserAgent), sipgo.WithUserAgentHostname(host),
		sipgo.WithUserAgentTransactionLayerOptions(sip.WithTransactionLayerLogger(stackLog),
			sip.WithTransactionLayerUnhandledResponseHandler(func(*sip.Response) {})),
		sipgo.WithUserAgentTransportLayerOptions(sip.WithTransportLayerLogger(stackLog)))
	if err != nil {
		conn.Close()
		return fmt.Errorf("sip: trunk user agent: %w", err)
	}
	defer agent.Close()
	srv, err := sipgo.NewServer(agent, sipgo.WithServerLogger(stackLog))
	if err != nil {
		conn.Close()
		return fmt.Errorf("sip: trunk server: %w", err)
	}
	client, err := sipgo.NewClient(agent, sipgo.WithClientLogger(stackLog), sipgo.WithClientHostname(host),
		sipgo.WithClientPort(int(laddr.Port())), sipgo.WithClientConnectionAddr(laddr.String()))
	if err != nil {
		conn.Close()
		return fmt.Errorf("sip: trunk client: %w", err)
	}
	d.dialogs = sipgo.NewDialogClientCache(client, sip.ContactHeader{
		Address: sip.Uri{Scheme: "sip", User: "switchboard", Host: host, Port: int(laddr.Port())}})
	srv.OnBye(func(req *sip.Request, tx sip.ServerTransaction) {
		if err := d.dialogs.ReadBye(req, tx); err != nil {
			respond(tx, req, 481, "Call/Transaction Does Not Exist")
		}
	})
	srv.OnInvite(d.onInvite)
	srv.OnAck(func(*sip.Request, sip.ServerTransaction) {})
	srv.OnOptions(func(req *sip.Request, tx sip.ServerTransaction) { respond(tx, req, 200, "OK") })

	errc := make(chan error, 1)
	go func() { errc <- srv.ServeUDP(conn) }()
	sweepCtx, stopSweep := context.WithCancel(ctx)
	swept := make(chan struct{})
	go func() { defer close(swept); d.sweepRTPTimeouts(sweepCtx) }()
	defer func() { stopSweep(); <-swept }()
	if err := waitListening(agent.TransportLayer(), "udp", laddr.String(), errc); err != nil {
		conn.Close()
		return err
	}
	d.log.Info("sip trunk ready", "local", laddr.String(), "uri", d.cfg.URI)
	d.mu.Lock()
	d.runCtx = ctx
	d.local = laddr
	d.mu.Unlock()
	close(d.ready)

	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-errc:
		serveErr = fmt.Errorf("sip: trunk serve: %w", serveErr)
	}
	d.hangUpAll()
	conn.Close()
	return serveErr
}

// onInvite answers a customer's re-INVITE (session refresh, hold, a media
// move) as the Server answers a caller's (RFC 3264 §8.4); the trunk takes
// no new calls. An offer that does not parse is refused 400, one we cannot
// use 488, and the call goes on as it was.
func (d *Dialer) onInvite(req *sip.Request, tx sip.ServerTransaction) {
	if to := req.To(); to == nil || !to.Params.Has("tag") {
		respond(tx, req, 403, "Forbidden")
		return
	}
	id, err := sip.DialogIDFromRequestUAC(req)
	if err != nil {
		respond(tx, req, 481, "Call/Transaction Does Not Exist")
		return
	}
	d.mu.Lock()
	var found *Outbound
	for o := range d.calls {
		if o.dialog.ID == id {
			found = o
		}
	}
	d.mu.Unlock()
	if found == nil {
		respond(tx, req, 481, "Call/Transaction Does Not Exist")
		return
	}
	o := found
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(req.Body()) > 0 {
		no, status, reason := readReoffer(req.Body(), o.codec.PayloadType)
		if status != 0 {
			respond(tx, req, status, reason)
			return
		}
		o.held = holdsUs(no)
		o.dir = no.Direction.Reverse()
		if !no.OnHold {
			o.session.SetRemote(no.Remote)
		}
		o.session.SetSending(!o.held)
	}
	body := answer(o.local, offer{Codec: o.codec, DTMFPT: o.dtmfPT}, o.dir, o.sdpSession, o.sdpVersion.Add(1))
	res := sip.NewResponseFromRequest(req, 200, "OK", body)
	res.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	tx.Respond(res)
}

// sweepRTPTimeouts ends answered calls whose customer sent no RTP for the
// Server's RTPTimeout, unless they hold us (a trunk that lost the call
// without a BYE must not keep an agent talking to nobody). The owner's
// Hangup then sends BYE.
func (d *Dialer) sweepRTPTimeouts(ctx context.Context) {
	timeout := d.srv.cfg.RTPTimeout
	sweepSilent(ctx, timeout, func(now time.Time) {
		d.mu.Lock()
		calls := make([]*Outbound, 0, len(d.calls))
		for o := range d.calls {
			calls = append(calls, o)
		}
		d.mu.Unlock()
		for _, o := range calls {
			o.mu.Lock()
			held := o.held
			o.mu.Unlock()
			silent := silentFor(now, o.session.LastReceived(), o.answeredAt)
			if held || silent < timeout {
				continue
			}
			select {
			case <-o.done:
				continue
			default:
			}
			d.log.Info("callback: no rtp from the customer, ending the call", "call_id", o.callID, "silent_for", silent.Round(time.Millisecond))
			o.finish(ivr.BySystem, reasonRTPTimeout)
		}
	})
}

func (d *Dialer) hangUpAll() {
	d.mu.Lock()
	calls := make([]*Outbound, 0, len(d.calls))
	for o := range d.calls {
		calls = append(calls, o)
	}
	d.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, o := range calls {
		o.finish(ivr.BySystem, "shutdown")
		o.Hangup(ctx)
	}
}

// Dial calls number on the trunk for the callback callID, ringing it for at
// most ring. It returns the answered call, a *DialError when the customer
// did not take it, or another error (no port, network, ctx).
func (d *Dialer) Dial(ctx context.Context, callID, number string, ring time.Duration) (*Outbound, error) {
	select {
	case <-d.ready:
	default:
		return nil, errors.New("sip: trunk not ready")
	}
	// Checked when the caller asked too; again here, so nothing that
	// reaches the dialer by another path (a requeue, a restored callback)
	// dials outside the plan.
	if err := d.plan.Check(number); err != nil {
		return nil, err
	}
	target, err := d.cfg.target(number)
	if err != nil {
		return nil, err
	}
	conn, err := d.srv.ports.open()
	if err != nil {
		return nil, err
	}
	port := conn.LocalAddr().(*net.UDPAddr).Port
	local := netip.AddrPortFrom(d.srv.mediaIP, uint16(port))
	o := &Outbound{d: d, callID: callID, number: number, port: port, local: local,
		sdpSession: rand.Uint64() >> 1, done: make(chan struct{})}
	fail := func(err error) (*Outbound, error) {
		conn.Close()
		d.srv.ports.release(port)
		return nil, err
	}

	req := sip.NewRequest(sip.INVITE, target)
	from := &sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: d.cfg.From, Host: d.fromHost}, Params: sip.NewParams()}
	if d.cfg.From == "" {
		from.Address.User = "switchboard"
	}
	from.Params.Add("tag", sip.GenerateTagN(16))
	req.AppendHeader(from)
	req.AppendHeader(&sip.ToHeader{Address: target, Params: sip.NewParams()})
	req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	req.SetBody(offerSDP(local, o.sdpSession))
	dialog, err := d.dialogs.WriteInvite(ctx, req)
	if err != nil {
		return fail(fmt.Errorf("invite %s: %w", target.String(), err))
	}
	ringCtx, stop := context.WithTimeout(ctx, ring)
	err = waitAnswer(ringCtx, dialog)
	rangOut := ringCtx.Err() != nil // before stop, which cancels it in any case
	stop()
	if err != nil {
		// The customer may have answered all the same: a 200 OK that
		// crossed our CANCEL, or one sipgo could make no dialog of (no To
		// tag). Their phone is then off the hook; it is hung up, not left
		// open in silence until it gives up on our ACK.
		if r := dialog.InviteResponse; r != nil && r.IsSuccess() {
			hangUpUnwanted(dialog)
		}
		dialog.Close()
		var refused *sipgo.ErrDialogResponse
		switch {
		case errors.As(err, &refused):
			return fail(&DialError{Status: refused.Res.StatusCode, Reason: printable(refused.Res.Reason, maxReasonLen)})
		case ctx.Err() != nil:
			return fail(context.Cause(ctx))
		case rangOut:
			return fail(&DialError{Reason: "no answer"})
		}
		return fail(fmt.Errorf("invite %s: %w", target.String(), err))
	}
	o.dialog = dialog
	ans, err := parseOffer(dialog.InviteResponse.Body())
	if err == nil {
		err = mediaToSend(ans)
	}
	if err != nil {
		// Answered with nothing we can talk to: hang up at once rather
		// than ring an agent for a customer who would hear nothing.
		hangUpUnwanted(dialog)
		dialog.Close()
		return fail(fmt.Errorf("customer's sdp answer: %w", err))
	}
	if err := dialog.Ack(ctx); err != nil {
		dialog.Close()
		return fail(fmt.Errorf("ack: %w", err))
	}
	o.codec, o.dtmfPT = ans.Codec, ans.DTMFPT
	o.session = media.NewSession(media.SessionConfig{Conn: conn, Remote: ans.Remote, Codec: ans.Codec, DTMFPayloadType: ans.DTMFPT})
	o.session.Start(d.srv.pacer)
	o.stopWatch = context.AfterFunc(dialog.Context(), func() { o.finish(ivr.ByCaller, "bye") })
	o.answeredAt = time.Now()
	o.dir = SendRecv
	o.sdpVersion.Store(1) // the offer's
	d.mu.Lock()
	d.calls[o] = struct{}{}
	d.mu.Unlock()
	return o, nil
}

// waitAnswer waits for the customer's final response until ctx ends (then
// sipgo cancels the INVITE). sipgo's WaitAnswer gives up after ten
// responses and leaves the INVITE pending: the phone rings on, nobody
// cancels it, and every further response blocks a goroutine on the
// transaction for good. A trunk that sends more provisionals than that
// (repeated 180s, 183 updates) is waited on again, as long as each wait
// read something and the last response was provisional.
func waitAnswer(ctx context.Context, dialog *sipgo.DialogClientSession) error {
	for {
		read := 0
		err := dialog.WaitAnswer(ctx, sipgo.AnswerOptions{OnResponse: func(*sip.Response) error { read++; return nil }})
		if err == nil || read == 0 || ctx.Err() != nil {
			return err
		}
		if r := dialog.InviteResponse; r == nil || !r.IsProvisional() {
			return err
		}
	}
}

// hangUpUnwanted ACKs a 2xx we will not use and sends BYE, bounded in
// time whatever the dial's context (it may be the one that ended).
func hangUpUnwanted(dialog *sipgo.DialogClientSession) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := dialog.Ack(ctx); err != nil {
		return
	}
	dialog.Bye(ctx)
}

// mediaToSend refuses an answer that leaves the customer unable to hear
// us: on hold (c=0.0.0.0), inactive or sendonly. To our sendrecv offer a
// phone that picks up answers sendrecv (or recvonly).
func mediaToSend(ans offer) error {
	switch {
	case ans.OnHold || ans.Remote.Addr().IsUnspecified():
		return fmt.Errorf("%w: no address to send audio to (%s)", sdpaudio.ErrNoMedia, ans.Remote.Addr())
	case ans.Direction == sdpaudio.Inactive || ans.Direction == sdpaudio.SendOnly:
		return fmt.Errorf("%w: customer's audio is %s", sdpaudio.ErrNoMedia, ans.Direction)
	}
	return nil
}

// maxReasonLen bounds the reason phrase of a refusal we keep (it goes into
// the log and the error): a trunk can send up to a datagram's worth.
const maxReasonLen = 64

// printable is s clipped to max bytes, with anything but printable ASCII
// replaced by '?'.
func printable(s string, max int) string {
	b := []byte(s)
	clipped := len(b) > max
	if clipped {
		b = b[:max]
	}
	for i, c := range b {
		if c < 0x20 || c > 0x7e {
			b[i] = '?'
		}
	}
	if clipped {
		return string(b) + "…"
	}
	return string(b)
}

// offerSDP offers G.711 µ-law and A-law with RFC 4733 events.
func offerSDP(local netip.AddrPort, session uint64) []byte {
	ip := local.Addr().String()
	ipv := "IP4"
	if local.Addr().Is6() {
		ipv = "IP6"
	}
	s := strconv.FormatUint(session, 10)
	return []byte("v=0\r\no=switchboard " + s + " 1 IN " + ipv + " " + ip + "\r\ns=switchboard\r\nc=IN " + ipv + " " + ip +
		"\r\nt=0 0\r\nm=audio " + strconv.Itoa(int(local.Port())) + " RTP/AVP 0 8 101\r\n" +
		"a=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\n" +
		"a=ptime:20\r\na=sendrecv\r\n")
}

// Outbound is an answered call to a customer on the trunk.
type Outbound struct {
	d          *Dialer
	callID     string // the callback's call ID: events and agent legs use it
	number     string
	port       int
	local      netip.AddrPort
	sdpSession uint64
	dialog     *sipgo.DialogClientSession
	session    *media.Session
	codec      media.Codec
	dtmfPT     uint8
	stopWatch  func() bool
	answeredAt time.Time
	sdpVersion atomic.Uint64 // grows with each answer to a re-INVITE

	mu   sync.Mutex // held and dir: the customer's re-INVITEs set them
	held bool       // the customer holds us: no RTP expected, none sent
	dir  Direction  // ours, in the last answer

	endOnce     sync.Once
	by, reason  string
	done        chan struct{}
	releaseOnce sync.Once
}

// Done is closed when the call is over (either side).
func (o *Outbound) Done() <-chan struct{} { return o.done }

// Ended says who ended the call ("caller" for the customer, "system") and
// why, once Done is closed.
func (o *Outbound) Ended() (by, reason string) {
	<-o.done
	return o.by, o.reason
}

func (o *Outbound) finish(by, reason string) {
	o.endOnce.Do(func() {
		o.by, o.reason = by, reason
		close(o.done)
	})
}

func (o *Outbound) gone() error { return fmt.Errorf("customer %s: %w", o.reason, ivr.ErrHangup) }

// Play plays prompts to the customer; it returns when they are done, the
// customer hangs up (an error wrapping ivr.ErrHangup) or ctx ends.
func (o *Outbound) Play(ctx context.Context, p ivr.Playback) error {
	return o.play(ctx, p, false)
}

// Hold loops music to the customer until ctx ends (nil) or they hang up.
func (o *Outbound) Hold(ctx context.Context, music ivr.Playback) error {
	err := o.play(ctx, music, true)
	if ctx.Err() != nil && !errors.Is(err, ivr.ErrHangup) {
		return nil
	}
	return err
}

func (o *Outbound) play(ctx context.Context, p ivr.Playback, loop bool) error {
	clips := make([]media.Clip, 0, len(p.Prompts))
	for _, pr := range p.Prompts {
		clip, err := o.d.srv.prompts.Load(pr.File, o.codec)
		if err != nil {
			o.d.log.Warn("prompt not played", "prompt", pr.Name, "file", pr.File, "err", err)
			continue
		}
		clips = append(clips, clip)
	}
	playing := o.session.Play(clips, loop)
	defer o.session.Stop(playing)
	select {
	case <-playing.Done():
		return nil
	case <-o.done:
		return o.gone()
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Connect rings the offer's agents through the agent side (the B2BUA) and
// bridges the one who answers with the customer, exactly as for a caller:
// *ivr.ConnectError when nobody answered, an error wrapping ivr.ErrHangup
// when the customer hung up meanwhile.
func (o *Outbound) Connect(ctx context.Context, offer routing.Offer) (ivr.Leg, error) {
	a := o.d.srv.agents
	m, ok := any(o.session).(b2bua.CallerMedia)
	if a == nil || a.Legs == nil || !ok {
		misses := make(map[string]string, len(offer.Agents))
		for _, ag := range offer.Agents {
			misses[ag.AgentID] = ivr.MissUnreachable
		}
		return nil, &ivr.ConnectError{Misses: misses}
	}
	leg, err := a.Legs.Connect(ctx, b2bua.Caller{
		CallID: o.callID, Number: o.number, Codec: o.codec, DTMFPayloadType: o.dtmfPT, Media: m,
		MusicOnHold: func(ctx context.Context) error { return o.Hold(ctx, a.HoldMusic) },
		Done:        o.done,
	}, offer)
	if err != nil {
		if errors.Is(err, ivr.ErrHangup) {
			return nil, o.gone()
		}
		return nil, err
	}
	return leg, nil
}

// Hangup ends the call (BYE unless the customer already hung up) and
// releases its media. The owner calls it once it is done with the call,
// whoever ended it.
func (o *Outbound) Hangup(ctx context.Context) error {
	o.finish(ivr.BySystem, "hangup")
	var err error
	o.releaseOnce.Do(func() {
		o.stopWatch()
		if o.dialog.Context().Err() == nil {
			err = o.dialog.Bye(ctx)
		}
		o.dialog.Close()
		o.session.Close()
		o.d.srv.ports.release(o.port)
		o.d.mu.Lock()
		delete(o.d.calls, o)
		o.d.mu.Unlock()
	})
	return err
}
