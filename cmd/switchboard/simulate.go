package main

import (
	"context"
	"errors"
)

// runSimulate is being written; see the issue that owns this subcommand.
func runSimulate(ctx context.Context, m *Main, args []string) error {
	return errors.New("simulate: not implemented yet")
}
