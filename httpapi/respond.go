package httpapi

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"strings"
	"time"
)

// errorBody is every error the API answers with.
type errorBody struct {
	Error  string   `json:"error"`
	Issues []string `json:"issues,omitempty"` // flow validation issues (422)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		// Only a value a dependency returned can fail to encode.
		status = http.StatusInternalServerError
		body, _ = json.Marshal(errorBody{Error: fmt.Sprintf("encode response: %v", err)})
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(body)
	w.Write([]byte("\n"))
}

func writeError(w http.ResponseWriter, status int, format string, args ...any) {
	writeJSON(w, status, errorBody{Error: fmt.Sprintf(format, args...)})
}

// writeDepError answers for an error a dependency returned: the sentinels
// map to 404/409/400 with the dependency's message (it says what was
// wrong); anything else is logged and answered as 500 without details.
func (s *Server) writeDepError(w http.ResponseWriter, r *http.Request, err error) {
	var verr *ValidationError
	switch {
	case errors.Is(err, ErrNotFound):
		writeError(w, http.StatusNotFound, "%v", err)
	case errors.Is(err, ErrConflict):
		writeError(w, http.StatusConflict, "%v", err)
	case errors.Is(err, ErrInvalid):
		writeError(w, http.StatusBadRequest, "%v", err)
	case errors.As(err, &verr):
		writeJSON(w, http.StatusUnprocessableEntity, errorBody{Error: "flows do not validate; the running flows are unchanged", Issues: verr.Issues})
	case errors.Is(err, r.Context().Err()) && r.Context().Err() != nil:
		// The client went away; nobody reads the answer.
		writeError(w, http.StatusServiceUnavailable, "request cancelled")
	default:
		s.log.Error("httpapi: request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		writeError(w, http.StatusInternalServerError, "internal error; see the server log")
	}
}

func unavailable(w http.ResponseWriter, what string) {
	writeError(w, http.StatusServiceUnavailable, "%s not available on this server", what)
}

// decodeBody decodes a JSON object into v strictly: unknown fields, trailing
// data, wrong types and bodies over maxBodyBytes are errors. An empty body
// leaves v as it is (every field of every request here is optional or
// checked by the handler). It writes the 4xx itself and reports false.
func (s *Server) decodeBody(w http.ResponseWriter, r *http.Request, v any) bool {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			writeError(w, http.StatusUnsupportedMediaType, "content type %q: send application/json", ct)
			return false
		}
	}
	// A body that trickles in must not hold the connection forever. Hosts
	// whose writer cannot set deadlines (a recorder in a test) read as before.
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Now().Add(s.cfg.BodyReadTimeout))
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	_ = rc.SetReadDeadline(time.Time{})
	if err != nil {
		var tooBig *http.MaxBytesError
		var ne net.Error
		switch {
		case errors.As(err, &tooBig):
			writeError(w, http.StatusRequestEntityTooLarge, "request body over %d bytes", tooBig.Limit)
			return false
		case errors.As(err, &ne) && ne.Timeout():
			w.Header().Set("Connection", "close")
			writeError(w, http.StatusRequestTimeout, "request body not received within %s", s.cfg.BodyReadTimeout)
			return false
		}
		writeError(w, http.StatusBadRequest, "read request body: %v", err)
		return false
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return true
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		writeError(w, http.StatusBadRequest, "invalid JSON body: %s", describeJSONError(err))
		return false
	}
	if dec.More() {
		writeError(w, http.StatusBadRequest, "invalid JSON body: data after the object")
		return false
	}
	return true
}

// describeJSONError turns encoding/json's errors into what a person sending
// the request needs to fix.
func describeJSONError(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Sprintf("syntax error at byte %d: %v", syn.Offset, syn)
	case errors.As(err, &typ):
		if typ.Field != "" {
			return fmt.Sprintf("field %q must be a %s, not %s", typ.Field, typ.Type, typ.Value)
		}
		return fmt.Sprintf("expected a JSON object, not %s", typ.Value)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "unexpected end of body"
	}
	// Unknown fields come back as `json: unknown field "x"`.
	return strings.TrimPrefix(err.Error(), "json: ")
}

// requireToken guards an endpoint with the bearer token. The comparison is
// of SHA-256 digests in constant time, so neither the token's content nor
// its length leaks through timing. inQuery also accepts ?access_token=
// (the event stream: a browser's EventSource sends no headers).
func (s *Server) requireToken(next http.Handler, inQuery bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.tokenHash == nil {
			writeError(w, http.StatusForbidden, "endpoint disabled: no API token is configured on the server")
			return
		}
		const realm = `Bearer realm="switchboard"`
		auth := r.Header.Get("Authorization")
		if tok := r.URL.Query().Get("access_token"); inQuery && auth == "" && tok != "" {
			auth = "Bearer " + tok
		}
		if auth == "" {
			w.Header().Set("WWW-Authenticate", realm)
			writeError(w, http.StatusUnauthorized, "missing bearer token: send Authorization: Bearer TOKEN")
			return
		}
		scheme, token, ok := strings.Cut(auth, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
			w.Header().Set("WWW-Authenticate", realm+`, error="invalid_request"`)
			writeError(w, http.StatusUnauthorized, "malformed Authorization header: want Bearer TOKEN")
			return
		}
		sum := sha256.Sum256([]byte(strings.TrimSpace(token)))
		if subtle.ConstantTimeCompare(sum[:], s.tokenHash) != 1 {
			w.Header().Set("WWW-Authenticate", realm+`, error="invalid_token"`)
			writeError(w, http.StatusUnauthorized, "invalid bearer token")
			return
		}
		next.ServeHTTP(w, r)
	})
}
