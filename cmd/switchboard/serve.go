package main

import (
	"context"
	"errors"
)

// runServe is being written; see the issue that owns this subcommand.
func runServe(ctx context.Context, m *Main, args []string) error {
	return errors.New("serve: not implemented yet")
}
