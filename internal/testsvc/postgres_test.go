package testsvc

import (
	"context"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"
)

// A throw-away server answers on its URL, gives each caller a separate
// database, and leaves nothing behind once stopped.
func TestPostgreSQLStartsAndStops(t *testing.T) {
	ctx := context.Background()
	p, err := StartPostgreSQL(ctx, PostgreSQLOptions{})
	if err != nil {
		unavailable(t, err, ErrPostgreSQLMissing)
	}
	a, err := p.CreateDatabase(ctx)
	if err != nil {
		t.Fatal(err)
	}
	b, err := p.CreateDatabase(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if a == b {
		t.Fatalf("two databases share the URL %s", a)
	}
	conn, err := pgx.Connect(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	var fsync, listen string
	if err := conn.QueryRow(ctx, "SELECT current_setting('fsync'), current_setting('listen_addresses')").Scan(&fsync, &listen); err != nil {
		t.Fatal(err)
	}
	conn.Close(ctx)
	if fsync != "off" || listen != "127.0.0.1" {
		t.Errorf("fsync=%s listen_addresses=%s; want off, 127.0.0.1", fsync, listen)
	}
	if err := p.Stop(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.proc.exited:
	default:
		t.Error("server process still running after Stop")
	}
	if _, err := os.Stat(p.Dir); !os.IsNotExist(err) {
		t.Errorf("folder %s still there after Stop (%v)", p.Dir, err)
	}
	if _, err := pgx.Connect(ctx, a); err == nil {
		t.Error("connected after Stop")
	}
}
