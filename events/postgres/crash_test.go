package postgres

import (
	"context"
	"os"
	"testing"

	"github.com/switchboard-cc/switchboard/events"
	"github.com/switchboard-cc/switchboard/events/eventstest"
)

const crashEnv = "SWITCHBOARD_PG_CRASH_URL"

// TestCrashKeepsAcknowledged re-runs this test binary as a child (a node)
// that streams events through a Writer into PostgreSQL and prints "ack N"
// after each Flush returns. The parent kills it with SIGKILL mid-stream:
// every acknowledged event must be in the database, each exactly once.
func TestCrashKeepsAcknowledged(t *testing.T) {
	if url := os.Getenv(crashEnv); url != "" {
		eventstest.CrashChild(context.Background(), func(ctx context.Context) (events.Store, error) {
			return Open(ctx, url, Options{})
		})
		return
	}
	if testing.Short() {
		t.Skip("spawns a child process")
	}
	url := pg.Database(t)
	acked := eventstest.KillMidStream(t, "TestCrashKeepsAcknowledged", crashEnv, url)
	eventstest.CheckAcknowledged(t, openDB(t, url, Options{ReadOnly: true}), acked, true)
}
