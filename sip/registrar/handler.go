package registrar

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"
)

// OnRegister is the sipgo handler for REGISTER: srv.OnRegister(r.OnRegister).
// It implements RFC 3261 §10.3 for agents' phones: authenticate, then add,
// refresh or remove bindings, and answer with the bindings now in force.
func (r *Registrar) OnRegister(req *sip.Request, tx sip.ServerTransaction) {
	res := r.handleRegister(context.Background(), req)
	if err := tx.Respond(res); err != nil {
		r.log.Warn("register: respond", "error", err, "status", res.StatusCode)
	}
}

func (r *Registrar) handleRegister(ctx context.Context, req *sip.Request) *sip.Response {
	to := req.To()
	if to == nil || to.Address.User == "" {
		return sip.NewResponseFromRequest(req, sip.StatusBadRequest, "Bad Request (To has no user)", nil)
	}
	agentID := to.Address.User
	log := r.log.With("agent", agentID, "source", req.Source())
	src := sourceIP(req)
	if r.guard != nil && r.guard.banned(src, r.clk.Now()) {
		return sip.NewResponseFromRequest(req, sip.StatusForbidden, "Forbidden", nil)
	}
	// An agent whose password is being guessed from many addresses is
	// refused everywhere except where its phone is already bound, so the
	// real phone keeps refreshing through the attack.
	if r.guard != nil && r.guard.userBanned(agentID, r.clk.Now()) && !r.boundFrom(agentID, src) {
		return sip.NewResponseFromRequest(req, sip.StatusForbidden, "Forbidden", nil)
	}

	switch fail := r.authenticate(req, agentID); fail {
	case authOK:
	case authMissing, authBadNonce:
		return r.challenge(req, false)
	case authStale:
		return r.challenge(req, true)
	case authMalformed:
		log.Info("register refused: malformed credentials")
		return sip.NewResponseFromRequest(req, sip.StatusBadRequest, "Bad Request (Authorization)", nil)
	default:
		// No detail in the response or the log line beyond the agent: a
		// prober learns nothing about which part was wrong.
		log.Warn("register refused: bad credentials")
		if r.guard != nil {
			_, known := r.cfg.Passwords[agentID]
			sourceBan, userBan := r.guard.fail(src, agentID, known, r.clk.Now())
			if sourceBan {
				log.Warn("register: source locked out after repeated failures", "ip", src, "for", r.cfg.Lockout)
			}
			if userBan {
				log.Warn("register: agent's credentials locked out after repeated failures", "for", r.cfg.Lockout)
			}
		}
		return sip.NewResponseFromRequest(req, sip.StatusForbidden, "Forbidden", nil)
	}

	updates, removeAll, err := r.parseContacts(req)
	if err != nil {
		return sip.NewResponseFromRequest(req, sip.StatusBadRequest, "Bad Request ("+err.Error()+")", nil)
	}
	for _, u := range updates {
		if u.expires > 0 && u.expires < r.cfg.MinExpires {
			res := sip.NewResponseFromRequest(req, sip.StatusIntervalToBrief, "Interval Too Brief", nil)
			res.AppendHeader(sip.NewHeader("Min-Expires", strconv.Itoa(int(r.cfg.MinExpires/time.Second))))
			return res
		}
	}

	ch, err := r.apply(req, agentID, updates, removeAll)
	if err != nil {
		log.Warn("register refused", "error", err)
		return sip.NewResponseFromRequest(req, sip.StatusForbidden, "Forbidden ("+err.Error()+")", nil)
	}
	r.report(ctx, ch)
	return r.bindingsResponse(req, agentID)
}

// authenticate checks the Authorization header whose realm is ours.
func (r *Registrar) authenticate(req *sip.Request, agentID string) authFailure {
	var cred *digest.Credentials
	for _, h := range req.GetHeaders("Authorization") {
		c, err := digest.ParseCredentials(h.Value())
		if err != nil {
			return authMalformed
		}
		if c.Realm == r.cfg.Realm {
			cred = c
			break
		}
	}
	if cred == nil {
		return authMissing
	}
	if !slices.ContainsFunc(r.cfg.Algorithms, func(a string) bool { return strings.EqualFold(a, algorithmOrMD5(cred.Algorithm)) }) {
		return authBadNonce // re-challenge with the algorithms we offer
	}
	issued, err := r.nonces.check(cred.Nonce)
	if err != nil {
		return authBadNonce
	}
	password, known := r.cfg.Passwords[agentID]
	// The authenticated user must be the agent whose binding is changed:
	// agent 1002's password must not register 1001's AOR.
	if !known || cred.Username != agentID {
		return authForbidden
	}
	want, ok := expectedResponse(cred, string(req.Method), password)
	if !ok {
		return authMalformed
	}
	if !responseEqual(cred.Response, want) {
		return authForbidden
	}
	now := r.clk.Now()
	if now.Sub(issued) > r.cfg.NonceTTL {
		return authStale // right password, old nonce: RFC 7616 §3.3 stale=true
	}
	// A replayed header is refused (RFC 7616 §3.4.5 lets the server choose
	// how strict): without qop a nonce works once, with qop=auth each use
	// needs a higher nonce-count. Only checked after the response matched,
	// so only an authenticated phone can add to the record of used nonces.
	if !r.nonces.use(cred.Nonce, cred.QOP, cred.Nc, issued, now) {
		return authBadNonce
	}
	return authOK
}

func algorithmOrMD5(a string) string {
	if a == "" {
		return AlgorithmMD5
	}
	return a
}

// challenge answers 401 with one WWW-Authenticate per offered algorithm.
func (r *Registrar) challenge(req *sip.Request, stale bool) *sip.Response {
	res := sip.NewResponseFromRequest(req, sip.StatusUnauthorized, "Unauthorized", nil)
	nonce, err := r.nonces.issue(r.clk.Now())
	if err != nil {
		return sip.NewResponseFromRequest(req, sip.StatusInternalServerError, "Server Internal Error", nil)
	}
	for _, alg := range r.cfg.Algorithms {
		c := digest.Challenge{Realm: r.cfg.Realm, Nonce: nonce, Algorithm: alg, QOP: []string{"auth"}, Stale: stale}
		res.AppendHeader(sip.NewHeader("WWW-Authenticate", c.String()))
	}
	return res
}

type contactUpdate struct {
	uri     string
	expires time.Duration // 0: remove
}

// parseContacts reads the Contact headers and their expiry (contact
// "expires" parameter, else the Expires header, else the default).
func (r *Registrar) parseContacts(req *sip.Request) (updates []contactUpdate, removeAll bool, err error) {
	headerExpires := r.cfg.DefaultExpires
	hasExpires := false
	if h := req.GetHeader("Expires"); h != nil {
		n, err := strconv.ParseUint(strings.TrimSpace(h.Value()), 10, 32)
		if err != nil {
			return nil, false, fmt.Errorf("expires %q", h.Value())
		}
		headerExpires, hasExpires = time.Duration(n)*time.Second, true
	}
	for _, h := range req.GetHeaders("Contact") {
		c, ok := h.(*sip.ContactHeader)
		if !ok {
			return nil, false, fmt.Errorf("contact %q", h.Value())
		}
		if c.Address.Wildcard || strings.TrimSpace(c.Value()) == "*" {
			// RFC 3261 §10.3 step 6: "*" only with Expires: 0 and alone.
			if !hasExpires || headerExpires != 0 || len(req.GetHeaders("Contact")) != 1 {
				return nil, false, fmt.Errorf("wildcard contact needs Expires: 0")
			}
			return nil, true, nil
		}
		exp := headerExpires
		if v, ok := c.Params.Get("expires"); ok {
			n, err := strconv.ParseUint(v, 10, 32)
			if err != nil {
				return nil, false, fmt.Errorf("contact expires %q", v)
			}
			exp = time.Duration(n) * time.Second
		}
		if exp > r.cfg.MaxExpires {
			exp = r.cfg.MaxExpires
		}
		if c.Address.Scheme != "sip" && c.Address.Scheme != "sips" {
			return nil, false, fmt.Errorf("contact scheme %q", c.Address.Scheme)
		}
		uri := c.Address.Clone()
		uri.Headers = nil // never let a phone smuggle headers into our INVITEs
		updates = append(updates, contactUpdate{uri: uri.String(), expires: exp})
	}
	return updates, false, nil
}

// apply changes agentID's bindings under the lock and settles availability.
func (r *Registrar) apply(req *sip.Request, agentID string, updates []contactUpdate, removeAll bool) (*availabilityChange, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.clk.Now()
	list := r.bindings[agentID]
	callID := ""
	if h := req.CallID(); h != nil {
		callID = h.Value()
	}
	var cseq uint32
	if h := req.CSeq(); h != nil {
		cseq = h.SeqNo
	}
	reason := ReasonRegistered
	if removeAll {
		for _, b := range list {
			stopTimer(b)
		}
		list = nil
		reason = ReasonUnregistered
	}
	for _, u := range updates {
		i := slices.IndexFunc(list, func(b *binding) bool { return b.URI == u.uri })
		if i >= 0 && list[i].callID == callID && cseq <= list[i].cseq {
			continue // out-of-order retransmission (RFC 3261 §10.3 step 7)
		}
		if u.expires == 0 {
			if i >= 0 {
				stopTimer(list[i])
				list = slices.Delete(list, i, i+1)
			}
			if len(updates) == 1 {
				reason = ReasonUnregistered
			}
			continue
		}
		if i < 0 {
			live := 0
			for _, b := range list {
				if !b.lapsed {
					live++
				}
			}
			if live >= r.cfg.MaxContacts {
				return nil, fmt.Errorf("%w (max %d)", errTooManyContacts, r.cfg.MaxContacts)
			}
			list = append(list, &binding{})
			i = len(list) - 1
		}
		b := list[i]
		b.Contact = Contact{
			AgentID:   agentID,
			URI:       u.uri,
			Source:    req.Source(),
			Transport: strings.ToLower(req.Transport()),
			UserAgent: headerValue(req, "User-Agent"),
			Expires:   now.Add(u.expires),
		}
		b.callID, b.cseq = callID, cseq
		b.lapsed, b.reachable, b.lapseEnd = false, true, time.Time{}
		r.armLocked(b)
	}
	r.bindings[agentID] = list
	return r.settleLocked(agentID, reason), nil
}

func stopTimer(b *binding) {
	if b.timer != nil {
		b.timer.Stop()
	}
}

func headerValue(req *sip.Request, name string) string {
	if h := req.GetHeader(name); h != nil {
		return h.Value()
	}
	return ""
}

// bindingsResponse is the 200 OK listing every current binding with its
// remaining lifetime (RFC 3261 §10.3 step 8).
func (r *Registrar) bindingsResponse(req *sip.Request, agentID string) *sip.Response {
	res := sip.NewResponseFromRequest(req, sip.StatusOK, "OK", nil)
	r.mu.Lock()
	now := r.clk.Now()
	for _, b := range r.bindings[agentID] {
		if b.lapsed {
			continue
		}
		var uri sip.Uri
		if err := sip.ParseUri(b.URI, &uri); err != nil {
			continue
		}
		left := max(0, int(b.Expires.Sub(now).Round(time.Second)/time.Second))
		params := sip.NewParams()
		params.Add("expires", strconv.Itoa(left))
		res.AppendHeader(&sip.ContactHeader{Address: uri, Params: params})
	}
	r.mu.Unlock()
	res.AppendHeader(sip.NewHeader("Date", now.UTC().Format(time.RFC1123)))
	return res
}

// boundFrom reports whether agentID has a live binding registered from ip.
func (r *Registrar) boundFrom(agentID string, ip netip.Addr) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.clk.Now()
	for _, b := range r.bindings[agentID] {
		ap, err := netip.ParseAddrPort(b.Source)
		if err == nil && ap.Addr().Unmap() == ip && !b.lapsed && now.Before(b.Expires) {
			return true
		}
	}
	return false
}

// sourceIP is the address the REGISTER came from (not what its headers
// claim).
func sourceIP(req *sip.Request) netip.Addr {
	ap, err := netip.ParseAddrPort(req.Source())
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}
