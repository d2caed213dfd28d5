// Package httpapi serves Switchboard to people and programs over HTTP: the
// agent and supervisor JSON API (login, logout, ready, not-ready), live skill
// groups and calls, reports and staffing, flow reload, an OpenAPI 3.1
// document, Prometheus metrics, and the wallboard — one page embedded in the
// binary that updates itself over server-sent events.
//
// The package owns the small interfaces it consumes (Agents, Queues, Calls,
// Reports, FlowReloader, Updates; see deps.go). It knows neither the ACD nor
// the metrics engine: cmd/switchboard adapts routing, metrics and flows to
// these interfaces, so httpapi is tested with hand-written fakes. Two
// sources it provides itself, both events.Sinks to wire behind the event
// log: Notifier (changes → wallboard pushes) and CallTracker (live calls
// from call.start to call.end).
//
// Invariants:
//   - Every request that changes state (every POST) must carry the configured
//     bearer token; with no token configured those endpoints answer 403 and
//     change nothing. Read-only endpoints are open.
//   - Every error response under /api is JSON {"error": "..."} with a 4xx or
//     5xx status; request bodies are decoded strictly (unknown fields, trailing
//     data and oversized bodies are rejected before any state changes).
//   - The route table in routes.go is the single list of endpoints: the mux is
//     built from it and a test holds it equal to openapi.json.
//   - The wallboard needs no internet: its HTML, CSS and JS are embedded and
//     reference nothing outside this server.
package httpapi
