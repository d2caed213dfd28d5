package testsvc

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// ErrPostgreSQLMissing means initdb or postgres is not installed (Debian's
// postgresql package puts them in /usr/lib/postgresql/VERSION/bin).
var ErrPostgreSQLMissing = errors.New("testsvc: PostgreSQL binaries (initdb, postgres) not found; apt-get install postgresql")

// PostgreSQLOptions tune a throw-away server.
type PostgreSQLOptions struct {
	// Fsync keeps fsync on, as a production server has it: benchmarks that
	// compare with SQLite's durable default set it. Tests leave it off.
	Fsync bool
}

// PostgreSQL is a running throw-away server: its own cluster in a
// temporary folder, trusting local connections, listening on 127.0.0.1 on
// a free port and on a socket in that folder.
type PostgreSQL struct {
	Dir  string // the temporary folder: data/, the socket, postgres.log
	Port int

	proc *process
	dbs  atomic.Int64
}

// URL is the connection URL of database db on the server.
func (p *PostgreSQL) URL(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", p.Port, db)
}

// postgresBinDir finds the newest /usr/lib/postgresql/*/bin holding initdb
// and postgres, or a PATH that has both.
func postgresBinDir() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return pgVersion(dirs[i]) > pgVersion(dirs[j]) })
	for _, d := range dirs {
		if isExec(filepath.Join(d, "initdb")) && isExec(filepath.Join(d, "postgres")) {
			return d, nil
		}
	}
	initdb, err1 := exec.LookPath("initdb")
	_, err2 := exec.LookPath("postgres")
	if err1 == nil && err2 == nil {
		return filepath.Dir(initdb), nil
	}
	return "", ErrPostgreSQLMissing
}

func pgVersion(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

func isExec(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}

// pgCredential is who runs the server: initdb and postgres refuse root, so
// as root they run as the postgres user the Debian package creates.
func pgCredential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("%w (running as root needs the postgres user: %v)", ErrPostgreSQLMissing, err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

// StartPostgreSQL creates a cluster in a new temporary folder and starts
// it. It returns ErrPostgreSQLMissing (wrapped) when the binaries are not
// installed. Stop it with Stop.
func StartPostgreSQL(ctx context.Context, opt PostgreSQLOptions) (*PostgreSQL, error) {
	bin, err := postgresBinDir()
	if err != nil {
		return nil, err
	}
	cred, err := pgCredential()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "switchboard-pg-")
	if err != nil {
		return nil, err
	}
	p := &PostgreSQL{Dir: dir}
	if cred != nil {
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
	}
	initdb := exec.CommandContext(ctx, filepath.Join(bin, "initdb"), "-D", filepath.Join(dir, "data"),
		"-U", "postgres", "--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync", "--no-instructions")
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if out, err := initdb.CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("initdb: %w\n%s", err, out)
	}
	if err := retryInUse(func() error { return p.start(ctx, bin, cred, opt) }); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return p, nil
}

func (p *PostgreSQL) start(ctx context.Context, bin string, cred *syscall.Credential, opt PostgreSQLOptions) error {
	port, err := probeLoopbackPort(false)
	if err != nil {
		return err
	}
	fsync := "off"
	if opt.Fsync {
		fsync = "on"
	}
	logPath := filepath.Join(p.Dir, "postgres.log")
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	defer logFile.Close()
	cmd := exec.Command(filepath.Join(bin, "postgres"), "-D", filepath.Join(p.Dir, "data"),
		"-p", strconv.Itoa(port),
		"-c", "listen_addresses=127.0.0.1",
		"-c", "unix_socket_directories="+p.Dir,
		"-c", "fsync="+fsync,
		"-c", "full_page_writes="+fsync,
		"-c", "max_connections=200",
		"-c", "logging_collector=off")
	cmd.Stdout, cmd.Stderr = logFile, logFile
	proc, err := startProcess(cmd, cred)
	if err != nil {
		return fmt.Errorf("start postgres: %w", err)
	}
	p.proc, p.Port = proc, port

	connect := func() error {
		cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		conn, err := pgx.Connect(cctx, p.URL("postgres"))
		cancel()
		if err == nil {
			conn.Close(ctx)
		}
		return err
	}
	log := func() string { b, _ := os.ReadFile(logPath); return string(b) }
	return proc.waitReady(ctx, "postgres", "not accepting connections", 60*time.Second, 50*time.Millisecond,
		connect, log, func() { p.Stop() })
}

// CreateDatabase creates a new, empty database and returns its URL.
func (p *PostgreSQL) CreateDatabase(ctx context.Context) (string, error) {
	name := "t" + strconv.FormatInt(p.dbs.Add(1), 10)
	conn, err := pgx.Connect(ctx, p.URL("postgres"))
	if err != nil {
		return "", err
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		return "", fmt.Errorf("create database: %w", err)
	}
	return p.URL(name), nil
}

// Stop shuts the server down (fast shutdown, then SIGKILL after 10 s) and
// removes its folder.
func (p *PostgreSQL) Stop() error {
	p.proc.stop(syscall.SIGINT, false) // fast shutdown: ends sessions, no wait for clients
	return os.RemoveAll(p.Dir)
}

// PostgreSQLForTest starts a server for this test, stopped when it ends.
func PostgreSQLForTest(t testing.TB, opt PostgreSQLOptions) *PostgreSQL {
	t.Helper()
	p, err := StartPostgreSQL(context.Background(), opt)
	if err != nil {
		unavailable(t, err, ErrPostgreSQLMissing)
	}
	t.Cleanup(func() { p.Stop() })
	return p
}

// SharedPostgreSQL is one server for a whole test package, started on
// first use; each test gets its own database on it. Call Stop from
// TestMain after m.Run.
type SharedPostgreSQL struct {
	Options PostgreSQLOptions

	once sync.Once
	srv  *PostgreSQL
	err  error
}

// Server starts the shared server on first use (skipping or failing the
// test when it cannot be had) and returns it.
func (s *SharedPostgreSQL) Server(t testing.TB) *PostgreSQL {
	t.Helper()
	s.once.Do(func() { s.srv, s.err = StartPostgreSQL(context.Background(), s.Options) })
	if s.err != nil {
		unavailable(t, s.err, ErrPostgreSQLMissing)
	}
	return s.srv
}

// Database returns the URL of a new, empty database on the shared server.
func (s *SharedPostgreSQL) Database(t testing.TB) string {
	t.Helper()
	url, err := s.Server(t).CreateDatabase(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return url
}

// Stop stops the shared server if it was started.
func (s *SharedPostgreSQL) Stop() {
	if s.srv != nil {
		s.srv.Stop()
	}
}
