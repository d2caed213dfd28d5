// Package lookup is the HTTP adapter behind the flow language's lookup node:
// it implements ivr.Lookuper with net/http. A lookup is one request with a
// deadline (the node's timeout); a 2xx answer whose body is a JSON object
// becomes flow variables, nested objects and arrays flattened to dotted keys
// ({"outage": {"eta": 4}} -> "outage.eta" = "4"). Anything else is an error,
// and the flow takes the node's on_error branch.
//
// Invariants: Lookup never outlives its context or the request's timeout;
// it reads at most Config.MaxBody bytes; it never follows a redirect to a
// different scheme than http or https; numbers keep their JSON spelling.
package lookup
