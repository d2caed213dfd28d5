package registrar

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/icholy/digest"
)

// Password is an agent's SIP password. It prints as "***" in fmt and slog so
// a misplaced log line cannot leak it.
type Password string

func (Password) String() string                 { return "***" }
func (Password) GoString() string               { return `"***"` }
func (Password) LogValue() slog.Value           { return slog.StringValue("***") }
func (p Password) MarshalText() ([]byte, error) { return []byte("***"), nil }

// Digest algorithms the registrar can challenge with (RFC 8760 names).
const (
	AlgorithmSHA256 = "SHA-256"
	AlgorithmMD5    = "MD5"
)

// authFailure classifies why credentials were refused; it decides the
// response code (401 re-challenge or 403).
type authFailure int

const (
	authOK        authFailure = iota
	authMissing               // no Authorization: challenge (401)
	authStale                 // genuine nonce past its lifetime: 401 stale=true
	authBadNonce              // nonce we never issued, or replayed nc: 401
	authForbidden             // unknown user, wrong password, user/To mismatch: 403
	authMalformed             // unparsable header: 400
)

// nonceSource issues and checks nonces. A nonce is
// base64(issued-unix-nanos | 16 random bytes | HMAC-SHA256(key, first 24 bytes)),
// so it can be verified without storing it; the nonce-count of each nonce in
// use is remembered to refuse replays.
type nonceSource struct {
	key []byte
	ttl time.Duration

	mu   sync.Mutex
	seen map[string]nonceUse // nonce -> highest nc accepted, or used without qop
}

type nonceUse struct {
	nc     int
	once   bool // used without qop: never again
	issued time.Time
}

func newNonceSource(ttl time.Duration) (*nonceSource, error) {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("nonce key: %w", err)
	}
	return &nonceSource{key: key, ttl: ttl, seen: make(map[string]nonceUse)}, nil
}

func (n *nonceSource) issue(now time.Time) (string, error) {
	var raw [24 + sha256.Size]byte
	binary.BigEndian.PutUint64(raw[:8], uint64(now.UnixNano()))
	if _, err := rand.Read(raw[8:24]); err != nil {
		return "", fmt.Errorf("nonce: %w", err)
	}
	mac := hmac.New(sha256.New, n.key)
	mac.Write(raw[:24])
	copy(raw[24:], mac.Sum(nil))
	return base64.RawURLEncoding.EncodeToString(raw[:]), nil
}

var errNonceForged = errors.New("nonce not issued here")

// check verifies that nonce is ours and returns when it was issued.
func (n *nonceSource) check(nonce string) (time.Time, error) {
	raw, err := base64.RawURLEncoding.DecodeString(nonce)
	if err != nil || len(raw) != 24+sha256.Size {
		return time.Time{}, errNonceForged
	}
	mac := hmac.New(sha256.New, n.key)
	mac.Write(raw[:24])
	if !hmac.Equal(mac.Sum(nil), raw[24:]) {
		return time.Time{}, errNonceForged
	}
	return time.Unix(0, int64(binary.BigEndian.Uint64(raw[:8]))), nil
}

// use records a use of nonce and reports whether it is fresh. Without qop
// (nc is absent) a nonce may be used once; with qop=auth nc must be at
// least 1 and strictly greater than any count accepted before for nonce.
func (n *nonceSource) use(nonce, qop string, nc int, issued, now time.Time) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	for k, u := range n.seen { // prune: the map holds only live nonces
		if now.Sub(u.issued) > n.ttl {
			delete(n.seen, k)
		}
	}
	if qop != "" && nc < 1 {
		return false
	}
	u, ok := n.seen[nonce]
	if ok && (u.once || qop == "" || nc <= u.nc) {
		return false
	}
	n.seen[nonce] = nonceUse{nc: nc, once: qop == "", issued: issued}
	return true
}

func newHash(algorithm string) (hash.Hash, bool) {
	switch strings.ToUpper(algorithm) {
	case "", AlgorithmMD5:
		return md5.New(), true
	case AlgorithmSHA256:
		return sha256.New(), true
	}
	return nil, false
}

func hashHex(h hash.Hash, parts ...string) string {
	h.Reset()
	h.Write([]byte(strings.Join(parts, ":")))
	return hex.EncodeToString(h.Sum(nil))
}

// expectedResponse computes the digest response (RFC 7616 §3.4.1) the
// client should have sent for cred, given the real password.
func expectedResponse(cred *digest.Credentials, method string, password Password) (string, bool) {
	h, ok := newHash(cred.Algorithm)
	if !ok {
		return "", false
	}
	ha1 := hashHex(h, cred.Username, cred.Realm, string(password))
	ha2 := hashHex(h, method, cred.URI)
	switch cred.QOP {
	case "":
		return hashHex(h, ha1, cred.Nonce, ha2), true
	case "auth":
		return hashHex(h, ha1, cred.Nonce, fmt.Sprintf("%08x", cred.Nc), cred.Cnonce, cred.QOP, ha2), true
	}
	return "", false // auth-int is not offered
}

func responseEqual(got, want string) bool {
	return subtle.ConstantTimeCompare([]byte(strings.ToLower(got)), []byte(want)) == 1
}
