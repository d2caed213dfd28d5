package registrar

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"
	"gopkg.in/yaml.v3"

	"github.com/switchboard-cc/switchboard/events"
)

func TestRegisterCredentials(t *testing.T) {
	tests := []struct {
		name       string
		algorithms []string
		agent      string // AOR registered
		user       string // digest username
		password   string
		wantStatus int
		wantAlg    string // algorithm the phone answered with
	}{
		{"md5 good", []string{AlgorithmMD5}, "1001", "1001", "s3cret-1001", 200, "MD5"},
		{"sha256 good", []string{AlgorithmSHA256, AlgorithmMD5}, "1001", "1001", "s3cret-1001", 200, "SHA-256"},
		{"md5 wrong password", []string{AlgorithmMD5}, "1001", "1001", "guess", 403, "MD5"},
		{"sha256 wrong password", []string{AlgorithmSHA256}, "1001", "1001", "guess", 403, "SHA-256"},
		{"default: md5 only", nil, "1001", "1001", "s3cret-1001", 200, "MD5"},
		{"both offered, phone picks sha256", []string{AlgorithmMD5, AlgorithmSHA256}, "1001", "1001", "s3cret-1001", 200, "SHA-256"},
		{"both offered, sha256 wrong password", []string{AlgorithmMD5, AlgorithmSHA256}, "1001", "1001", "guess", 403, "SHA-256"},
		{"unknown agent", nil, "9999", "9999", "whatever", 403, "MD5"},
		{"another agent's password", nil, "1001", "1002", "s3cret-1002", 403, "MD5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := startRegistrar(t, Config{Algorithms: tt.algorithms})
			p := newPhone(t)
			req := p.registerReq(s.addr, tt.agent, 120, "<"+p.contactURI(tt.agent)+">")
			res := p.do(req)
			if res.StatusCode != 401 {
				t.Fatalf("first REGISTER: %d; want 401 challenge", res.StatusCode)
			}
			chals := res.GetHeaders("WWW-Authenticate")
			wantAlgs := tt.algorithms
			if wantAlgs == nil {
				wantAlgs = []string{AlgorithmMD5}
			}
			if len(chals) != len(wantAlgs) {
				t.Fatalf("%d challenges; want %d", len(chals), len(wantAlgs))
			}
			for i, h := range chals {
				c, err := digest.ParseChallenge(h.Value())
				if err != nil || c.Algorithm != wantAlgs[i] || !c.SupportsQOP("auth") || c.Realm != DefaultRealm {
					t.Fatalf("challenge %d = %q (%v); want algorithm %s qop auth", i, h.Value(), err, wantAlgs[i])
				}
			}
			// The phone answers the first challenge with the algorithm it uses.
			chosen := slices.IndexFunc(chals, func(h sip.Header) bool {
				c, _ := digest.ParseChallenge(h.Value())
				return c.Algorithm == tt.wantAlg
			})
			if chosen < 0 {
				t.Fatalf("no %s challenge offered", tt.wantAlg)
			}
			req.AppendHeader(sip.NewHeader("Authorization", authorize(t, chals[chosen].Value(), tt.user, tt.password, req.Recipient.Addr(), 1)))
			req.CSeq().SeqNo++
			req.RemoveHeader("Via")
			res = p.do(req)
			if res.StatusCode != tt.wantStatus {
				t.Fatalf("authenticated REGISTER: %d %s; want %d", res.StatusCode, res.Reason, tt.wantStatus)
			}
			got := s.reg.Lookup(tt.agent)
			if tt.wantStatus != 200 {
				if len(got) != 0 {
					t.Fatalf("Lookup(%s) = %v after refused REGISTER; want no binding", tt.agent, got)
				}
				s.log.none(t)
				return
			}
			if len(got) != 1 || got[0].URI != p.contactURI(tt.agent) {
				t.Fatalf("Lookup = %+v; want %s", got, p.contactURI(tt.agent))
			}
			if c := res.Contact(); c == nil || c.Params.GetOr("expires", "") != "120" {
				t.Fatalf("200 Contact = %v; want expires=120", c)
			}
			e := s.log.next(t)
			if e.Type != events.AgentDevice || e.Agent != tt.agent || e.Data["status"] != "available" || e.Data["reason"] != ReasonRegistered {
				t.Fatalf("event %+v; want agent.device available registered", e)
			}
		})
	}
}

func TestMissingCredentialsNeverBind(t *testing.T) {
	s := startRegistrar(t, Config{})
	p := newPhone(t)
	res := p.do(p.registerReq(s.addr, "1001", 60, "<"+p.contactURI("1001")+">"))
	if res.StatusCode != 401 {
		t.Fatalf("status %d; want 401", res.StatusCode)
	}
	// A forged nonce with a "valid looking" response is re-challenged.
	req := p.registerReq(s.addr, "1001", 60, "<"+p.contactURI("1001")+">")
	forged := fmt.Sprintf(`Digest realm="%s", nonce="AAAA", algorithm=MD5, qop=auth, nc=00000001, cnonce="x", username="1001", uri="sip:%s", response="00"`, DefaultRealm, s.addr)
	req.AppendHeader(sip.NewHeader("Authorization", forged))
	if res := p.do(req); res.StatusCode != 401 {
		t.Fatalf("forged nonce: %d; want 401", res.StatusCode)
	}
	if got := s.reg.Lookup("1001"); got != nil {
		t.Fatalf("Lookup = %v; want none", got)
	}
}

func TestStaleNonceAndReplay(t *testing.T) {
	s := startRegistrar(t, Config{Algorithms: []string{AlgorithmMD5}})
	p := newPhone(t)
	contact := "<" + p.contactURI("1001") + ">"
	req := p.registerReq(s.addr, "1001", 60, contact)
	res := p.do(req)
	chal := res.GetHeader("WWW-Authenticate").Value()

	// Replay: the same nonce-count twice. The first is accepted.
	auth := authorize(t, chal, "1001", "s3cret-1001", req.Recipient.Addr(), 1)
	for i, want := range []int{200, 401} {
		r := p.registerReq(s.addr, "1001", 60, contact)
		r.AppendHeader(sip.NewHeader("Authorization", auth))
		if got := p.do(r); got.StatusCode != want {
			t.Fatalf("use %d of nc=1: %d; want %d", i+1, got.StatusCode, want)
		}
	}

	// Stale: the right password with a nonce past its lifetime.
	s.clk.Advance(DefaultNonceTTL + time.Second)
	r := p.registerReq(s.addr, "1001", 60, contact)
	r.AppendHeader(sip.NewHeader("Authorization", authorize(t, chal, "1001", "s3cret-1001", req.Recipient.Addr(), 2)))
	got := p.do(r)
	if got.StatusCode != 401 {
		t.Fatalf("stale nonce: %d; want 401", got.StatusCode)
	}
	c, err := digest.ParseChallenge(got.GetHeader("WWW-Authenticate").Value())
	if err != nil || !c.Stale {
		t.Fatalf("stale challenge = %q; want stale=true", got.GetHeader("WWW-Authenticate").Value())
	}
}

func TestExpiryRefreshAndLapse(t *testing.T) {
	s := startRegistrar(t, Config{LapseGrace: time.Minute})
	p := newPhone(t)
	contact := "<" + p.contactURI("1001") + ">"
	if res := p.register(s.addr, "1001", "s3cret-1001", 60, contact); res.StatusCode != 200 {
		t.Fatalf("register: %d", res.StatusCode)
	}
	s.log.next(t) // available

	// Refresh before expiry keeps the binding.
	s.clk.Advance(50 * time.Second)
	if res := p.register(s.addr, "1001", "s3cret-1001", 60, contact); res.StatusCode != 200 {
		t.Fatalf("refresh: %d", res.StatusCode)
	}
	s.clk.Advance(50 * time.Second)
	if got := s.reg.Lookup("1001"); len(got) != 1 {
		t.Fatalf("after refresh Lookup = %v; want the binding", got)
	}
	s.log.none(t)

	// No refresh: it lapses at 60 s after the refresh and is reported.
	s.clk.Advance(11 * time.Second)
	e := s.log.next(t)
	if e.Type != events.AgentDevice || e.Data["status"] != "unavailable" || e.Data["reason"] != ReasonExpired {
		t.Fatalf("event %+v; want unavailable registration_expired", e)
	}
	if got := s.reg.Lookup("1001"); got != nil {
		t.Fatalf("lapsed Lookup = %v; want none", got)
	}
}

func TestIntervalTooBriefAndMaxExpires(t *testing.T) {
	s := startRegistrar(t, Config{})
	p := newPhone(t)
	res := p.register(s.addr, "1001", "s3cret-1001", 10, "<"+p.contactURI("1001")+">")
	if res.StatusCode != sip.StatusIntervalToBrief || res.GetHeader("Min-Expires").Value() != "60" {
		t.Fatalf("expires=10: %d; want 423 with Min-Expires: 60", res.StatusCode)
	}
	res = p.register(s.addr, "1001", "s3cret-1001", 86400, "<"+p.contactURI("1001")+">")
	if res.StatusCode != 200 || res.Contact().Params.GetOr("expires", "") != "7200" {
		t.Fatalf("expires=86400: %d %v; want 200 capped to 7200", res.StatusCode, res.Contact())
	}
}

func TestSeveralContactsAndUnregister(t *testing.T) {
	s := startRegistrar(t, Config{})
	desk, soft := newPhone(t), newPhone(t)
	deskC, softC := "<"+desk.contactURI("1001")+">", "<"+soft.contactURI("1001")+">"
	for _, p := range []*phone{desk, soft} {
		if res := p.register(s.addr, "1001", "s3cret-1001", 300, "<"+p.contactURI("1001")+">"); res.StatusCode != 200 {
			t.Fatalf("register: %d", res.StatusCode)
		}
	}
	if got := s.reg.Lookup("1001"); len(got) != 2 {
		t.Fatalf("Lookup = %v; want 2 contacts", got)
	}
	if e := s.log.next(t); e.Data["status"] != "available" {
		t.Fatalf("event %+v", e)
	}
	// The soft phone leaves: the desk phone stays, no availability change.
	if res := soft.register(s.addr, "1001", "s3cret-1001", 0, softC); res.StatusCode != 200 {
		t.Fatalf("unregister: %d", res.StatusCode)
	}
	got := s.reg.Lookup("1001")
	if len(got) != 1 || got[0].URI != desk.contactURI("1001") {
		t.Fatalf("Lookup = %v; want only the desk phone", got)
	}
	s.log.none(t)
	// "*" removes everything.
	if res := desk.register(s.addr, "1001", "s3cret-1001", 0, "*"); res.StatusCode != 200 {
		t.Fatalf("unregister *: %d", res.StatusCode)
	}
	if got := s.reg.Lookup("1001"); got != nil {
		t.Fatalf("Lookup = %v; want none", got)
	}
	if e := s.log.next(t); e.Data["status"] != "unavailable" || e.Data["reason"] != ReasonUnregistered {
		t.Fatalf("event %+v; want unavailable unregistered", e)
	}
	_ = deskC
}

// pingFunc is a hand-written Pinger.
type pingFunc func(ctx context.Context, c Contact) error

func (f pingFunc) Ping(ctx context.Context, c Contact) error { return f(ctx, c) }

func TestQualifyUnreachableAndBack(t *testing.T) {
	var mu sync.Mutex
	answer := false
	pinger := pingFunc(func(ctx context.Context, c Contact) error {
		mu.Lock()
		defer mu.Unlock()
		if !answer {
			return errors.New("no answer")
		}
		return nil
	})
	setAnswer := func(v bool) { mu.Lock(); answer = v; mu.Unlock() }

	s := startRegistrar(t, Config{LapseGrace: 10 * time.Minute, QualifyInterval: 30 * time.Second})
	p := newPhone(t)
	p.register(s.addr, "1001", "s3cret-1001", 120, "<"+p.contactURI("1001")+">")
	s.log.next(t)

	s.reg.QualifyOnce(context.Background(), pinger)
	if e := s.log.next(t); e.Data["status"] != "unavailable" || e.Data["reason"] != ReasonUnreachable {
		t.Fatalf("event %+v; want unavailable unreachable", e)
	}
	if got := s.reg.Lookup("1001"); got != nil {
		t.Fatalf("Lookup = %v for a phone that does not answer OPTIONS", got)
	}
	setAnswer(true)
	s.reg.QualifyOnce(context.Background(), pinger)
	if e := s.log.next(t); e.Data["status"] != "available" || e.Data["reason"] != ReasonReachable {
		t.Fatalf("event %+v; want available reachable", e)
	}

	// The registration lapses; the phone still answers OPTIONS: it comes back.
	s.clk.Advance(121 * time.Second)
	if e := s.log.next(t); e.Data["reason"] != ReasonExpired {
		t.Fatalf("event %+v; want registration_expired", e)
	}
	s.reg.QualifyOnce(context.Background(), pinger)
	if e := s.log.next(t); e.Data["status"] != "available" || e.Data["reason"] != ReasonReachable {
		t.Fatalf("event %+v; want available reachable after lapse", e)
	}
	if got := s.reg.Lookup("1001"); len(got) != 1 {
		t.Fatalf("Lookup = %v; want the revived contact", got)
	}
}

func TestSIPPingerOverLoopback(t *testing.T) {
	p := newPhone(t) // answers OPTIONS
	asker := newPhone(t)
	ok := SIPPinger{Client: asker.client}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := ok.Ping(ctx, Contact{URI: p.contactURI("1001")}); err != nil {
		t.Fatalf("Ping(live phone) = %v", err)
	}
	dead := newPhone(t) // a socket nobody reads SIP from
	dead.client.UserAgent.Close()
	ctx2, cancel2 := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel2()
	if err := ok.Ping(ctx2, Contact{URI: "sip:1001@127.0.0.1:9"}); err == nil {
		t.Fatal("Ping(nobody) = nil; want an error")
	}
}

func TestPasswordNeverPrinted(t *testing.T) {
	var buf strings.Builder
	log := slog.New(slog.NewTextHandler(&buf, nil))
	pw := Password("hunter2")
	log.Info("x", "pw", pw, "cfg", Config{Passwords: map[string]Password{"1001": pw}})
	out := buf.String() + fmt.Sprintf("%v %+v %#v %s", pw, map[string]Password{"a": pw}, pw, pw)
	if strings.Contains(out, "hunter2") {
		t.Fatalf("password leaked: %s", out)
	}
}

func TestConfigFromYAML(t *testing.T) {
	src := `
realm: callcenter
digest_algorithms: [SHA-256, MD5]
min_expires: 30s
max_expires: 1h
qualify_interval: 45s
`
	var cfg Config
	if err := yaml.Unmarshal([]byte(src), &cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.Realm != "callcenter" || cfg.MinExpires != 30*time.Second || cfg.MaxExpires != time.Hour ||
		cfg.QualifyInterval != 45*time.Second || len(cfg.Algorithms) != 2 || cfg.Algorithms[0] != AlgorithmSHA256 {
		t.Fatalf("decoded %+v", cfg)
	}
	if _, err := New(Config{Algorithms: []string{"SHA-512"}}); err == nil {
		t.Fatal("New accepted an algorithm it cannot check")
	}
}

func TestRepeatedFailuresLockTheSourceOut(t *testing.T) {
	s := startRegistrar(t, Config{MaxFailures: 3, FailureWindow: time.Minute, Lockout: 5 * time.Minute})
	p := newPhone(t)
	contact := "<" + p.contactURI("1001") + ">"
	for i := range 3 {
		if res := p.register(s.addr, "1001", "guess", 60, contact); res.StatusCode != 403 {
			t.Fatalf("guess %d: %d; want 403", i, res.StatusCode)
		}
	}
	// Locked out: even the right password is refused, without a challenge.
	if res := p.do(p.registerReq(s.addr, "1001", 60, contact)); res.StatusCode != 403 {
		t.Fatalf("locked out source: %d; want 403 without challenge", res.StatusCode)
	}
	if got := s.reg.Lookup("1001"); got != nil {
		t.Fatalf("Lookup = %v during lockout", got)
	}
	s.clk.Advance(5*time.Minute + time.Second)
	if res := p.register(s.addr, "1001", "s3cret-1001", 60, contact); res.StatusCode != 200 {
		t.Fatalf("after lockout: %d; want 200", res.StatusCode)
	}
}
