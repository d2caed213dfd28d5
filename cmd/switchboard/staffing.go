package main

import (
	"context"
	"errors"
)

// runStaffing is being written; see the issue that owns this subcommand.
func runStaffing(ctx context.Context, m *Main, args []string) error {
	return errors.New("staffing: not implemented yet")
}
