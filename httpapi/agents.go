package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits on the identifiers and free text a request may carry.
const (
	maxIDLen     = 64
	maxReasonLen = 200
)

// systemActors are the names the server itself writes as "by" in
// agent.state events (the ACD after missed offers, the registrar's device
// gate, the cluster mirroring another node). A person may not use them:
// the log must tell the system's changes from people's.
var systemActors = []string{"system", "registrar", "cluster"}

type agentActionKind int

const (
	actLogin agentActionKind = iota
	actLogout
	actReady
	actNotReady
)

func (k agentActionKind) String() string {
	return [...]string{"login", "logout", "ready", "not-ready"}[k]
}

// agentActionRequest is the body of every agent action. Both fields are
// optional in JSON; which are required depends on the action.
type agentActionRequest struct {
	// By is who asks: empty (or the agent's own ID) for the agent itself,
	// a supervisor's name for a forced action.
	By     string `json:"by"`
	Reason string `json:"reason"`
}

func (s *Server) listAgents(w http.ResponseWriter, r *http.Request) {
	if s.deps.Agents == nil {
		unavailable(w, "agents")
		return
	}
	as, err := s.deps.Agents.ListAgents(r.Context())
	if err != nil {
		s.writeDepError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, agentViews(as, s.clock.Now()))
}

// agentAction handles POST /api/agents/{id}/ACTION. On success it answers
// with the agent's state after the change.
func (s *Server) agentAction(kind agentActionKind) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.deps.Agents == nil {
			unavailable(w, "agents")
			return
		}
		id := r.PathValue("id")
		if err := checkName("agent id", id, maxIDLen); err != nil {
			writeError(w, http.StatusBadRequest, "%v", err)
			return
		}
		var req agentActionRequest
		if !s.decodeBody(w, r, &req) {
			return
		}
		if kind == actNotReady && contains(s.cfg.SystemNotReadyReasons, req.Reason) {
			writeError(w, http.StatusBadRequest, "not-ready %s: reason %q is set by the system only; choose one of %s",
				id, req.Reason, strings.Join(s.cfg.NotReadyReasons, ", "))
			return
		}
		if err := req.validate(kind, id); err != nil {
			writeError(w, http.StatusBadRequest, "%s %s: %v", kind, id, err)
			return
		}
		by := req.By
		if by == "" {
			by = id
		}
		if err := s.doAgentAction(r.Context(), kind, id, by, req.Reason); err != nil {
			s.writeDepError(w, r, fmt.Errorf("%s %s: %w", kind, id, err))
			return
		}
		s.log.Info("httpapi: agent action", "action", kind.String(), "agent", id, "by", by, "reason", req.Reason)
		s.local.Notify()
		as, err := s.deps.Agents.ListAgents(r.Context())
		if err != nil {
			s.writeDepError(w, r, err)
			return
		}
		for _, v := range agentViews(as, s.clock.Now()) {
			if v.ID == id {
				writeJSON(w, http.StatusOK, v)
				return
			}
		}
		writeError(w, http.StatusNotFound, "%s %s: agent gone after the change", kind, id)
	}
}

func (s *Server) doAgentAction(ctx context.Context, kind agentActionKind, id, by, reason string) error {
	a := s.deps.Agents
	switch kind {
	case actLogin:
		return a.Login(ctx, id, by)
	case actLogout:
		return a.Logout(ctx, id, by, reason)
	case actReady:
		return a.Ready(ctx, id, by)
	case actNotReady:
		return a.NotReady(ctx, id, by, reason)
	}
	return fmt.Errorf("unknown action %d", kind)
}

// validate checks what each action needs: not-ready always has a reason
// code; a supervisor's forced logout says why; login and ready take none.
func (req agentActionRequest) validate(kind agentActionKind, id string) error {
	if req.By != "" {
		if err := checkName(`"by"`, req.By, maxIDLen); err != nil {
			return err
		}
		for _, sys := range systemActors {
			if strings.EqualFold(req.By, sys) {
				return fmt.Errorf(`"by": %q is the system's own name in the event log; give your name`, req.By)
			}
		}
	}
	if req.Reason != "" {
		if err := checkText(`"reason"`, req.Reason, maxReasonLen); err != nil {
			return err
		}
	}
	forced := req.By != "" && req.By != id
	switch kind {
	case actLogin, actReady:
		if req.Reason != "" {
			return fmt.Errorf(`"reason" is not used by %s; leave it out`, kind)
		}
	case actNotReady:
		if req.Reason == "" {
			return fmt.Errorf(`"reason" is required (a reason code such as break, training, meeting)`)
		}
	case actLogout:
		if forced && req.Reason == "" {
			return fmt.Errorf(`"reason" is required when %q logs out another agent`, req.By)
		}
	}
	return nil
}

// checkName accepts identifiers: letters, digits and . _ - @ : only.
func checkName(what, v string, max int) error {
	if v == "" {
		return fmt.Errorf("%s is empty", what)
	}
	if len(v) > max {
		return fmt.Errorf("%s is longer than %d bytes", what, max)
	}
	for _, r := range v {
		if !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '.' || r == '_' || r == '-' || r == '@' || r == ':' || r == '+') {
			return fmt.Errorf("%s %q: character %q not allowed (letters, digits and . _ - @ : + only)", what, v, r)
		}
	}
	return nil
}

// checkText accepts short printable text (a reason a supervisor typed).
func checkText(what, v string, max int) error {
	if !utf8.ValidString(v) {
		return fmt.Errorf("%s is not valid UTF-8", what)
	}
	if len(v) > max {
		return fmt.Errorf("%s is longer than %d bytes", what, max)
	}
	for _, r := range v {
		if unicode.IsControl(r) {
			return fmt.Errorf("%s contains a control character", what)
		}
	}
	return nil
}
