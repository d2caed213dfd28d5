package kamailio

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// LocationTable is the usrloc table the deploy configuration saves
// registrations in (save("location")).
const LocationTable = "location"

// maxDump bounds the ul.dump answer read (about 1 KB per contact).
const maxDump = 64 << 20

// Location is Kamailio's location table, read over JSON-RPC.
type Location struct {
	url    string
	client *http.Client
}

// NewLocation returns the location table behind rpcURL, Kamailio's
// jsonrpcs endpoint (http://10.0.0.5:5064/RPC). Each request gives up
// after timeout (default 2s).
func NewLocation(rpcURL string, timeout time.Duration) (*Location, error) {
	u, err := url.Parse(rpcURL)
	if err != nil {
		return nil, fmt.Errorf("kamailio rpc %q: %w", rpcURL, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("kamailio rpc %q: want http://HOST:PORT/RPC", rpcURL)
	}
	if timeout <= 0 {
		timeout = 2 * time.Second
	}
	return &Location{url: rpcURL, client: &http.Client{Timeout: timeout}}, nil
}

// Public reports whether the endpoint's host is an IP address that is
// neither loopback nor private: Kamailio's RPC can change its state (ul.rm,
// dispatcher, …) and has no authentication, so it must not be reachable
// from outside (a host name is not judged).
func (l *Location) Public() bool {
	u, err := url.Parse(l.url)
	if err != nil {
		return false
	}
	ip := net.ParseIP(u.Hostname())
	return ip != nil && !ip.IsLoopback() && !ip.IsPrivate() && !ip.IsLinkLocalUnicast()
}

// Registered returns the agents (the user part of each AoR) with at least
// one unexpired contact in the location table.
func (l *Location) Registered(ctx context.Context) (map[string]bool, error) {
	body := []byte(`{"jsonrpc":"2.0","method":"ul.dump","id":1}`)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, l.url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := l.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("kamailio ul.dump: %w", err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("kamailio ul.dump: http %s", res.Status)
	}
	data, err := io.ReadAll(io.LimitReader(res.Body, maxDump+1))
	if err != nil {
		return nil, fmt.Errorf("kamailio ul.dump: %w", err)
	}
	if len(data) > maxDump {
		return nil, fmt.Errorf("kamailio ul.dump: answer over %d bytes", maxDump)
	}
	return parseDump(data, LocationTable)
}

// dump is the part of ul.dump's answer read here.
type dump struct {
	Result *struct {
		Domains []struct {
			Domain struct {
				Domain string
				AoRs   []struct {
					Info struct {
						AoR      string
						Contacts []struct {
							Contact struct {
								Expires json.RawMessage
							}
						}
					}
				}
			}
		}
	} `json:"result"`
	Error *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// parseDump reads ul.dump's answer: the agents of table with a live
// contact.
func parseDump(data []byte, table string) (map[string]bool, error) {
	var d dump
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, fmt.Errorf("kamailio ul.dump: %w", err)
	}
	if d.Error != nil {
		return nil, fmt.Errorf("kamailio ul.dump: error %d: %s", d.Error.Code, d.Error.Message)
	}
	if d.Result == nil {
		return nil, errors.New("kamailio ul.dump: no result")
	}
	found := false
	out := map[string]bool{}
	for _, dom := range d.Result.Domains {
		if dom.Domain.Domain != table {
			continue
		}
		found = true
		for _, aor := range dom.Domain.AoRs {
			user, _, _ := strings.Cut(aor.Info.AoR, "@") // usrloc use_domain: user@domain
			for _, c := range aor.Info.Contacts {
				if live(c.Contact.Expires) {
					out[user] = true
					break
				}
			}
		}
	}
	if !found {
		return nil, fmt.Errorf("kamailio ul.dump: no %q table", table)
	}
	return out, nil
}

// live reads a contact's Expires: seconds left, "permanent", or "expired"
// and "deleted" for contacts lookup() no longer rings.
func live(expires json.RawMessage) bool {
	var secs int64
	if json.Unmarshal(expires, &secs) == nil {
		return secs > 0
	}
	var word string
	return json.Unmarshal(expires, &word) == nil && word == "permanent"
}
