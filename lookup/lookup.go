package lookup

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/switchboard-cc/switchboard/ivr"
)

// Defaults, each with its reason.
const (
	// DefaultTimeout applies when a request names none: a caller is
	// waiting in silence, so a lookup must be quick or fail.
	DefaultTimeout = 2 * time.Second
	// DefaultMaxBody bounds the answer: lookups return a handful of
	// fields, and a runaway body must not eat the server's memory.
	DefaultMaxBody = 1 << 20
)

// Config configures a Client; AllowLinkLocal is switchboard.yaml's
// lookup section.
type Config struct {
	// HTTP is the client to use; nil: a client of its own. Its Timeout, if
	// any, applies on top of each request's. A client given here dials as
	// it likes: AllowLinkLocal is enforced by the Client's own dialer only.
	HTTP      *http.Client `yaml:"-"`
	MaxBody   int64        `yaml:"-"` // 0: DefaultMaxBody
	UserAgent string       `yaml:"-"` // "" : "switchboard-lookup"
	// AllowLinkLocal lets lookups reach link-local addresses (169.254.0.0/16,
	// fe80::/10) and the cloud metadata services there. Off by default: a
	// flow that reaches the metadata service can read the host's
	// credentials, and no self-service backend lives at such an address.
	AllowLinkLocal bool `yaml:"allow_link_local"`
}

// Client performs lookups over HTTP. It is safe for concurrent use.
type Client struct {
	http    *http.Client
	maxBody int64
	agent   string
}

var _ ivr.Lookuper = (*Client)(nil)

// New returns a Client.
func New(cfg Config) *Client {
	c := &Client{http: cfg.HTTP, maxBody: cfg.MaxBody, agent: cfg.UserAgent}
	if c.http == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		if !cfg.AllowLinkLocal {
			d := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second, Control: refuseLinkLocal}
			tr.DialContext = d.DialContext
		}
		c.http = &http.Client{Transport: tr, CheckRedirect: sameSchemes}
	}
	if c.maxBody <= 0 {
		c.maxBody = DefaultMaxBody
	}
	if c.agent == "" {
		c.agent = "switchboard-lookup"
	}
	return c
}

func sameSchemes(req *http.Request, via []*http.Request) error {
	if len(via) >= 5 {
		return errors.New("too many redirects")
	}
	if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
		return fmt.Errorf("redirect to %s refused", req.URL.Scheme)
	}
	return nil
}

// StatusError is a non-2xx answer.
type StatusError struct {
	Code int
	Body string // the start of the body, for the log
}

func (e *StatusError) Error() string {
	if e.Body == "" {
		return fmt.Sprintf("status %d", e.Code)
	}
	return fmt.Sprintf("status %d: %s", e.Code, e.Body)
}

// Lookup sends req and returns the answer's fields.
func (c *Client) Lookup(ctx context.Context, req ivr.LookupRequest) (map[string]string, error) {
	timeout := req.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	method := strings.ToUpper(req.Method)
	if method == "" {
		method = http.MethodGet
	}
	var body io.Reader
	if req.Body != "" {
		body = strings.NewReader(req.Body)
	}
	hreq, err := http.NewRequestWithContext(ctx, method, req.URL, body)
	if err != nil {
		return nil, fmt.Errorf("lookup %s %s: %w", method, req.URL, err)
	}
	if hreq.URL.Scheme != "http" && hreq.URL.Scheme != "https" {
		return nil, fmt.Errorf("lookup %s %s: scheme %q is not http or https", method, req.URL, hreq.URL.Scheme)
	}
	hreq.Header.Set("Accept", "application/json")
	hreq.Header.Set("User-Agent", c.agent)
	if req.Body != "" {
		hreq.Header.Set("Content-Type", "application/json")
	}
	for k, v := range req.Headers {
		hreq.Header.Set(k, v)
	}

	resp, err := c.http.Do(hreq)
	if err != nil {
		return nil, fmt.Errorf("lookup %s %s: %w", method, req.URL, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, c.maxBody+1))
	if err != nil {
		return nil, fmt.Errorf("lookup %s %s: read body: %w", method, req.URL, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		snippet := string(data)
		if len(snippet) > 200 {
			snippet = snippet[:200]
		}
		return nil, fmt.Errorf("lookup %s %s: %w", method, req.URL, &StatusError{Code: resp.StatusCode, Body: strings.TrimSpace(snippet)})
	}
	if int64(len(data)) > c.maxBody {
		return nil, fmt.Errorf("lookup %s %s: body larger than %d bytes", method, req.URL, c.maxBody)
	}
	fields, err := Flatten(data)
	if err != nil {
		return nil, fmt.Errorf("lookup %s %s: %w", method, req.URL, err)
	}
	return fields, nil
}

// Flatten turns a JSON object into flow variables: nested objects and
// arrays become dotted keys ("a.b", "items.0.name"), numbers keep their
// JSON spelling, booleans are "true"/"false", null is "". An empty body is
// an empty result; anything but an object is an error.
func Flatten(data []byte) (map[string]string, error) {
	out := map[string]string{}
	if len(bytes.TrimSpace(data)) == 0 {
		return out, nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("decode json: %w", err)
	}
	if dec.More() {
		return nil, errors.New("decode json: trailing data after the object")
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("decode json: want an object, got %s", kind(v))
	}
	flatten(out, "", obj)
	return out, nil
}

func flatten(out map[string]string, prefix string, v any) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			flatten(out, join(prefix, k), e)
		}
	case []any:
		for i, e := range x {
			flatten(out, join(prefix, strconv.Itoa(i)), e)
		}
	case json.Number:
		out[prefix] = x.String()
	case string:
		out[prefix] = x
	case bool:
		out[prefix] = strconv.FormatBool(x)
	case nil:
		out[prefix] = ""
	}
}

func join(prefix, k string) string {
	if prefix == "" {
		return k
	}
	return prefix + "." + k
}

func kind(v any) string {
	switch v.(type) {
	case []any:
		return "an array"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", v)
}

// ErrLinkLocal is a lookup to a link-local or cloud metadata address while
// they are not allowed (Config.AllowLinkLocal).
var ErrLinkLocal = errors.New("link-local and cloud metadata addresses are refused (lookup.allow_link_local)")

// metadataHosts are cloud metadata services' names; their addresses are
// link-local, but a name must be refused before it is resolved too.
var metadataHosts = map[string]bool{
	"metadata.google.internal": true, "metadata.goog": true, "metadata": true, "instance-data": true,
}

// refuseLinkLocal is the dialer's Control: it sees the address after name
// resolution, so a DNS name pointing at 169.254.169.254 is refused as well.
func refuseLinkLocal(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("dial %s: %w", address, err)
	}
	if linkLocal(ap.Addr()) {
		return fmt.Errorf("dial %s: %w", address, ErrLinkLocal)
	}
	return nil
}

func linkLocal(a netip.Addr) bool {
	a = a.Unmap()
	return a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() || a.IsUnspecified() ||
		a == netip.MustParseAddr("fd00:ec2::254") // AWS's IPv6 metadata service
}

// CheckOrigin vets a lookup URL's fixed origin ("http://host:port") the way
// the Client will: with allowLinkLocal false, a literal link-local address
// or a metadata service's name is an error. Flow validation calls it
// (flows.Env.CheckURL), so such a flow never goes live.
func CheckOrigin(origin string, allowLinkLocal bool) error {
	u, err := url.Parse(origin)
	if err != nil {
		return fmt.Errorf("%s: %w", origin, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("%s: scheme %q is not http or https", origin, u.Scheme)
	}
	if allowLinkLocal {
		return nil
	}
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	if a, err := netip.ParseAddr(host); err == nil && linkLocal(a) {
		return fmt.Errorf("%s: %w", origin, ErrLinkLocal)
	}
	if metadataHosts[host] {
		return fmt.Errorf("%s: %w", origin, ErrLinkLocal)
	}
	return nil
}
