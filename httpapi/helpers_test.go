package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/switchboard-cc/switchboard/internal/clock"
)

const testToken = "s3cret-token"

// testStart is 10:00 in Beijing on a Monday; "today" is 2026-11-23 there.
var (
	testZone  = time.FixedZone("CST", 8*3600)
	testStart = time.Date(2026, 11, 23, 10, 0, 0, 0, testZone)
)

// env is one server on a real loopback listener with its fakes.
type env struct {
	t       *testing.T
	srv     *Server
	hs      *httptest.Server
	clock   *clock.Virtual // nil when the env runs on the real clock
	center  *fakeCenter
	reports *fakeReports
	flows   *fakeFlows
}

type envOption func(*Config, *Deps)

// newEnv runs the server on virtual time starting at testStart.
func newEnv(t *testing.T, opts ...envOption) *env {
	t.Helper()
	vc := clock.NewVirtual(testStart)
	e := newEnvWithClock(t, vc, opts...)
	e.clock = vc
	return e
}

// newEnvWithClock runs the server and its fakes on c (the browser test uses
// the real clock: the page ticks in real time).
func newEnvWithClock(t *testing.T, c clock.Clock, opts ...envOption) *env {
	t.Helper()
	e := &env{t: t, center: newFakeCenter(c), reports: &fakeReports{}, flows: &fakeFlows{}}
	cfg := Config{
		Token: testToken, Clock: c, Location: testZone,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	deps := Deps{Agents: e.center, Queues: e.center, Calls: e.center, Reports: e.reports, Flows: e.flows, Updates: e.center.notify}
	for _, o := range opts {
		o(&cfg, &deps)
	}
	srv, err := New(cfg, deps)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	e.srv = srv
	e.hs = httptest.NewServer(srv)
	t.Cleanup(func() {
		srv.Close() // ends open streams so the listener can close
		e.hs.Close()
	})
	return e
}

// response is an answer already read and checked against openapi.json.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

func (r response) errorText(t *testing.T) string {
	t.Helper()
	var eb errorBody
	r.json(t, &eb)
	if eb.Error == "" {
		t.Fatalf("error response without an error text: %s", r.body)
	}
	return eb.Error
}

type reqOpt func(*http.Request)

func withToken(tok string) reqOpt {
	return func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+tok) }
}
func withHeader(k, v string) reqOpt { return func(r *http.Request) { r.Header.Set(k, v) } }

// do sends a request and validates any JSON answer against the schema the
// OpenAPI document gives for that path, method and status.
func (e *env) do(method, path, body string, opts ...reqOpt) response {
	e.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, e.hs.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for _, o := range opts {
		o(req)
	}
	res, err := e.hs.Client().Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatalf("%s %s: read: %v", method, path, err)
	}
	r := response{status: res.StatusCode, header: res.Header, body: b}
	checkAgainstOpenAPI(e.t, method, req.URL.Path, r)
	return r
}

// post sends an authorised POST.
func (e *env) post(path, body string) response {
	e.t.Helper()
	return e.do("POST", path, body, withToken(testToken))
}

// ---- OpenAPI response validation ---------------------------------------------

var openAPISchemas = struct {
	once     sync.Once
	compiler *jsonschema.Compiler
	doc      map[string]any
	err      error
	mu       sync.Mutex
	cache    map[string]*jsonschema.Schema
}{cache: map[string]*jsonschema.Schema{}}

const openAPIURL = "file:///switchboard/openapi.json"

func loadOpenAPI(t *testing.T) (map[string]any, *jsonschema.Compiler) {
	t.Helper()
	s := &openAPISchemas
	s.once.Do(func() {
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(openAPIDoc))
		if err != nil {
			s.err = fmt.Errorf("parse openapi.json: %w", err)
			return
		}
		s.doc, _ = doc.(map[string]any)
		s.compiler = jsonschema.NewCompiler()
		s.compiler.DefaultDraft(jsonschema.Draft2020)
		s.err = s.compiler.AddResource(openAPIURL, doc)
	})
	if s.err != nil {
		t.Fatal(s.err)
	}
	return s.doc, s.compiler
}

// docPathFor finds the templated path in the document a concrete path
// matches ("/api/agents/1001/login" → "/api/agents/{id}/login").
func docPathFor(doc map[string]any, path string) (string, bool) {
	paths, _ := doc["paths"].(map[string]any)
	if _, ok := paths[path]; ok {
		return path, true
	}
	for p := range paths {
		re := "^" + regexp.MustCompile(`\\\{[^}]+\\\}`).ReplaceAllString(regexp.QuoteMeta(p), `[^/]+`) + "$"
		if regexp.MustCompile(re).MatchString(path) {
			return p, true
		}
	}
	return "", false
}

func pointerEscape(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

// checkAgainstOpenAPI fails the test when a JSON answer has a status the
// document does not list for the operation, or does not match its schema.
// Answers for paths outside the document (404s) must be the Error schema.
func checkAgainstOpenAPI(t *testing.T, method, path string, r response) {
	t.Helper()
	doc, c := loadOpenAPI(t)
	ct := r.header.Get("Content-Type")
	if !strings.HasPrefix(ct, "application/json") {
		return
	}
	loc := openAPIURL + "#/components/schemas/Error"
	if p, ok := docPathFor(doc, path); ok {
		op, _ := doc["paths"].(map[string]any)[p].(map[string]any)[strings.ToLower(method)].(map[string]any)
		switch {
		case op != nil:
			responses, _ := op["responses"].(map[string]any)
			if _, ok := responses[fmt.Sprint(r.status)]; !ok {
				t.Fatalf("%s %s answered %d, which openapi.json does not list for %s %s", method, path, r.status, method, p)
			}
			loc = fmt.Sprintf("%s#/paths/%s/%s/responses/%d/content/%s/schema", openAPIURL, pointerEscape(p), strings.ToLower(method), r.status, pointerEscape("application/json"))
		case r.status != http.StatusMethodNotAllowed:
			t.Fatalf("%s %s answered %d JSON, but openapi.json has no %s operation on %s", method, path, r.status, method, p)
		}
	}
	s := &openAPISchemas
	s.mu.Lock()
	sch, ok := s.cache[loc]
	if !ok {
		var err error
		sch, err = c.Compile(loc)
		if err != nil {
			s.mu.Unlock()
			t.Fatalf("compile schema %s: %v", loc, err)
		}
		s.cache[loc] = sch
	}
	s.mu.Unlock()
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(r.body))
	if err != nil {
		t.Fatalf("%s %s: answer is not JSON: %v: %s", method, path, err, r.body)
	}
	if err := sch.Validate(inst); err != nil {
		t.Fatalf("%s %s → %d does not match openapi.json:\n%v\nbody: %s", method, path, r.status, err, r.body)
	}
}
