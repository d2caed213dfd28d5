package ivr

import (
	"context"
	"time"
)

// Lookuper performs a self-service lookup (the lookup node). The lookup
// package implements it over HTTP.
type Lookuper interface {
	Lookup(ctx context.Context, req LookupRequest) (map[string]string, error)
}

// LookupRequest is a rendered lookup node.
type LookupRequest struct {
	Method  string
	URL     string
	Headers map[string]string
	Body    string
	Timeout time.Duration
}
