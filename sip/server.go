// Server lifecycle: configuration, listening on UDP and TCP, the counters,
// Drain and shutdown, and the sweep that ends calls gone silent.

package sip

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/switchboard-cc/switchboard/events"
	"github.com/switchboard-cc/switchboard/internal/clock"
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
	RTPForeign    atomic.Uint64 // RTP packets from another source than the caller's, dropped
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

	// The stack logs what peers send it that it cannot handle: limited
	// (loglimit.go), so a flood of bad datagrams cannot flood the log.
	stackLog := slog.New(newLimitedHandler(s.log.Handler(), time.Now))
	ua, err := sipgo.NewUA(sipgo.WithUserAgent(s.cfg.UserAgent),
		sipgo.WithUserAgentHostname(laddr.Addr().String()),
		sipgo.WithUserAgentTransactionLayerOptions(sip.WithTransactionLayerLogger(stackLog),
			sip.WithTransactionLayerUnhandledResponseHandler(func(*sip.Response) {})),
		sipgo.WithUserAgentTransportLayerOptions(sip.WithTransportLayerLogger(stackLog)))
	if err != nil {
		udp.Close()
		tcp.Close()
		return fmt.Errorf("sip: user agent: %w", err)
	}
	s.ua = ua
	s.sipSrv, err = sipgo.NewServer(ua, sipgo.WithServerLogger(stackLog))
	if err != nil {
		return fmt.Errorf("sip: server: %w", err)
	}
	// Requests we send inside calls (BYE, REFER) leave from the listening
	// socket over UDP, so the caller sees one address for us; over TCP they
	// reuse the caller's connection.
	udpClient, err := sipgo.NewClient(ua, sipgo.WithClientLogger(stackLog),
		sipgo.WithClientHostname(laddr.Addr().String()), sipgo.WithClientPort(int(laddr.Port())),
		sipgo.WithClientConnectionAddr(laddr.String()))
	if err != nil {
		return fmt.Errorf("sip: client: %w", err)
	}
	tcpClient, err := sipgo.NewClient(ua, sipgo.WithClientLogger(stackLog),
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

// sweepRTPTimeouts tears down answered calls whose caller sent nothing for
// RTPTimeout (a lost BYE, a crashed phone).
func (s *Server) sweepRTPTimeouts(ctx context.Context) {
	sweepSilent(ctx, s.cfg.RTPTimeout, func(now time.Time) {
		s.calls.Range(func(_, v any) bool {
			c := v.(*Call)
			if !c.answered.Load() {
				return true
			}
			c.mu.Lock()
			held := c.held
			c.mu.Unlock()
			silent := silentFor(now, c.session.LastReceived(), time.Unix(0, c.answeredAt.Load()))
			if held || silent < s.cfg.RTPTimeout {
				return true
			}
			select {
			case <-c.done:
				return true
			default:
			}
			s.stats.RTPTimeouts.Add(1)
			c.log.Info("no rtp: tearing the call down", "silent_for", silent.Round(time.Millisecond))
			c.finish("system", "rtp_timeout")
			go func() {
				hctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				s.terminate(hctx, c)
			}()
			return true
		})
	})
}

// sweepSilent runs pass over the calls every min(1 s, timeout/4) until ctx
// ends; a timeout <= 0 turns the RTP timeout off. The Server's callers and
// the Dialer's customers share it.
func sweepSilent(ctx context.Context, timeout time.Duration, pass func(now time.Time)) {
	if timeout <= 0 {
		return
	}
	t := time.NewTicker(min(time.Second, timeout/4))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		pass(time.Now())
	}
}

// silentFor is how long a call answered at answeredAt has sent no RTP, its
// last packet received at last (zero: none yet): the answer counts as the
// last sign of life.
func silentFor(now, last, answeredAt time.Time) time.Duration {
	if last.Before(answeredAt) {
		last = answeredAt
	}
	return now.Sub(last)
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
