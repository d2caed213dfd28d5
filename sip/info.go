package sip

import (
	"bufio"
	"bytes"
	"strings"

	"github.com/switchboard-cc/switchboard/media"
)

// dtmfFromInfo extracts the key from a SIP INFO body:
//
//	application/dtmf-relay   "Signal=5\r\nDuration=160"  (Cisco, linphone, Asterisk)
//	application/dtmf         "5"                         (draft-kaplan-dispatch-info-dtmf)
//
// Signal 10 and 11 are the older numeric spellings of * and #.
func dtmfFromInfo(contentType string, body []byte) (byte, bool) {
	ct := strings.ToLower(strings.TrimSpace(contentType))
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = strings.TrimSpace(ct[:i])
	}
	var key string
	switch ct {
	case "application/dtmf-relay":
		sc := bufio.NewScanner(bytes.NewReader(body))
		for sc.Scan() {
			name, val, ok := strings.Cut(sc.Text(), "=")
			if ok && strings.EqualFold(strings.TrimSpace(name), "signal") {
				key = strings.TrimSpace(val)
				break
			}
		}
	case "application/dtmf":
		key = strings.TrimSpace(string(body))
	default:
		return 0, false
	}
	switch key {
	case "10":
		return '*', true
	case "11":
		return '#', true
	}
	if len(key) != 1 {
		return 0, false
	}
	if _, ok := media.DigitEvent(key[0]); !ok {
		return 0, false
	}
	return strings.ToUpper(key)[0], true
}
