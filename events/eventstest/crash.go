package eventstest

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

// The kill -9 test every durable store runs: the test binary re-runs one
// of its tests as a child that streams numbered events through a Writer
// (CrashChild), the parent kills it mid-stream (KillMidStream) and checks
// that the store holds every acknowledged event (CheckAcknowledged).

// crashAcks is how many acknowledged events the parent waits for before
// it kills the child.
const crashAcks = 20_000

// KillMidStream re-runs this test binary's test (a name for -test.run) as
// a child with env set to value, reads the "ack N" lines CrashChild
// prints, kills the child with SIGKILL once it acknowledged crashAcks
// events, and returns how many it acknowledged.
func KillMidStream(t *testing.T, test, env, value string) int {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+test+"$", "-test.count=1")
	cmd.Env = append(os.Environ(), env+"="+value)
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
			if acked >= crashAcks {
				break // the child keeps writing: kill it mid-stream
			}
		}
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	if acked < crashAcks {
		t.Fatalf("child acknowledged only %d events before exiting", acked)
	}
	return acked
}

// CrashChild is the child's side: it opens the store, streams events
// numbered by Data "i" through a Writer into it and prints "ack N" after
// each Flush returns, until it is killed. It never returns; an error exits
// with status 3.
func CrashChild(ctx context.Context, open func(context.Context) (events.Store, error)) {
	s, err := open(ctx)
	if err != nil {
		crashExit(err)
	}
	w := events.NewWriter(s, events.WriterConfig{Batch: 256})
	for i := 0; ; i++ {
		w.Emit(ctx, events.Event{Time: t0.Add(time.Duration(i) * time.Millisecond), CallID: "c" + strconv.Itoa(i/20),
			Type: events.IVRNode, Node: "menu", Data: map[string]string{"i": strconv.Itoa(i)}})
		if (i+1)%1000 == 0 {
			if err := w.Flush(ctx); err != nil {
				crashExit(err)
			}
			fmt.Printf("ack %d\n", i+1)
		}
	}
}

func crashExit(err error) {
	fmt.Fprintln(os.Stderr, err)
	os.Exit(3)
}

// CheckAcknowledged fails t unless r holds each of the first acked events
// CrashChild wrote; with once, also if it holds any of them twice.
func CheckAcknowledged(t *testing.T, r events.Reader, acked int, once bool) {
	t.Helper()
	seen := make(map[int]bool)
	err := r.Scan(context.Background(), time.Time{}, time.Time{}, func(e events.Event) error {
		i, err := strconv.Atoi(e.Data["i"])
		if err != nil {
			return fmt.Errorf("event %d: %w", e.Seq, err)
		}
		if once && seen[i] {
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
