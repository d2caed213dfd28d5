package main

import (
	"context"
	"errors"
)

// runValidate is being written; see the issue that owns this subcommand.
func runValidate(ctx context.Context, m *Main, args []string) error {
	return errors.New("validate: not implemented yet")
}
