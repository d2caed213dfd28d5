package ivr

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/switchboard-cc/switchboard/events"
	"github.com/switchboard-cc/switchboard/flows"
)

// Lookuper performs a self-service lookup (the lookup node). The lookup
// package implements it over HTTP.
type Lookuper interface {
	Lookup(ctx context.Context, req LookupRequest) (map[string]string, error)
}

// LookupRequest is a rendered lookup node.
type LookupRequest struct {
	Method  string
	URL     string
	Headers map[string]string
	Body    string
	Timeout time.Duration
}

// lookup renders the request, asks the Lookuper within Timeout, stores the
// answer's fields as <Result>.<field> variables (Result defaults to the node
// ID) and plays Say. A failure, a timeout or a missing Lookuper goes to
// OnError, or ends the call when there is none.
//
// The timeout runs on real time, not the engine clock: it bounds real
// network I/O, and a virtual clock that jumps while a request is in flight
// would cut it short.
func (r *run) lookup(ctx context.Context, n *flows.Node) (*flows.Node, error) {
	spec := n.Lookup
	req := LookupRequest{
		Method:  spec.Method,
		URL:     spec.URL.RenderEscaped(&r.vars, escapeURLValue),
		Body:    spec.Body.RenderEscaped(&r.vars, escapeJSONValue),
		Timeout: spec.Timeout,
	}
	if req.Method == "" {
		req.Method = "GET"
	}
	if req.Timeout <= 0 {
		req.Timeout = DefaultLookupTimeout
	}
	if len(spec.Headers) > 0 {
		req.Headers = make(map[string]string, len(spec.Headers))
		for k, t := range spec.Headers {
			req.Headers[k] = t.RenderEscaped(&r.vars, escapeHeaderValue)
		}
	}
	var fields map[string]string
	err := errors.New("no lookup service configured")
	if r.e.lookuper != nil {
		lctx, cancel := context.WithTimeout(ctx, req.Timeout)
		fields, err = r.e.lookuper.Lookup(lctx, req)
		cancel()
	}
	if err != nil {
		if r.callerGone(ctx, nil) {
			return nil, ErrHangup
		}
		if ctx.Err() != nil {
			return nil, context.Cause(ctx)
		}
		url := req.URL
		if r.vars.sensitive(spec.URL) {
			url = spec.URL.RenderEscaped(r.vars.masked(), escapeURLValue)
		}
		r.log.Warn("lookup failed", "node", n.ID, "url", url, "err", r.vars.redact(err.Error()))
		r.emit(ctx, events.SelfServiceDone, n.ID, map[string]string{"kind": "lookup", "result": "error"})
		if spec.OnError != nil {
			return spec.OnError, nil
		}
		return nil, r.finish(Completed, ReasonLookupFailed)
	}
	prefix := spec.Result
	if prefix == "" {
		prefix = n.ID
	}
	r.vars.setPrefixed(prefix, fields)
	r.emit(ctx, events.SelfServiceDone, n.ID, map[string]string{"kind": "lookup", "result": "ok"})
	if _, err := r.say(ctx, spec.Say, true); err != nil {
		return nil, err
	}
	return n.Next, nil
}

// Variables reach a lookup from the caller (digits, the From number), so
// each is escaped for where it lands: a caller must not add query
// parameters, path segments or JSON fields of their own.

// escapeURLValue percent-encodes everything but RFC 3986's unreserved
// characters. That is right for a path segment and for a query value alike,
// so the context does not matter: '/', '?', '&', '=', '#' and '+' in a
// value are data, never structure. (net/url is out of reach here: the
// engine imports no network package.)
func escapeURLValue(_, v string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		c := v[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

// escapeJSONValue escapes a value for a JSON body: inside a string literal
// it becomes string content; outside one it is inserted as a whole JSON
// string, so a value can never close a string or add a field.
func escapeJSONValue(sofar, v string) string {
	q, _ := json.Marshal(v) // a string always marshals
	if inJSONString(sofar) {
		return string(q[1 : len(q)-1])
	}
	return string(q)
}

// inJSONString reports whether text ends inside a JSON string literal.
func inJSONString(text string) bool {
	in, escaped := false, false
	for i := 0; i < len(text); i++ {
		switch c := text[i]; {
		case escaped:
			escaped = false
		case in && c == '\\':
			escaped = true
		case c == '"':
			in = !in
		}
	}
	return in
}

// escapeHeaderValue drops control characters: a value must not end the
// header line and start another.
func escapeHeaderValue(_, v string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, v)
}
