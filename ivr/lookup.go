package ivr

import (
	"context"
	"errors"
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
		URL:     spec.URL.Render(&r.vars),
		Body:    spec.Body.Render(&r.vars),
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
			req.Headers[k] = t.Render(&r.vars)
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
		r.log.Warn("lookup failed", "node", n.ID, "url", req.URL, "err", err)
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
