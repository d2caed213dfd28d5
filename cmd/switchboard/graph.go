package main

import (
	"context"
	"errors"
)

// runGraph is being written; see the issue that owns this subcommand.
func runGraph(ctx context.Context, m *Main, args []string) error {
	return errors.New("graph: not implemented yet")
}
