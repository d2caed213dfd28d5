package postgres

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/events"
)

const crashEnv = "SWITCHBOARD_PG_CRASH_URL"

// TestCrashKeepsAcknowledged re-runs this test binary as a child (a node)
// that streams events through a Writer into PostgreSQL and prints "ack N"
// after each Flush returns. The parent kills it with SIGKILL mid-stream:
// every acknowledged event must be in the database, each exactly once.
func TestCrashKeepsAcknowledged(t *testing.T) {
	if url := os.Getenv(crashEnv); url != "" {
		crashChild(url)
		return
	}
	if testing.Short() {
		t.Skip("spawns a child process")
	}
	url := pg.Database(t)
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashKeepsAcknowledged$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashEnv+"="+url)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	acked := 0
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if n, ok := strings.CutPrefix(sc.Text(), "ack "); ok {
			acked, _ = strconv.Atoi(n)
			if acked >= 20_000 {
				break // the child keeps writing: kill it mid-stream
			}
		}
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	if acked < 20_000 {
		t.Fatalf("child acknowledged only %d events before exiting", acked)
	}

	ctx := context.Background()
	s := openDB(t, url, Options{ReadOnly: true})
	seen := make(map[int]bool)
	err = s.Scan(ctx, time.Time{}, time.Time{}, func(e events.Event) error {
		i, err := strconv.Atoi(e.Data["i"])
		if err != nil {
			return fmt.Errorf("event %d: %w", e.Seq, err)
		}
		if seen[i] {
			return fmt.Errorf("event %d stored twice", i)
		}
		seen[i] = true
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for i := range acked {
		if !seen[i] {
			t.Fatalf("acknowledged event %d missing after kill -9 (acked %d, stored %d)", i, acked, len(seen))
		}
	}
	t.Logf("acknowledged %d, stored %d after SIGKILL", acked, len(seen))
}

func crashChild(url string) {
	ctx := context.Background()
	s, err := Open(ctx, url, Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	w := events.NewWriter(s, events.WriterConfig{Batch: 256})
	for i := 0; ; i++ {
		w.Emit(ctx, events.Event{Time: t0.Add(time.Duration(i) * time.Millisecond), CallID: "c" + strconv.Itoa(i/20),
			Type: events.IVRNode, Node: "menu", Data: map[string]string{"i": strconv.Itoa(i)}})
		if (i+1)%1000 == 0 {
			if err := w.Flush(ctx); err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(3)
			}
			fmt.Printf("ack %d\n", i+1)
		}
	}
}
