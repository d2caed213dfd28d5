package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"

	"github.com/switchboard-cc/switchboard/httpapi"
	"github.com/switchboard-cc/switchboard/routing"
)

// apiAgents adapts the ACD to httpapi.Agents.
type apiAgents struct{ acd *routing.ACD }

var _ httpapi.Agents = apiAgents{}

func (a apiAgents) ListAgents(context.Context) ([]httpapi.Agent, error) {
	snaps := a.acd.Agents()
	out := make([]httpapi.Agent, len(snaps))
	for i, s := range snaps {
		out[i] = httpapi.Agent{
			ID: s.ID, Name: s.Name, State: s.State(), Reason: s.Reason, Since: s.Since,
			Skills: s.Skills, Groups: s.Groups, CallID: s.CallID, LogoutPending: s.LogoutPending,
		}
	}
	return out, nil
}

func (a apiAgents) Login(ctx context.Context, id, by string) error {
	return apiErr(a.acd.Login(ctx, id, by))
}

func (a apiAgents) Logout(ctx context.Context, id, by, reason string) error {
	return apiErr(a.acd.Logout(ctx, id, by, reason))
}

func (a apiAgents) Ready(ctx context.Context, id, by string) error {
	return apiErr(a.acd.Ready(ctx, id, by))
}

func (a apiAgents) NotReady(ctx context.Context, id, by, reason string) error {
	return apiErr(a.acd.NotReady(ctx, id, by, reason))
}

// apiErr maps the ACD's errors to the API's, keeping the original message.
func apiErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, routing.ErrUnknownAgent):
		return fmt.Errorf("%w: %w", httpapi.ErrNotFound, err)
	case errors.Is(err, routing.ErrInvalidTransition):
		return fmt.Errorf("%w: %w", httpapi.ErrConflict, err)
	case errors.Is(err, routing.ErrInvalidReason):
		return fmt.Errorf("%w: %w", httpapi.ErrInvalid, err)
	}
	return err
}

// notReadyReasons are the codes the wallboard offers: the ACD's built-in
// ones and the config's own (httpapi drops repeats and the system codes).
func notReadyReasons(cfg *Config) []string {
	return append(append([]string(nil), routing.BuiltinNotReadyReasons...), cfg.NotReadyReasons...)
}

// systemNotReadyReasons are the codes only the system sets: "login" and
// "no_answer" by the ACD, phone_unavailable by the registrar. Nobody picks
// them through the API.
func systemNotReadyReasons() []string {
	out := append([]string(nil), httpapi.DefaultSystemNotReadyReasons...)
	if !slices.Contains(out, routing.ReasonPhoneUnavailable) {
		out = append(out, routing.ReasonPhoneUnavailable)
	}
	return out
}

// loopbackAddr reports whether a listen address ("host:port") is on
// loopback only; an empty or wildcard host is every interface.
func loopbackAddr(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
