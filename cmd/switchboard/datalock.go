package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// dataLockName is the lock file serve holds in its data folder: two serve
// processes on one folder would both write the event log.
const dataLockName = "switchboard.lock"

// lockDataDir takes an exclusive lock on dir (flock on dir/switchboard.lock,
// released by the kernel when the process ends, even by a crash) and records
// this process's pid in it. It fails, naming the folder and the holder's
// pid, when another process holds the lock.
func lockDataDir(dir string) (release func(), err error) {
	path := filepath.Join(dir, dataLockName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("data folder lock: %w", err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		pid, _ := os.ReadFile(path)
		f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			holder := "another process"
			if p := strings.TrimSpace(string(pid)); p != "" {
				holder = "process " + p
			}
			return nil, fmt.Errorf("data folder %s is in use by %s (lock %s): one serve per data folder", dir, holder, path)
		}
		return nil, fmt.Errorf("data folder lock %s: %w", path, err)
	}
	if err := f.Truncate(0); err == nil {
		f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return func() {
		f.Truncate(0)
		unix.Flock(int(f.Fd()), unix.LOCK_UN)
		f.Close()
	}, nil
}
