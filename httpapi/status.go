package httpapi

import (
	"net/http"
	"sort"
)

func (s *Server) listQueues(w http.ResponseWriter, r *http.Request) {
	if s.deps.Queues == nil {
		unavailable(w, "queues")
		return
	}
	qs, err := s.deps.Queues.QueueStats(r.Context())
	if err != nil {
		s.writeDepError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, queueViews(qs))
}

func (s *Server) listCalls(w http.ResponseWriter, r *http.Request) {
	if s.deps.Calls == nil {
		unavailable(w, "calls")
		return
	}
	cs, err := s.deps.Calls.LiveCalls(r.Context())
	if err != nil {
		s.writeDepError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, callViews(cs, s.clock.Now()))
}

// reloadRequest is the body of POST /api/flows/reload: nothing yet, but a
// body with unknown fields is still rejected so a typo is not ignored.
type reloadRequest struct{}

type reloadResponse struct {
	Flows []string `json:"flows"`
}

func (s *Server) reloadFlows(w http.ResponseWriter, r *http.Request) {
	if s.deps.Flows == nil {
		unavailable(w, "flow reload")
		return
	}
	var req reloadRequest
	if !s.decodeBody(w, r, &req) {
		return
	}
	flows, err := s.deps.Flows.Reload(r.Context())
	if err != nil {
		s.log.Warn("httpapi: flow reload refused", "err", err)
		s.writeDepError(w, r, err)
		return
	}
	if flows == nil {
		flows = []string{}
	}
	sort.Strings(flows)
	s.log.Info("httpapi: flows reloaded", "flows", flows)
	s.local.Notify()
	writeJSON(w, http.StatusOK, reloadResponse{Flows: flows})
}
