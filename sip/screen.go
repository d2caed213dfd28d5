// Request sanity: what every request and every new INVITE must pass before
// the server acts on it (SIP version, required and caller-chosen headers,
// body type, SDP offer), and the answers to methods nobody handles.

package sip

import (
	"errors"
	"strings"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

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
