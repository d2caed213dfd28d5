package siptest

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

	"github.com/switchboard-cc/switchboard/media"
)

// Phone is one SIP user agent that can hold many calls at once (loadgen runs
// thousands on one Phone). It listens on a UDP port for requests the server
// sends inside calls (BYE, re-INVITE is not expected).
type Phone struct {
	ua     *sipgo.UserAgent
	srv    *sipgo.Server
	client *sipgo.Client
	dua    *sipgo.DialogUA
	pacer  *media.Pacer
	ip     netip.Addr
	addr   netip.AddrPort
	log    *slog.Logger

	calls  sync.Map // dialog ID -> *Call
	in     incoming
	cancel context.CancelFunc
	done   chan struct{}
}

// Config configures a Phone.
type Config struct {
	// IP is the address to bind SIP and RTP on; default 127.0.0.1.
	IP     string
	Logger *slog.Logger
}

// NewPhone starts a phone listening on IP with a kernel-chosen port.
func NewPhone(cfg Config) (*Phone, error) {
	if cfg.IP == "" {
		cfg.IP = "127.0.0.1"
	}
	ip, err := netip.ParseAddr(cfg.IP)
	if err != nil {
		return nil, fmt.Errorf("siptest: ip %q: %w", cfg.IP, err)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	conn, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(ip, 0)))
	if err != nil {
		return nil, fmt.Errorf("siptest: listen: %w", err)
	}
	addr := conn.LocalAddr().(*net.UDPAddr).AddrPort()
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("switchboard-siptest"), sipgo.WithUserAgentHostname(ip.String()),
		sipgo.WithUserAgentTransactionLayerOptions(sip.WithTransactionLayerLogger(cfg.Logger),
			sip.WithTransactionLayerUnhandledResponseHandler(func(*sip.Response) {})),
		sipgo.WithUserAgentTransportLayerOptions(sip.WithTransportLayerLogger(cfg.Logger)))
	if err != nil {
		conn.Close()
		return nil, err
	}
	p := &Phone{ua: ua, ip: ip, addr: addr, log: cfg.Logger, done: make(chan struct{})}
	p.srv, err = sipgo.NewServer(ua, sipgo.WithServerLogger(cfg.Logger))
	if err != nil {
		conn.Close()
		return nil, err
	}
	// Send from the listening socket so the server sees (and rate-limits,
	// and answers) one address per phone.
	p.client, err = sipgo.NewClient(ua, sipgo.WithClientHostname(ip.String()), sipgo.WithClientPort(int(addr.Port())),
		sipgo.WithClientConnectionAddr(addr.String()), sipgo.WithClientLogger(cfg.Logger))
	if err != nil {
		conn.Close()
		return nil, err
	}
	p.dua = &sipgo.DialogUA{Client: p.client, ContactHDR: sip.ContactHeader{
		Address: sip.Uri{User: "caller", Host: ip.String(), Port: int(addr.Port())}}}
	p.in.dialogs = sipgo.NewDialogServerCache(p.client, p.dua.ContactHDR)
	p.srv.OnBye(p.onBye)
	p.srv.OnInvite(p.onIncoming)
	p.srv.OnAck(func(req *sip.Request, tx sip.ServerTransaction) { _ = p.in.dialogs.ReadAck(req, tx) })
	p.srv.OnRefer(p.onRefer)
	p.pacer = media.NewPacer(1)
	ctx, cancel := context.WithCancel(context.Background())
	p.cancel = cancel
	errc := make(chan error, 1)
	go func() {
		defer close(p.done)
		var wg sync.WaitGroup
		wg.Go(func() { p.pacer.Run(ctx) })
		wg.Go(func() { errc <- p.srv.ServeUDP(conn) })
		<-ctx.Done()
		conn.Close()
		wg.Wait()
	}()
	// The client sends from the listener, so wait until sipgo registered it.
	for {
		if c, _ := ua.TransportLayer().GetConnection("udp", addr.String()); c != nil {
			return p, nil
		}
		select {
		case err := <-errc:
			cancel()
			return nil, fmt.Errorf("siptest: serve: %w", err)
		case <-time.After(time.Millisecond):
		}
	}
}

// Addr is the phone's SIP address.
func (p *Phone) Addr() netip.AddrPort { return p.addr }

// Close hangs up nothing: it stops the phone. Hang calls up first.
func (p *Phone) Close() error {
	p.calls.Range(func(_, v any) bool { v.(*Call).closeMedia(); return true })
	p.cancel()
	<-p.done
	return p.ua.Close()
}

func (p *Phone) onBye(req *sip.Request, tx sip.ServerTransaction) {
	id, err := sip.DialogIDFromRequestUAC(req)
	if err == nil {
		if v, ok := p.calls.Load(id); ok {
			c := v.(*Call)
			c.endedBy.CompareAndSwap(nil, ptr("server"))
			_ = c.dialog.ReadBye(req, tx)
			c.closeMedia()
			return
		}
	}
	if p.in.dialogs.ReadBye(req, tx) == nil {
		return
	}
	_ = tx.Respond(sip.NewResponseFromRequest(req, 481, "Call/Transaction Does Not Exist", nil))
}

func (p *Phone) onRefer(req *sip.Request, tx sip.ServerTransaction) {
	id, err := sip.DialogIDFromRequestUAC(req)
	if err == nil {
		if v, ok := p.calls.Load(id); ok {
			c := v.(*Call)
			if h := req.GetHeader("Refer-To"); h != nil {
				c.referTo.Store(ptr(h.Value()))
			}
			_ = tx.Respond(sip.NewResponseFromRequest(req, 202, "Accepted", nil))
			return
		}
	}
	_ = tx.Respond(sip.NewResponseFromRequest(req, 481, "Call/Transaction Does Not Exist", nil))
}

func ptr[T any](v T) *T { return &v }

// DialOptions shape one call.
type DialOptions struct {
	From string // caller number; default "1000"
	// Codecs in preference order: "PCMU", "PCMA", or anything else to test
	// 488. Default PCMU.
	Codecs []string
	// DTMFPayloadType to offer telephone-event with (baresip 101, linphone
	// 97); 0 offers none.
	DTMFPayloadType uint8
	// Transport "udp" (default) or "tcp".
	Transport string
	// SDP replaces the generated offer (malformed-input tests).
	SDP []byte
	// Direction of the offer; default sendrecv.
	Direction string
	// KeepAudio keeps up to two minutes of decoded received audio for
	// Heard().PCM (tests); loadgen leaves it off.
	KeepAudio bool
}

// Call is one outgoing call.
type Call struct {
	phone   *Phone
	dialog  *sipgo.DialogClientSession
	session *media.Session
	codec   media.Codec
	dtmfPT  uint8
	started time.Time
	opts    DialOptions
	sdpVer  atomic.Uint64

	// Setup is INVITE sent to 200 OK received.
	Setup time.Duration
	// Status is the final response's status code (200 on success).
	Status int
	// Provisional lists the 1xx codes received, in order.
	Provisional []int

	heard   heard
	endedBy atomic.Pointer[string]
	referTo atomic.Pointer[string]
	once    sync.Once
}

// ErrCallEnded: the call ended while an operation was under way.
var ErrCallEnded = errors.New("siptest: call ended")

// RejectedError is a final non-2xx answer to the INVITE.
type RejectedError struct {
	Status     int
	Reason     string
	RetryAfter string
}

func (e *RejectedError) Error() string {
	return fmt.Sprintf("call rejected: %d %s", e.Status, e.Reason)
}

// Start sends the INVITE and returns the call before it is answered; use
// WaitAnswer (cancelling its ctx sends CANCEL).
func (p *Phone) Start(ctx context.Context, target string, o DialOptions) (*Call, error) {
	if o.From == "" {
		o.From = "1000"
	}
	if len(o.Codecs) == 0 {
		o.Codecs = []string{"PCMU"}
	}
	var uri sip.Uri
	if err := sip.ParseUri(target, &uri); err != nil {
		return nil, fmt.Errorf("siptest: target %q: %w", target, err)
	}
	if o.Transport == "tcp" {
		if uri.UriParams == nil {
			uri.UriParams = sip.NewParams()
		}
		uri.UriParams.Add("transport", "tcp")
	}
	conn, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(p.ip, 0)))
	if err != nil {
		return nil, fmt.Errorf("siptest: rtp socket: %w", err)
	}
	c := &Call{phone: p, opts: o, dtmfPT: o.DTMFPayloadType, codec: media.PCMU}
	if o.Codecs[0] == "PCMA" {
		c.codec = media.PCMA
	}
	rtpAddr := conn.LocalAddr().(*net.UDPAddr).AddrPort()
	body := o.SDP
	if body == nil {
		body = offerSDP(rtpAddr, o, 1)
	}
	req := sip.NewRequest(sip.INVITE, uri)
	req.SetBody(body)
	req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	from := &sip.FromHeader{Address: sip.Uri{User: o.From, Host: p.ip.String(), Port: int(p.addr.Port())}, Params: sip.NewParams()}
	from.Params.Add("tag", strconv.FormatUint(rand.Uint64(), 36))
	req.AppendHeader(from)
	if o.Transport == "tcp" {
		req.SetTransport("TCP")
	}
	c.session = media.NewSession(media.SessionConfig{Conn: conn, Codec: c.codec, DTMFPayloadType: o.DTMFPayloadType})
	c.heard.keepPCM = o.KeepAudio
	c.session.SetTap(c.heard.frame)
	c.session.Start(p.pacer) // receive early; the remote is set on answer
	c.started = time.Now()
	c.dialog, err = p.dua.WriteInvite(ctx, req)
	if err != nil {
		c.closeMedia()
		return nil, fmt.Errorf("siptest: invite: %w", err)
	}
	return c, nil
}

// WaitAnswer waits for the final response and ACKs a 200. Cancelling ctx
// before the answer sends CANCEL (RFC 3261 §9).
func (c *Call) WaitAnswer(ctx context.Context) error {
	err := c.dialog.WaitAnswer(ctx, sipgo.AnswerOptions{OnResponse: func(r *sip.Response) error {
		if r.IsProvisional() {
			c.Provisional = append(c.Provisional, r.StatusCode)
		}
		return nil
	}})
	if res := c.dialog.InviteResponse; res != nil {
		c.Status = res.StatusCode
	}
	if err != nil {
		c.closeMedia()
		var de *sipgo.ErrDialogResponse
		if errors.As(err, &de) {
			re := &RejectedError{Status: de.Res.StatusCode, Reason: de.Res.Reason}
			if h := de.Res.GetHeader("Retry-After"); h != nil {
				re.RetryAfter = h.Value()
			}
			return re
		}
		return err
	}
	c.Setup = time.Since(c.started)
	remote, err := answerAddr(c.dialog.InviteResponse.Body())
	if err != nil {
		c.closeMedia()
		return fmt.Errorf("siptest: answer sdp: %w", err)
	}
	c.session.SetRemote(remote)
	c.phone.calls.Store(c.dialog.ID, c)
	if err := c.dialog.Ack(ctx); err != nil {
		return fmt.Errorf("siptest: ack: %w", err)
	}
	return nil
}

// Dial places a call and waits for the answer.
func (p *Phone) Dial(ctx context.Context, target string, o DialOptions) (*Call, error) {
	c, err := p.Start(ctx, target, o)
	if err != nil {
		return nil, err
	}
	if err := c.WaitAnswer(ctx); err != nil {
		return c, err
	}
	return c, nil
}

// ID is the SIP Call-ID.
func (c *Call) ID() string { return c.dialog.InviteRequest.CallID().Value() }

// AnswerSDP is the server's SDP answer.
func (c *Call) AnswerSDP() string {
	if r := c.dialog.InviteResponse; r != nil {
		return string(r.Body())
	}
	return ""
}

// Done is closed when the call ends, by either side.
func (c *Call) Done() <-chan struct{} { return c.dialog.Context().Done() }

// EndedByServer reports whether the server sent the BYE.
func (c *Call) EndedByServer() bool {
	p := c.endedBy.Load()
	return p != nil && *p == "server"
}

// ReferTo is the Refer-To of a REFER the server sent (a transfer), or "".
func (c *Call) ReferTo() string {
	if p := c.referTo.Load(); p != nil {
		return *p
	}
	return ""
}

// Play streams clips as the caller's voice (loop: until Stop).
func (c *Call) Play(clips []media.Clip, loop bool) *media.Playing {
	return c.session.Play(clips, loop)
}

// Stop ends a Play.
func (c *Call) Stop(p *media.Playing) { c.session.Stop(p) }

// Codec is the codec the caller sends with.
func (c *Call) Codec() media.Codec { return c.codec }

// SendDigits sends RFC 4733 events and waits until they are all out.
func (c *Call) SendDigits(ctx context.Context, digits string) error {
	c.session.SendDigits(digits)
	for c.session.SendingDigits() {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-c.session.Done():
			return ErrCallEnded
		case <-time.After(media.Ptime):
		}
	}
	return nil
}

// QueueDigits queues RFC 4733 events and returns at once; the pacer sends
// them over the next few hundred milliseconds.
func (c *Call) QueueDigits(digits string) { c.session.SendDigits(digits) }

// SendInfo sends each digit as a SIP INFO with contentType
// "application/dtmf-relay" (Signal=5) or "application/dtmf" (5).
func (c *Call) SendInfo(ctx context.Context, digits, contentType string) error {
	for _, d := range digits {
		body := string(d)
		if contentType == "application/dtmf-relay" {
			body = "Signal=" + string(d) + "\r\nDuration=160\r\n"
		}
		req := sip.NewRequest(sip.INFO, c.dialog.InviteResponse.Contact().Address)
		req.AppendHeader(sip.NewHeader("Content-Type", contentType))
		req.SetBody([]byte(body))
		res, err := c.dialog.Do(ctx, req)
		if err != nil {
			return fmt.Errorf("siptest: info: %w", err)
		}
		if res.StatusCode != 200 {
			return &RejectedError{Status: res.StatusCode, Reason: res.Reason}
		}
	}
	return nil
}

// Reinvite sends an in-dialog INVITE with the given direction ("sendonly"
// to hold, "sendrecv" to resume) and returns the server's answer SDP.
func (c *Call) Reinvite(ctx context.Context, direction string) (string, error) {
	o := c.opts
	o.Direction = direction
	req := sip.NewRequest(sip.INVITE, c.dialog.InviteResponse.Contact().Address)
	req.SetBody(offerSDP(c.session.LocalAddr(), o, c.sdpVer.Add(1)+1))
	req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	res, err := c.dialog.Do(ctx, req)
	if err != nil {
		return "", fmt.Errorf("siptest: re-invite: %w", err)
	}
	if !res.IsSuccess() {
		return "", &RejectedError{Status: res.StatusCode, Reason: res.Reason}
	}
	ack := sip.NewRequest(sip.ACK, c.dialog.InviteResponse.Contact().Address)
	ack.AppendHeader(sip.HeaderClone(res.To()))
	if err := c.dialog.WriteRequest(ack); err != nil {
		return "", fmt.Errorf("siptest: re-invite ack: %w", err)
	}
	if direction == "sendonly" || direction == "inactive" {
		c.session.SetSending(false)
	} else {
		c.session.SetSending(true)
	}
	return string(res.Body()), nil
}

// Hangup sends BYE.
func (c *Call) Hangup(ctx context.Context) error {
	defer c.closeMedia()
	c.endedBy.CompareAndSwap(nil, ptr("caller"))
	if err := c.dialog.Bye(ctx); err != nil {
		return fmt.Errorf("siptest: bye: %w", err)
	}
	return nil
}

// Close releases the call's RTP socket without signalling (a caller that
// vanished: no BYE).
func (c *Call) Close() { c.closeMedia() }

func (c *Call) closeMedia() {
	c.once.Do(func() {
		c.session.Close()
		if c.dialog != nil && c.dialog.ID != "" {
			c.phone.calls.Delete(c.dialog.ID)
		}
	})
}

// RTP is the receive statistics of the server's audio.
func (c *Call) RTP() media.RecvStats { return c.session.Stats() }

// StopMedia stops sending RTP while keeping the call up (a caller whose
// media died).
func (c *Call) StopMedia() { c.session.SetSending(false) }

func offerSDP(rtp netip.AddrPort, o DialOptions, version uint64) []byte {
	var fmts, maps []string
	for _, name := range o.Codecs {
		switch strings.ToUpper(name) {
		case "PCMU":
			fmts = append(fmts, "0")
			maps = append(maps, "a=rtpmap:0 PCMU/8000")
		case "PCMA":
			fmts = append(fmts, "8")
			maps = append(maps, "a=rtpmap:8 PCMA/8000")
		case "G722":
			fmts = append(fmts, "9")
			maps = append(maps, "a=rtpmap:9 G722/8000")
		default:
			fmts = append(fmts, "96")
			maps = append(maps, "a=rtpmap:96 "+name+"/48000/2")
		}
	}
	if pt := o.DTMFPayloadType; pt != 0 {
		s := strconv.Itoa(int(pt))
		fmts = append(fmts, s)
		maps = append(maps, "a=rtpmap:"+s+" telephone-event/8000", "a=fmtp:"+s+" 0-16")
	}
	dir := o.Direction
	if dir == "" {
		dir = "sendrecv"
	}
	ip := rtp.Addr().String()
	lines := []string{
		"v=0",
		"o=siptest 1 " + strconv.FormatUint(version, 10) + " IN IP4 " + ip,
		"s=siptest",
		"c=IN IP4 " + ip,
		"t=0 0",
		"m=audio " + strconv.Itoa(int(rtp.Port())) + " RTP/AVP " + strings.Join(fmts, " "),
	}
	lines = append(lines, maps...)
	lines = append(lines, "a=ptime:20", "a="+dir, "")
	return []byte(strings.Join(lines, "\r\n"))
}

// answerAddr reads c= and m=audio from an SDP answer.
func answerAddr(body []byte) (netip.AddrPort, error) {
	var ip netip.Addr
	var port uint64
	for _, line := range strings.Split(string(body), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(line, "c=IN IP4 "), strings.HasPrefix(line, "c=IN IP6 "):
			a, err := netip.ParseAddr(line[9:])
			if err != nil {
				return netip.AddrPort{}, err
			}
			ip = a
		case strings.HasPrefix(line, "m=audio "):
			f := strings.Fields(line)
			p, err := strconv.ParseUint(f[1], 10, 16)
			if err != nil {
				return netip.AddrPort{}, err
			}
			port = p
		}
	}
	if !ip.IsValid() || port == 0 {
		return netip.AddrPort{}, errors.New("no audio address in answer")
	}
	return netip.AddrPortFrom(ip, uint16(port)), nil
}

// Options sends an out-of-dialog OPTIONS (a keep-alive ping) and returns the
// status code.
func (p *Phone) Options(ctx context.Context, target string) (int, error) {
	var uri sip.Uri
	if err := sip.ParseUri(target, &uri); err != nil {
		return 0, err
	}
	res, err := p.client.Do(ctx, sip.NewRequest(sip.OPTIONS, uri))
	if err != nil {
		return 0, err
	}
	return res.StatusCode, nil
}
