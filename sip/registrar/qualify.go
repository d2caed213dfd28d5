package registrar

import (
	"context"
	"fmt"
	"sync"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/switchboard-cc/switchboard/internal/clock"
)

// Pinger asks a contact whether the phone is there (RFC 3261 §11 OPTIONS).
// Any final response from the phone counts as an answer.
type Pinger interface {
	Ping(ctx context.Context, c Contact) error
}

// SIPPinger pings with OPTIONS over a sipgo client.
type SIPPinger struct {
	Client *sipgo.Client
}

func (p SIPPinger) Ping(ctx context.Context, c Contact) error {
	var uri sip.Uri
	if err := sip.ParseUri(c.URI, &uri); err != nil {
		return fmt.Errorf("ping %s: %w", c.URI, err)
	}
	req := sip.NewRequest(sip.OPTIONS, uri)
	if c.Transport != "" && c.Transport != "udp" {
		req.SetTransport(c.Transport)
	}
	req.AppendHeader(sip.NewHeader("Accept", "application/sdp"))
	res, err := p.Client.Do(ctx, req)
	if err != nil {
		return fmt.Errorf("ping %s: %w", c.URI, err)
	}
	// 408 and 503 are what a proxy or our own transaction layer says on the
	// phone's behalf; every other final response came from a live phone.
	if res.StatusCode == sip.StatusRequestTimeout || res.StatusCode == sip.StatusServiceUnavailable {
		return fmt.Errorf("ping %s: %d %s", c.URI, res.StatusCode, res.Reason)
	}
	return nil
}

// Qualify pings every bound contact (live or lapsed within its grace) each
// QualifyInterval until ctx ends. A phone that stops answering is no longer
// offered calls; one that answers again comes back, even after its
// registration lapsed.
func (r *Registrar) Qualify(ctx context.Context, p Pinger) error {
	for {
		if err := clock.Sleep(ctx, r.clk, r.cfg.QualifyInterval); err != nil {
			return nil
		}
		r.QualifyOnce(ctx, p)
	}
}

type pingTarget struct {
	Contact
	lapsed bool
}

// QualifyOnce pings every bound contact once, concurrently, each with
// QualifyTimeout (on the registrar's clock), and applies the results.
func (r *Registrar) QualifyOnce(ctx context.Context, p Pinger) {
	r.mu.Lock()
	var targets []pingTarget
	for _, list := range r.bindings {
		for _, b := range list {
			targets = append(targets, pingTarget{Contact: b.Contact, lapsed: b.lapsed})
		}
	}
	r.mu.Unlock()

	results := make([]error, len(targets))
	var wg sync.WaitGroup
	for i, t := range targets {
		wg.Go(func() {
			pctx, cancel := context.WithCancel(ctx)
			defer cancel()
			timer := r.clk.AfterFunc(r.cfg.QualifyTimeout, cancel)
			defer timer.Stop()
			results[i] = p.Ping(pctx, t.Contact)
		})
	}
	wg.Wait()

	changed := make(map[string]string) // agent -> reason of the last change
	r.mu.Lock()
	now := r.clk.Now()
	for i, t := range targets {
		for _, b := range r.bindings[t.AgentID] {
			if b.URI != t.URI {
				continue
			}
			answered := results[i] == nil
			switch {
			case answered && b.lapsed && now.Before(b.lapseEnd):
				// The phone is still there although it did not refresh:
				// callable again until the next failed ping or the end of
				// its grace.
				b.lapsed, b.reachable = false, true
				b.Expires = now.Add(2 * r.cfg.QualifyInterval)
				if b.Expires.After(b.lapseEnd) {
					b.Expires = b.lapseEnd
				}
				r.armLocked(b)
				changed[t.AgentID] = ReasonReachable
			case answered && !b.reachable:
				b.reachable = true
				changed[t.AgentID] = ReasonReachable
			case !answered && b.reachable && !b.lapsed:
				b.reachable = false
				r.log.Info("contact stopped answering OPTIONS", "agent", t.AgentID, "contact", t.URI, "error", results[i])
				changed[t.AgentID] = ReasonUnreachable
			}
		}
	}
	var reports []*availabilityChange
	for agentID, reason := range changed {
		if ch := r.settleLocked(agentID, reason); ch != nil {
			reports = append(reports, ch)
		}
	}
	r.mu.Unlock()
	for _, ch := range reports {
		r.report(ctx, ch)
	}
}
