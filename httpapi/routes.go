package httpapi

import "net/http"

// route is one endpoint. The mux is built from this table and a test holds
// it equal to openapi.json, so the two cannot drift apart.
type route struct {
	method string
	path   string // Go 1.22 ServeMux pattern path
	auth   bool   // changes state: needs the bearer token
	// private routes show call data (numbers, reports): they need the
	// token too when Config.PrivateReads is set (serve on a non-loopback
	// address).
	private bool
	handler http.HandlerFunc
	// undocumented routes (the wallboard's static files) are not part of the
	// API contract and are left out of openapi.json.
	undocumented bool
}

func (s *Server) routes() []route {
	return []route{
		{method: "GET", path: "/api/agents", handler: s.listAgents},
		{method: "POST", path: "/api/agents/{id}/login", auth: true, handler: s.agentAction(actLogin)},
		{method: "POST", path: "/api/agents/{id}/logout", auth: true, handler: s.agentAction(actLogout)},
		{method: "POST", path: "/api/agents/{id}/ready", auth: true, handler: s.agentAction(actReady)},
		{method: "POST", path: "/api/agents/{id}/not-ready", auth: true, handler: s.agentAction(actNotReady)},
		{method: "GET", path: "/api/queues", handler: s.listQueues},
		{method: "GET", path: "/api/calls", private: true, handler: s.listCalls},
		{method: "GET", path: "/api/reports/summary", private: true, handler: s.reportSummary},
		{method: "GET", path: "/api/reports/staffing", private: true, handler: s.reportStaffing},
		{method: "GET", path: "/api/reports/intervals", private: true, handler: s.reportIntervals},
		{method: "POST", path: "/api/flows/reload", auth: true, handler: s.reloadFlows},
		{method: "GET", path: "/api/events/stream", private: true, handler: s.stream},
		{method: "GET", path: "/openapi.json", handler: s.openAPI},
		{method: "GET", path: "/metrics", handler: s.metrics},
		{method: "GET", path: "/{$}", handler: s.wallboard},
		{method: "GET", path: "/assets/{file}", handler: s.asset, undocumented: true},
	}
}
