package b2bua

import (
	"fmt"
	"strings"

	"github.com/emiago/sipgo/sip"
)

// TransferRules say where an agent may blind-transfer a caller (REFER).
// Anything they do not name is refused with 403: a REFER can never make
// Switchboard place a call to a number or URI that the configuration does
// not list (no toll fraud through a compromised or misconfigured phone).
type TransferRules struct {
	// Groups maps what the agent dials (the Refer-To user part, e.g.
	// "billing" or "7001") to a skill group: the caller goes back in line
	// there.
	Groups map[string]string `yaml:"groups"`
	// Numbers are the external numbers an agent may transfer to, exactly as
	// dialled (e.g. "+4930123456"). A trailing "*" allows every number that
	// starts with the prefix before it ("+4930*"); a bare "*" is refused by
	// Validate.
	Numbers []string `yaml:"numbers"`
}

// Transfer kinds (events.CallTransfer Data["kind"]).
const (
	TransferQueue  = "queue"
	TransferNumber = "number"
)

// TransferRequest is an allowed blind transfer: the engine takes the caller
// from here (re-queue into Target's group, or dial Target).
type TransferRequest struct {
	CallID  string
	AgentID string
	Queue   string // the group the caller was connected from
	Kind    string // TransferQueue or TransferNumber
	Target  string // group name, or the number to dial
}

// Validate refuses rules that would open the door they are meant to close.
func (r TransferRules) Validate() error {
	for _, n := range r.Numbers {
		p := strings.TrimSuffix(n, "*")
		if p == "" || p == "+" {
			return fmt.Errorf("transfer number %q allows every number", n)
		}
		if strings.Contains(p, "*") {
			return fmt.Errorf("transfer number %q: '*' only at the end", n)
		}
		if !isDialable(p) {
			return fmt.Errorf("transfer number %q: digits and a leading + only", n)
		}
	}
	for name, group := range r.Groups {
		if name == "" || group == "" {
			return fmt.Errorf("transfer group %q -> %q: empty", name, group)
		}
	}
	return nil
}

func isDialable(s string) bool {
	for i, c := range s {
		if (c < '0' || c > '9') && !(c == '+' && i == 0) {
			return false
		}
	}
	return s != ""
}

// resolve maps a Refer-To URI to an allowed transfer, or reports why not.
func (r TransferRules) resolve(referTo sip.Uri) (kind, target string, err error) {
	if referTo.Headers.Has("Replaces") || referTo.Headers.Has("replaces") {
		return "", "", fmt.Errorf("attended transfer (Replaces) not supported")
	}
	var user string
	switch strings.ToLower(referTo.Scheme) {
	case "sip", "sips":
		user = referTo.User
	case "tel":
		user, _, _ = strings.Cut(referTo.Raw(), ";")
	default:
		return "", "", fmt.Errorf("scheme %q not allowed", referTo.Scheme)
	}
	if user == "" {
		return "", "", fmt.Errorf("no user part")
	}
	if g, ok := r.Groups[user]; ok {
		return TransferQueue, g, nil
	}
	if isDialable(user) {
		for _, n := range r.Numbers {
			if p, wild := strings.CutSuffix(n, "*"); wild && strings.HasPrefix(user, p) && len(user) > len(p) {
				return TransferNumber, user, nil
			} else if !wild && n == user {
				return TransferNumber, user, nil
			}
		}
	}
	return "", "", fmt.Errorf("%q is not a transfer target in the configuration", user)
}
