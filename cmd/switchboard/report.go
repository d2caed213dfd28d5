package main

import (
	"context"
	"errors"
)

// runReport is being written; see the issue that owns this subcommand.
func runReport(ctx context.Context, m *Main, args []string) error {
	return errors.New("report: not implemented yet")
}
