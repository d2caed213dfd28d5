package registrar

import (
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"
)

// A success must not wipe failures: an attacker with one valid account
// would otherwise guess another agent's password between successful
// REGISTERs without ever reaching the limit.
func TestLockoutSurvivesSuccessFromTheSameSource(t *testing.T) {
	s := startRegistrar(t, Config{MaxFailures: 3, FailureWindow: time.Minute, Lockout: 5 * time.Minute})
	p := newPhone(t)
	for i := range 3 {
		if res := p.register(s.addr, "1002", "guess", 60, "<"+p.contactURI("1002")+">"); res.StatusCode != 403 {
			t.Fatalf("guess %d for 1002: %d; want 403", i, res.StatusCode)
		}
		if i == 2 {
			break
		}
		// The attacker's own account registers fine between guesses.
		if res := p.register(s.addr, "1001", "s3cret-1001", 60, "<"+p.contactURI("1001")+">"); res.StatusCode != 200 {
			t.Fatalf("own account between guesses: %d; want 200", res.StatusCode)
		}
	}
	if res := p.do(p.registerReq(s.addr, "1001", 60, "<"+p.contactURI("1001")+">")); res.StatusCode != 403 {
		t.Fatalf("after 3 failures interleaved with successes: %d; want 403 (source locked out)", res.StatusCode)
	}
}

// Guesses at one agent from many addresses lock that agent's credentials
// out, while the phone already bound keeps refreshing and other agents are
// untouched.
func TestLockoutCountsPerUserAcrossSources(t *testing.T) {
	s := startRegistrar(t, Config{MaxFailures: 3, FailureWindow: time.Minute, Lockout: 5 * time.Minute})
	desk := newPhoneAt(t, "127.0.0.1")
	if res := desk.register(s.addr, "1001", "s3cret-1001", 600, "<"+desk.contactURI("1001")+">"); res.StatusCode != 200 {
		t.Fatalf("desk phone: %d; want 200", res.StatusCode)
	}
	for i, ip := range []string{"127.0.0.2", "127.0.0.3", "127.0.0.4"} {
		a := newPhoneAt(t, ip)
		if res := a.register(s.addr, "1001", "guess", 60, "<"+a.contactURI("1001")+">"); res.StatusCode != 403 {
			t.Fatalf("guess %d: %d; want 403", i, res.StatusCode)
		}
	}
	newcomer := newPhoneAt(t, "127.0.0.5")
	if res := newcomer.register(s.addr, "1001", "s3cret-1001", 60, "<"+newcomer.contactURI("1001")+">"); res.StatusCode != 403 {
		t.Fatalf("1001 from a new address during its lockout: %d; want 403", res.StatusCode)
	}
	if res := desk.register(s.addr, "1001", "s3cret-1001", 600, "<"+desk.contactURI("1001")+">"); res.StatusCode != 200 {
		t.Fatalf("bound desk phone refreshing during 1001's lockout: %d; want 200", res.StatusCode)
	}
	if res := newcomer.register(s.addr, "1002", "s3cret-1002", 60, "<"+newcomer.contactURI("1002")+">"); res.StatusCode != 200 {
		t.Fatalf("another agent during 1001's lockout: %d; want 200", res.StatusCode)
	}
	s.clk.Advance(5*time.Minute + time.Second)
	if res := newcomer.register(s.addr, "1001", "s3cret-1001", 60, "<"+newcomer.contactURI("1001")+">"); res.StatusCode != 200 {
		t.Fatalf("after the lockout: %d; want 200", res.StatusCode)
	}
}

// One Authorization header must not work twice: without qop the nonce is
// single-use, with qop=auth each use needs a higher nonce-count.
func TestDigestReplayRefused(t *testing.T) {
	for _, tc := range []struct {
		name string
		qop  bool
		ncs  []int
		want []int
	}{
		{"no qop: a nonce is used once", false, []int{0, 0, 0}, []int{200, 401, 401}},
		{"qop auth: nc must grow", true, []int{1, 1, 3, 2, 4}, []int{200, 401, 200, 401, 200}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := startRegistrar(t, Config{})
			p := newPhone(t)
			contact := "<" + p.contactURI("1001") + ">"
			req := p.registerReq(s.addr, "1001", 60, contact)
			chal, err := digest.ParseChallenge(p.do(req).GetHeader("WWW-Authenticate").Value())
			if err != nil {
				t.Fatal(err)
			}
			if !tc.qop {
				chal.QOP = nil
			}
			for i, nc := range tc.ncs {
				cred, err := digest.Digest(chal, digest.Options{Method: "REGISTER", URI: req.Recipient.Addr(),
					Username: "1001", Password: "s3cret-1001", Count: nc, Cnonce: "0a4f113b"})
				if err != nil {
					t.Fatal(err)
				}
				r := p.registerReq(s.addr, "1001", 60, contact)
				r.AppendHeader(sip.NewHeader("Authorization", cred.String()))
				if got := p.do(r).StatusCode; got != tc.want[i] {
					t.Fatalf("use %d (nc %d): %d; want %d", i+1, nc, got, tc.want[i])
				}
			}
		})
	}
}
