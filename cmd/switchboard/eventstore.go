package main

import (
	"context"
	"fmt"

	"github.com/switchboard-cc/switchboard/events"
	"github.com/switchboard-cc/switchboard/events/postgres"
	"github.com/switchboard-cc/switchboard/events/sqlite"
)

// eventLog is the store serve writes every event to and reports read.
type eventLog interface {
	events.Store
	events.Reader
	events.Counter
	Close() error
}

// openEventLog opens the event log at where: a postgres:// (or
// postgresql://) URL is a cluster's shared PostgreSQL database; anything
// else is a data folder holding events.db (SQLite, one node). readOnly
// opens an existing log for reports.
func openEventLog(ctx context.Context, where string, readOnly bool) (eventLog, error) {
	if postgres.IsURL(where) {
		st, err := postgres.Open(ctx, where, postgres.Options{ReadOnly: readOnly})
		if err != nil {
			return nil, err
		}
		return st, nil
	}
	st, err := sqlite.OpenDir(ctx, where, sqlite.Options{ReadOnly: readOnly})
	if err != nil {
		if readOnly {
			return nil, fmt.Errorf("no event store in %s (serve --data %s writes one, or pass --jsonl FILE): %w", where, where, err)
		}
		return nil, err
	}
	return st, nil
}

// eventStore is where serve keeps the event log: events.store when set (a
// cluster's PostgreSQL), else the data folder.
func (c *Config) eventStore() string {
	if c.Events.Store != "" {
		return c.Events.Store
	}
	return c.Data
}
