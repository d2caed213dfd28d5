package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/events"
	"github.com/switchboard-cc/switchboard/internal/testsvc"
	"github.com/switchboard-cc/switchboard/routing/redisstate"
	"github.com/switchboard-cc/switchboard/sip/siptest"
)

// TestMain lets a test start the test binary itself as `switchboard serve`
// in a process of its own (SWITCHBOARD_TEST_RUN=1), so it can be killed
// with SIGKILL like a real node.
func TestMain(m *testing.M) {
	if os.Getenv("SWITCHBOARD_TEST_RUN") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// serveProcess starts serve in a process of its own and waits until it
// answers SIP.
func serveProcess(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{"serve"}, args...)...)
	cmd.Env = append(os.Environ(), "SWITCHBOARD_TEST_RUN=1", "SWITCHBOARD_TOKEN=test-token")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(t.TempDir(), "serve.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		logFile.Close()
		if t.Failed() {
			b, _ := os.ReadFile(logPath)
			t.Logf("serve %v log:\n%s", args, b)
		}
	})
	ready := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(out)
		said := false
		for sc.Scan() {
			if !said && strings.HasPrefix(sc.Text(), "Switchboard is answering SIP") {
				said = true
				ready <- true
			}
		}
		if !said {
			ready <- false
		}
	}()
	select {
	case ok := <-ready:
		if !ok {
			t.Fatalf("serve %v exited before ready", args)
		}
	case <-time.After(60 * time.Second):
		t.Fatalf("serve %v not ready after 60s", args)
	}
	return cmd
}

// Three serve --cluster processes behind the deploy Kamailio config:
// callers dialling Kamailio are answered by the nodes in turn; after one
// node is killed with SIGKILL every new call is still answered (Kamailio
// fails over, then its probe takes the node out) and the other nodes
// declare it dead in Redis within the bound.
func TestClusterBehindKamailio(t *testing.T) {
	if testing.Short() {
		t.Skip("three serve processes")
	}
	r := testsvc.RedisForTest(t)
	dir := testConfigDir(t)
	var nodes []string
	for range 3 {
		p, err := testsvc.FreeSIPPort()
		if err != nil {
			t.Fatal(err)
		}
		nodes = append(nodes, "127.0.0.1:"+strconv.Itoa(p))
	}
	k := testsvc.KamailioForTest(t, testsvc.KamailioOptions{
		Config: "../../deploy/kamailio/kamailio.cfg", Nodes: nodes, Defines: []string{"DS_PING_INTERVAL=1"}})
	var procs []*exec.Cmd
	var datas []string
	for _, addr := range nodes {
		data := t.TempDir()
		datas = append(datas, data)
		procs = append(procs, serveProcess(t, "--config", filepath.Join(dir, "switchboard.yaml"),
			"--sip", addr, "--http", "127.0.0.1:0", "--data", data, "--log-level", "warn",
			"--cluster", r.URL()))
	}
	// starts is how many calls a node's own event log has (it is
	// written in batches, so poll).
	starts := func(data string) int {
		n := 0
		for _, e := range readEvents(t, data) {
			if e.Type == events.CallStart {
				n++
			}
		}
		return n
	}
	waitStarts := func(data string, want int) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for starts(data) < want {
			if time.Now().After(deadline) {
				t.Fatalf("%s: %d calls; want %d", data, starts(data), want)
			}
			time.Sleep(50 * time.Millisecond) // the writer's batch period
		}
	}
	if err := k.WaitDispatching(context.Background(), 30*time.Second); err != nil {
		t.Fatal(err)
	}
	store, err := redisstate.Dial(context.Background(), r.URL(), redisstate.Options{Node: "probe"})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if ns, err := store.Nodes(context.Background()); err != nil || len(ns) != 3 {
		t.Fatalf("nodes in Redis: %v, %v; want 3", ns, err)
	}

	phone, err := siptest.NewPhone(siptest.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer phone.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	call := func(n int) {
		t.Helper()
		c, err := phone.Dial(ctx, "sip:96069@"+k.Addr(), siptest.DialOptions{From: fmt.Sprintf("1380013800%d", n)})
		if err != nil {
			t.Fatalf("call %d through Kamailio: %v", n, err)
		}
		if !c.WaitFrames(5, 10*time.Second) {
			t.Fatalf("call %d: no prompt audio from the node", n)
		}
		c.Close()
	}
	for n := range 3 {
		call(n)
	}
	for _, d := range datas { // round robin: one call each
		waitStarts(d, 1)
	}
	procs[0].Process.Signal(syscall.SIGKILL)
	killed := time.Now()
	for n := 3; n < 9; n++ {
		call(n)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		ns, err := store.Nodes(context.Background())
		if err == nil && len(ns) == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the killed node is still in Redis: %v, %v", ns, err)
		}
		time.Sleep(50 * time.Millisecond) // polling Redis
	}
	if a, b := starts(datas[1]), starts(datas[2]); a+b != 1+1+6 || a < 3 || b < 3 {
		t.Errorf("calls after the kill: %d and %d on the live nodes; want all 6 spread over both", a-1, b-1)
	}
	if n := starts(datas[0]); n != 1 {
		t.Errorf("the killed node logged %d calls; want 1", n)
	}
	t.Logf("killed node declared dead %v after SIGKILL", time.Since(killed).Round(time.Millisecond))
}
