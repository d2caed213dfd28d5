package main

import (
	"context"
	"errors"
)

// runLoadgen is being written; see the issue that owns this subcommand.
func runLoadgen(ctx context.Context, m *Main, args []string) error {
	return errors.New("loadgen: not implemented yet")
}
