package sip

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/netip"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/switchboard-cc/switchboard/events"
	"github.com/switchboard-cc/switchboard/internal/clock"
	"github.com/switchboard-cc/switchboard/ivr"
	"github.com/switchboard-cc/switchboard/media"
)

// Server is the caller-side SIP user agent server: it accepts INVITEs on UDP
// and TCP, answers them with G.711 media and runs each call through the
// Handler. Agent phones (registrar, B2BUA legs) are a separate concern that
// plugs in beside it, not into it.
type Server struct {
	cfg     Config
	handler func(context.Context, *Call)
	claims  func(string) bool
	recDir  string
	events  events.Sink
	clock   clock.Clock
	log     *slog.Logger

	ua      *sipgo.UserAgent
	sipSrv  *sipgo.Server
	pacer   *media.Pacer
	prompts *media.PromptCache
	flood   *floodLimiter
	ports   *portPool

	dialogUAs map[string]*sipgo.DialogUA // by transport: "udp", "tcp"
	mediaIP   netip.Addr

	calls    sync.Map // dialog ID -> *Call
	active   atomic.Int64
	draining atomic.Bool   // Drain was called: new calls are refused
	idle     chan struct{} // closed once draining finds no call left
	idleOnce sync.Once
	wg       sync.WaitGroup // running calls

	ready chan struct{}
	addr  string
	stats Stats

	agents *AgentPhones // nil: no agent phones (agents.go)

	tcpLn    *limitedListener
	tcpMu    sync.Mutex
	tcpCalls map[string]int // remote host:port -> calls signalled over that TCP connection
}

// Stats counts what the server did, for logs and the bench.
type Stats struct {
	Accepted      atomic.Uint64
	Rejected      atomic.Uint64 // 4xx/5xx final responses to new INVITEs
	Flooded       atomic.Uint64 // refused by the per-source limit
	AtLimit       atomic.Uint64 // refused at MaxCalls
	RTPTimeouts   atomic.Uint64
	DigitsInfo    atomic.Uint64
	DigitsRFC4733 atomic.Uint64
}

// New validates cfg and prepares a server; Serve starts it.
func New(cfg Config, deps Deps) (*Server, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if deps.Handler == nil {
		return nil, errors.New("sip: no call handler")
	}
	if deps.Prompts == nil {
		return nil, errors.New("sip: no prompt store")
	}
	s := &Server{
		cfg:     cfg,
		handler: func(ctx context.Context, c *Call) { deps.Handler(ctx, c) },
		claims:  deps.Claims,
		recDir:  deps.RecordingsDir,
		events:  deps.Events,
		clock:   deps.Clock,
		log:     deps.Logger,
		prompts: media.NewPromptCache(deps.Prompts),
		ready:   make(chan struct{}),
		idle:    make(chan struct{}),
		agents:  deps.Agents,
	}
	if s.claims == nil {
		s.claims = func(string) bool { return true }
	}
	if s.events == nil {
		s.events = events.Discard
	}
	if s.clock == nil {
		s.clock = clock.Real{}
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.flood = newFloodLimiter(cfg.FloodRate, cfg.FloodBurst, s.clock.Now)
	shards := cfg.PacerShards
	if shards <= 0 {
		shards = runtime.GOMAXPROCS(0)
	}
	s.pacer = media.NewPacer(shards)
	return s, nil
}

func (s *Server) now() time.Time { return s.clock.Now() }

// Ready is closed once Serve listens; Addr is then the bound address.
func (s *Server) Ready() <-chan struct{} { return s.ready }

// Addr is the bound SIP address (UDP and TCP share the port).
func (s *Server) Addr() string { return s.addr }

// Active is the number of calls in progress.
func (s *Server) Active() int { return int(s.active.Load()) }

// Stats returns the server's counters.
func (s *Server) Stats() *Stats { return &s.stats }

// Serve listens and handles calls until ctx ends, then hangs up every call
// and waits (up to 5 s) for their handlers to return.
func (s *Server) Serve(ctx context.Context) error {
	udp, tcp, err := listen(s.cfg.Listen)
	if err != nil {
		return err
	}
	laddr := udp.LocalAddr().(*net.UDPAddr).AddrPort()
	s.addr = laddr.String()
	s.mediaIP = laddr.Addr()
	if s.cfg.MediaAddr != "" {
		s.mediaIP = netip.MustParseAddr(s.cfg.MediaAddr)
	} else if s.mediaIP.IsUnspecified() {
		s.mediaIP = netip.MustParseAddr("127.0.0.1")
	}
	s.ports = newPortPool(s.mediaIP, s.cfg.RTPPortMin, s.cfg.RTPPortMax)

	ua, err := sipgo.NewUA(sipgo.WithUserAgent(s.cfg.UserAgent),
		sipgo.WithUserAgentHostname(laddr.Addr().String()),
		sipgo.WithUserAgentTransactionLayerOptions(sip.WithTransactionLayerLogger(s.log),
			sip.WithTransactionLayerUnhandledResponseHandler(func(*sip.Response) {})),
		sipgo.WithUserAgentTransportLayerOptions(sip.WithTransportLayerLogger(s.log)))
	if err != nil {
		udp.Close()
		tcp.Close()
		return fmt.Errorf("sip: user agent: %w", err)
	}
	s.ua = ua
	s.sipSrv, err = sipgo.NewServer(ua, sipgo.WithServerLogger(s.log))
	if err != nil {
		return fmt.Errorf("sip: server: %w", err)
	}
	// Requests we send inside calls (BYE, REFER) leave from the listening
	// socket over UDP, so the caller sees one address for us; over TCP they
	// reuse the caller's connection.
	udpClient, err := sipgo.NewClient(ua, sipgo.WithClientLogger(s.log),
		sipgo.WithClientHostname(laddr.Addr().String()), sipgo.WithClientPort(int(laddr.Port())),
		sipgo.WithClientConnectionAddr(laddr.String()))
	if err != nil {
		return fmt.Errorf("sip: client: %w", err)
	}
	tcpClient, err := sipgo.NewClient(ua, sipgo.WithClientLogger(s.log),
		sipgo.WithClientHostname(laddr.Addr().String()), sipgo.WithClientPort(int(laddr.Port())))
	if err != nil {
		return fmt.Errorf("sip: client: %w", err)
	}
	s.dialogUAs = map[string]*sipgo.DialogUA{}
	for _, tr := range []string{"udp", "tcp"} {
		client := udpClient
		if tr == "tcp" {
			client = tcpClient
		}
		uri := sip.Uri{User: "switchboard", Host: laddr.Addr().String(), Port: int(laddr.Port())}
		if tr == "tcp" {
			uri.UriParams = sip.NewParams()
			uri.UriParams.Add("transport", "tcp")
		}
		s.dialogUAs[tr] = &sipgo.DialogUA{Client: client, ContactHDR: sip.ContactHeader{Address: uri}, RewriteContact: true}
	}
	s.handle(sip.INVITE, s.onInvite)
	s.handle(sip.ACK, s.onAck)
	s.handle(sip.BYE, s.onBye)
	s.handle(sip.CANCEL, s.onCancel)
	s.handle(sip.OPTIONS, s.onOptions)
	s.handle(sip.INFO, s.onInfo)
	s.handle(sip.NOTIFY, s.onNotify)
	s.sipSrv.OnNoRoute(supportedVersion(s.onNoRoute))
	s.mountAgents(ctx, udpClient, laddr)

	var bg sync.WaitGroup
	mediaCtx, stopMedia := context.WithCancel(context.Background())
	bg.Go(func() { s.pacer.Run(mediaCtx) })
	bg.Go(func() { s.sweepRTPTimeouts(mediaCtx) })
	errc := make(chan error, 2)
	go func() { errc <- s.sipSrv.ServeUDP(udp) }()
	s.tcpLn = newLimitedListener(tcp, tcpLimits{idle: s.cfg.TCPIdleTimeout, perSource: s.cfg.TCPMaxPerSource,
		total: s.cfg.TCPMaxConns, busy: s.tcpInUse, log: s.log})
	tcp = s.tcpLn
	go func() { errc <- s.sipSrv.ServeTCP(tcp) }()
	if err := waitListening(ua.TransportLayer(), "udp", s.addr, errc); err != nil {
		stopMedia()
		bg.Wait()
		udp.Close()
		tcp.Close()
		ua.Close()
		return err
	}
	s.log.Info("sip listening", "addr", s.addr, "transports", "udp,tcp", "media_ip", s.mediaIP,
		"rtp_ports", fmt.Sprintf("%d-%d", s.cfg.RTPPortMin, s.cfg.RTPPortMax))
	close(s.ready)

	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-errc:
		serveErr = fmt.Errorf("sip: serve: %w", serveErr)
	}
	s.shutdown()
	stopMedia()
	bg.Wait()
	udp.Close()
	tcp.Close()
	ua.Close()
	return serveErr
}

// tcpInUse reports whether a call in progress was signalled over the TCP
// connection from remote: that connection is kept however quiet it is.
func (s *Server) tcpInUse(remote string) bool {
	s.tcpMu.Lock()
	defer s.tcpMu.Unlock()
	return s.tcpCalls[remote] > 0
}

func (s *Server) tcpCallStarted(remote string) {
	s.tcpMu.Lock()
	defer s.tcpMu.Unlock()
	if s.tcpCalls == nil {
		s.tcpCalls = map[string]int{}
	}
	s.tcpCalls[remote]++
}

func (s *Server) tcpCallEnded(remote string) {
	s.tcpMu.Lock()
	defer s.tcpMu.Unlock()
	if s.tcpCalls[remote]--; s.tcpCalls[remote] <= 0 {
		delete(s.tcpCalls, remote)
	}
}

// listen binds UDP, then TCP on the same port (retrying when port 0 gave
// UDP a port that TCP cannot have).
func listen(addr string) (*net.UDPConn, net.Listener, error) {
	for range 10 {
		ua, err := net.ResolveUDPAddr("udp", addr)
		if err != nil {
			return nil, nil, fmt.Errorf("sip: listen %s: %w", addr, err)
		}
		udp, err := net.ListenUDP("udp", ua)
		if err != nil {
			return nil, nil, fmt.Errorf("sip: listen udp %s: %w", addr, err)
		}
		tcp, err := net.Listen("tcp", udp.LocalAddr().String())
		if err == nil {
			growReadBuffer(udp)
			return udp, tcp, nil
		}
		udp.Close()
		if ua.Port != 0 {
			return nil, nil, fmt.Errorf("sip: listen tcp %s: %w", addr, err)
		}
	}
	return nil, nil, fmt.Errorf("sip: listen %s: no port free for both udp and tcp", addr)
}

func (s *Server) shutdown() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	n := 0
	s.calls.Range(func(_, v any) bool {
		c := v.(*Call)
		n++
		go func() {
			c.finish("system", "shutdown")
			s.terminate(ctx, c)
		}()
		return true
	})
	if n > 0 {
		s.log.Info("sip shutting down: hanging up calls", "calls", n)
	}
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		s.log.Warn("sip shutdown: calls still running", "calls", s.active.Load())
	}
}

func (s *Server) dialogUA(req *sip.Request) *sipgo.DialogUA {
	if ua, ok := s.dialogUAs[req.Transport()]; ok {
		return ua
	}
	return s.dialogUAs["udp"]
}

// respond sends a stateful final or provisional response to req.
func respond(tx sip.ServerTransaction, req *sip.Request, code int, reason string, hdrs ...sip.Header) {
	res := sip.NewResponseFromRequest(req, code, reason, nil)
	for _, h := range hdrs {
		res.AppendHeader(h)
	}
	_ = tx.Respond(res)
}

func retryAfter() sip.Header {
	return sip.NewHeader("Retry-After", strconv.Itoa(int(DefaultRetryAfter/time.Second)))
}

// Drain makes the server refuse new calls with 503 and Retry-After while
// the calls in progress go on, and returns once none is left (nil) or ctx
// ends (its cause). Active says how many are left meanwhile; Serve's
// context still ends them all.
func (s *Server) Drain(ctx context.Context) error {
	s.draining.Store(true)
	if s.active.Load() == 0 {
		s.idleOnce.Do(func() { close(s.idle) })
	}
	select {
	case <-s.idle:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// callEnded uncounts a call; the last one to end while draining ends Drain.
func (s *Server) callEnded() {
	if s.active.Add(-1) == 0 && s.draining.Load() {
		s.idleOnce.Do(func() { close(s.idle) })
	}
}

func (s *Server) onInvite(req *sip.Request, tx sip.ServerTransaction) {
	if to := req.To(); to != nil {
		if _, ok := to.Params.Get("tag"); ok {
			s.onReinvite(req, tx)
			return
		}
	}
	host, _, _ := net.SplitHostPort(req.Source())
	if !s.flood.allow(host) {
		s.stats.Flooded.Add(1)
		s.stats.Rejected.Add(1)
		respond(tx, req, 503, "Service Unavailable", retryAfter())
		return
	}
	o, code, reason := s.screenInvite(req)
	if code != 0 {
		s.stats.Rejected.Add(1)
		respond(tx, req, code, reason)
		return
	}
	// Counted before the draining check, so Drain either sees this call
	// or this call sees Drain: none slips in after Drain found no calls.
	n := s.active.Add(1)
	if s.draining.Load() {
		// Shutting down gracefully: calls in progress finish, a new one
		// goes elsewhere (another node behind the dispatcher) or retries.
		s.callEnded()
		s.stats.Rejected.Add(1)
		respond(tx, req, 503, "Service Unavailable", retryAfter())
		return
	}
	if int(n) > s.cfg.MaxCalls {
		s.callEnded()
		s.stats.AtLimit.Add(1)
		s.stats.Rejected.Add(1)
		if s.cfg.AtLimitStatus == 486 {
			respond(tx, req, 486, "Busy Here")
		} else {
			respond(tx, req, 503, "Service Unavailable", retryAfter())
		}
		return
	}
	s.wg.Add(1)
	defer s.wg.Done()
	defer s.callEnded()
	s.runCall(req, tx, o)
}

// screenInvite decides whether a new INVITE can become a call: 0 means yes,
// otherwise the status and reason to refuse it with. It never panics on a
// malformed request (FuzzScreenInvite).
func (s *Server) screenInvite(req *sip.Request) (offer, int, string) {
	if req.From() == nil || req.To() == nil || req.CallID() == nil || req.CSeq() == nil {
		return offer{}, 400, "Bad Request"
	}
	if req.Contact() == nil {
		return offer{}, 400, "Missing Contact"
	}
	// The caller chooses both, and they travel on into logs, events, flow
	// variables ({{caller}}) and recording file names.
	if id := req.CallID().Value(); len(id) > maxCallIDLen || !printableASCII(id) {
		return offer{}, 400, "Bad Request (Call-ID)"
	}
	if u := req.From().Address.User; len(u) > maxFromUserLen || !printableASCII(u) {
		return offer{}, 400, "Bad Request (From)"
	}
	if !s.claims(req.Recipient.User) {
		return offer{}, 404, "Not Found"
	}
	if ct := req.ContentType(); ct != nil && len(req.Body()) > 0 && ct.Value() != "application/sdp" {
		return offer{}, 415, "Unsupported Media Type"
	}
	o, err := parseOffer(req.Body())
	switch {
	case errors.Is(err, errBadSDP):
		return offer{}, 400, "Bad Request (SDP)"
	case err != nil:
		return offer{}, 488, "Not Acceptable Here"
	}
	return o, 0, ""
}

// Bounds on caller-chosen identifiers; real ones are far shorter (a
// Call-ID is typically a UUID or random@host, a From user a number).
const (
	maxCallIDLen   = 256
	maxFromUserLen = 128
)

// printableASCII reports whether s has only visible ASCII characters (RFC
// 3261's Call-ID "word" and an unescaped user part are subsets of these).
func printableASCII(s string) bool {
	for i := range len(s) {
		if s[i] <= ' ' || s[i] >= 0x7f {
			return false
		}
	}
	return true
}

// runCall owns one call from its INVITE to its last packet; it runs in the
// goroutine sipgo gave the INVITE, so the INVITE transaction lives as long as
// the call needs it (CANCEL, 2xx retransmission).
func (s *Server) runCall(req *sip.Request, tx sip.ServerTransaction, o offer) {
	conn, err := s.ports.open()
	if err != nil {
		s.stats.Rejected.Add(1)
		s.log.Warn("sip: refusing call", "err", err)
		respond(tx, req, 503, "Service Unavailable", retryAfter())
		return
	}
	port := int(conn.LocalAddr().(*net.UDPAddr).Port)
	dialog, err := s.dialogUA(req).ReadInvite(req, tx)
	if err != nil {
		conn.Close()
		s.ports.release(port)
		respond(tx, req, 400, "Bad Request")
		return
	}
	c := &Call{
		srv:        s,
		id:         req.CallID().Value(),
		from:       req.From().Address.User,
		to:         req.Recipient.User,
		dialog:     dialog,
		port:       port,
		offer:      o,
		codec:      o.Codec,
		keys:       ivr.NewKeypad(),
		done:       make(chan struct{}),
		sdpSession: rand.Uint64() >> 1,
	}
	c.log = s.log.With("call_id", c.id, "from", c.from, "to", c.to)
	c.session = media.NewSession(media.SessionConfig{
		Conn:            conn,
		Remote:          o.Remote,
		Codec:           o.Codec,
		DTMFPayloadType: o.DTMFPT,
		OnDigit: func(d byte) {
			s.stats.DigitsRFC4733.Add(1)
			c.addDigit(d)
		},
	})
	if o.OnHold || o.Direction == SendOnly || o.Direction == Inactive {
		c.session.SetSending(false)
	}
	s.calls.Store(dialog.ID, c)
	s.stats.Accepted.Add(1)
	if strings.EqualFold(req.Transport(), "tcp") {
		s.tcpCallStarted(req.Source())
		defer s.tcpCallEnded(req.Source())
	}
	// CANCEL and BYE end the dialog's context: the call is gone.
	stopWatch := context.AfterFunc(dialog.Context(), func() {
		reason := "bye"
		if errors.Is(context.Cause(dialog.Context()), sip.ErrTransactionCanceled) || !c.answered.Load() {
			reason = "cancel"
		}
		c.finish("caller", reason)
	})
	c.session.Start(s.pacer)
	defer func() {
		stopWatch()
		s.calls.Delete(dialog.ID)
		c.session.Close()
		s.ports.release(port)
		dialog.Close()
	}()

	if err := dialog.Respond(180, "Ringing", nil); err != nil {
		c.finish("caller", "cancel")
		return
	}
	ctx := context.Background()
	s.handler(ctx, c)
	// The flow is done: make sure the caller is too.
	c.finish("system", "flow_end")
	hctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	s.terminate(hctx, c)
	cancel()
}

// terminate ends the dialog: BYE after an answer, 480 before one. Safe to
// call more than once and after the caller already hung up.
func (s *Server) terminate(ctx context.Context, c *Call) error {
	// Hangup and the end of the handler may both get here at once: one BYE.
	c.termMu.Lock()
	defer c.termMu.Unlock()
	if c.terminated {
		return nil
	}
	c.terminated = true
	c.answerMu.Lock()
	answered := c.answered.Load()
	c.answerMu.Unlock()
	d := c.dialog
	if d.LoadState() == sip.DialogStateEnded {
		return nil
	}
	if e := c.Ended(); e != nil && e.By == "caller" {
		return nil // the caller's BYE or CANCEL is being answered right now
	}
	if !answered {
		return d.Respond(480, "Temporarily Unavailable", nil)
	}
	if err := d.Bye(ctx); err != nil && !errors.Is(err, context.Canceled) {
		c.log.Debug("bye", "err", err)
		return fmt.Errorf("hangup: %w", err)
	}
	return nil
}

func (s *Server) findCall(req *sip.Request) *Call {
	id, err := sip.DialogIDFromRequestUAS(req)
	if err != nil {
		return nil
	}
	if v, ok := s.calls.Load(id); ok {
		return v.(*Call)
	}
	return nil
}

func (s *Server) onAck(req *sip.Request, tx sip.ServerTransaction) {
	if c := s.findCall(req); c != nil {
		_ = c.dialog.ReadAck(req, tx)
	}
}

func (s *Server) onBye(req *sip.Request, tx sip.ServerTransaction) {
	c := s.findCall(req)
	if c == nil {
		respond(tx, req, 481, "Call/Transaction Does Not Exist")
		return
	}
	c.finish("caller", "bye")
	if err := c.dialog.ReadBye(req, tx); err != nil {
		respond(tx, req, 400, "Bad Request")
	}
}

// onCancel sees only CANCELs that matched no INVITE transaction (sipgo
// answers the others itself with 200 and 487).
func (s *Server) onCancel(req *sip.Request, tx sip.ServerTransaction) {
	respond(tx, req, 481, "Call/Transaction Does Not Exist")
}

// handle routes method to h behind the SIP version check.
func (s *Server) handle(method sip.RequestMethod, h sipgo.RequestHandler) {
	s.sipSrv.OnRequest(method, supportedVersion(h))
}

// supportedVersion answers a request in any SIP version but 2.0 with 505
// Version Not Supported (RFC 3261 §8.2.2, §21.5.6) before h sees it; an
// ACK, which has no answer, is dropped.
func supportedVersion(h sipgo.RequestHandler) sipgo.RequestHandler {
	return func(req *sip.Request, tx sip.ServerTransaction) {
		if strings.EqualFold(req.SipVersion, "SIP/2.0") {
			h(req, tx)
			return
		}
		if req.IsAck() || tx == nil {
			return
		}
		res := sip.NewResponseFromRequest(req, 505, "Version Not Supported", nil)
		res.SipVersion = "SIP/2.0"
		_ = tx.Respond(res)
	}
}

// onNoRoute answers methods nobody handles (sipgo's default, plus Allow).
func (s *Server) onNoRoute(req *sip.Request, tx sip.ServerTransaction) {
	respond(tx, req, 405, "Method Not Allowed", sip.NewHeader("Allow", allowedMethods))
}

// allowedMethods is the Allow header of OPTIONS and 405 answers.
const allowedMethods = "INVITE, ACK, BYE, CANCEL, OPTIONS, INFO, NOTIFY"

func (s *Server) onOptions(req *sip.Request, tx sip.ServerTransaction) {
	res := sip.NewResponseFromRequest(req, 200, "OK", nil)
	res.AppendHeader(sip.NewHeader("Allow", allowedMethods))
	res.AppendHeader(sip.NewHeader("Accept", "application/sdp, application/dtmf-relay, application/dtmf"))
	_ = tx.Respond(res)
}

func (s *Server) onInfo(req *sip.Request, tx sip.ServerTransaction) {
	c := s.findCall(req)
	if c == nil {
		respond(tx, req, 481, "Call/Transaction Does Not Exist")
		return
	}
	ct := ""
	if h := req.ContentType(); h != nil {
		ct = h.Value()
	}
	d, ok := dtmfFromInfo(ct, req.Body())
	if !ok {
		if len(req.Body()) == 0 {
			respond(tx, req, 200, "OK") // an empty INFO is a keep-alive
			return
		}
		respond(tx, req, 415, "Unsupported Media Type", sip.NewHeader("Accept", "application/dtmf-relay, application/dtmf"))
		return
	}
	respond(tx, req, 200, "OK")
	s.stats.DigitsInfo.Add(1)
	c.addDigit(d)
}

// onNotify accepts the REFER progress reports a transfer target's side sends.
func (s *Server) onNotify(req *sip.Request, tx sip.ServerTransaction) {
	if s.findCall(req) == nil {
		respond(tx, req, 481, "Call/Transaction Does Not Exist")
		return
	}
	respond(tx, req, 200, "OK")
}

// onReinvite handles an in-dialog INVITE: hold (sendonly, inactive or
// c=0.0.0.0), unhold, or a media address change. RFC 3264 §8.4.
func (s *Server) onReinvite(req *sip.Request, tx sip.ServerTransaction) {
	c := s.findCall(req)
	if c == nil {
		respond(tx, req, 481, "Call/Transaction Does Not Exist")
		return
	}
	if err := c.dialog.ReadRequest(req, tx); err != nil {
		respond(tx, req, 500, "Server Internal Error", retryAfter())
		return
	}
	c.mu.Lock()
	o := c.offer
	c.mu.Unlock()
	if len(req.Body()) > 0 {
		no, err := parseOffer(req.Body())
		switch {
		case errors.Is(err, errBadSDP):
			respond(tx, req, 400, "Bad Request (SDP)")
			return
		case err != nil:
			respond(tx, req, 488, "Not Acceptable Here")
			return
		}
		if no.Codec.PayloadType != o.Codec.PayloadType {
			// Switching codecs mid-call would need a new session; keep it simple.
			respond(tx, req, 488, "Not Acceptable Here")
			return
		}
		o = no
	}
	hold := o.OnHold || o.Direction == SendOnly || o.Direction == Inactive
	c.mu.Lock()
	wasHeld := c.held
	c.held = hold
	c.offer = o
	c.direction = o.Direction.Reverse()
	dir := c.direction
	c.mu.Unlock()
	if !o.OnHold {
		c.session.SetRemote(o.Remote)
	}
	c.session.SetSending(!hold)
	body := answer(c.session.LocalAddr(), o, dir, c.sdpSession, c.sdpVersion.Add(1))
	res := sip.NewSDPResponseFromRequest(req, body)
	res.AppendHeader(sip.HeaderClone(&s.dialogUA(req).ContactHDR))
	if err := tx.Respond(res); err != nil {
		return
	}
	switch {
	case hold && !wasHeld:
		c.emit(context.Background(), events.CallHold, map[string]string{"by": "caller"})
	case !hold && wasHeld:
		c.emit(context.Background(), events.CallUnhold, map[string]string{"by": "caller"})
	}
	// The ACK for this 2xx comes to onAck and needs nothing more.
	select {
	case <-tx.Acks():
	case <-tx.Done():
	case <-time.After(32 * time.Second):
	}
}

// sweepRTPTimeouts tears down answered calls whose caller sent nothing for
// RTPTimeout (a lost BYE, a crashed phone): one pass a second over all calls.
func (s *Server) sweepRTPTimeouts(ctx context.Context) {
	if s.cfg.RTPTimeout < 0 {
		return
	}
	every := min(time.Second, s.cfg.RTPTimeout/4)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now := time.Now()
		s.calls.Range(func(_, v any) bool {
			c := v.(*Call)
			if !c.answered.Load() {
				return true
			}
			c.mu.Lock()
			held := c.held
			c.mu.Unlock()
			if held {
				return true
			}
			last := c.session.LastReceived()
			if at := time.Unix(0, c.answeredAt.Load()); last.Before(at) {
				last = at
			}
			if now.Sub(last) < s.cfg.RTPTimeout {
				return true
			}
			select {
			case <-c.done:
				return true
			default:
			}
			s.stats.RTPTimeouts.Add(1)
			c.log.Info("no rtp: tearing the call down", "silent_for", now.Sub(last).Round(time.Millisecond))
			c.finish("system", "rtp_timeout")
			go func() {
				hctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				s.terminate(hctx, c)
			}()
			return true
		})
	}
}

// waitListening returns once sipgo has registered the listener at addr (its
// Serve runs in a goroutine and gives no signal): requests we send reuse that
// socket, so it must be there before the first call.
func waitListening(tp *sip.TransportLayer, network, addr string, errc <-chan error) error {
	for {
		if c, _ := tp.GetConnection(network, addr); c != nil {
			return nil
		}
		select {
		case err := <-errc:
			return fmt.Errorf("sip: serve %s: %w", network, err)
		case <-time.After(time.Millisecond):
		}
	}
}
