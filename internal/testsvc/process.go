package testsvc

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// What every starter shares: a server process in its own process group
// that dies with the test binary, a probed free loopback port (retried
// when taken before the server binds it), a wait until the server answers,
// and a stop that escalates to SIGKILL.

// process is one running server process.
type process struct {
	cmd    *exec.Cmd
	exited chan struct{} // closed when the process has exited
}

// startProcess starts cmd in its own process group, killed with the test
// binary even when that is killed, running as cred when it is not nil.
func startProcess(cmd *exec.Cmd, cred *syscall.Credential) (*process, error) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Pdeathsig: syscall.SIGKILL, Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &process{cmd: cmd, exited: make(chan struct{})}
	go func() { cmd.Wait(); close(p.exited) }()
	return p, nil
}

// waitReady polls ready until it returns nil, pausing between tries. It
// fails when the process exits first (with its log), when ctx ends or once
// timeout has passed, and then calls stop (not when the process exited:
// there is nothing to stop, the starter removes the folder).
func (p *process) waitReady(ctx context.Context, name, notReady string, timeout, pause time.Duration,
	ready func() error, log func() string, stop func()) error {
	deadline := time.Now().Add(timeout)
	for {
		err := ready()
		if err == nil {
			return nil
		}
		select {
		case <-p.exited:
			return fmt.Errorf("%s exited at start: %s", name, log())
		case <-ctx.Done():
			stop()
			return ctx.Err()
		case <-time.After(pause):
		}
		if time.Now().After(deadline) {
			log := log()
			stop()
			return fmt.Errorf("%s %s after %ds: %w\n%s", name, notReady, int(timeout.Seconds()), err, log)
		}
	}
}

// stop sends sig, to the whole process group when group is set, waits up
// to 10 s for the process to exit and kills it (or its group) after that.
// A group is killed once more at the end, for workers that outlived the
// main process. A nil process (never started) is a no-op.
func (p *process) stop(sig syscall.Signal, group bool) {
	if p == nil {
		return
	}
	pid := p.cmd.Process.Pid
	kill := func(sig syscall.Signal) {
		if group {
			syscall.Kill(-pid, sig)
		} else {
			p.cmd.Process.Signal(sig)
		}
	}
	kill(sig)
	select {
	case <-p.exited:
	case <-time.After(10 * time.Second):
		kill(syscall.SIGKILL)
		<-p.exited
	}
	if group {
		syscall.Kill(-pid, syscall.SIGKILL)
	}
}

// retryInUse runs start up to five times while it fails with an address
// in use: a probed port can be taken before the server binds it.
func retryInUse(start func() error) error {
	for attempt := 0; ; attempt++ {
		err := start()
		if err == nil || attempt == 4 || !strings.Contains(err.Error(), "in use") {
			return err
		}
	}
}

// unavailable skips the test when a server cannot be had because it is not
// installed (missing), except under SWITCHBOARD_E2E=1, where it fails like
// any other start error.
func unavailable(t testing.TB, err, missing error) {
	t.Helper()
	if errors.Is(err, missing) && os.Getenv("SWITCHBOARD_E2E") != "1" {
		t.Skip(err)
	}
	t.Fatal(err)
}

// probeLoopbackPort finds a port free on 127.0.0.1 for TCP, and for UDP
// too when udp is set (a SIP server listens on both).
func probeLoopbackPort(udp bool) (int, error) {
	for attempt := 0; attempt < 20; attempt++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		port := ln.Addr().(*net.TCPAddr).Port
		if !udp {
			ln.Close()
			return port, nil
		}
		pc, err := net.ListenPacket("udp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		ln.Close()
		if err == nil {
			pc.Close()
			return port, nil
		}
	}
	return 0, errors.New("testsvc: no loopback port free for both TCP and UDP")
}
