package main

import (
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestDataDirLockRefusesSecondServe: a second serve on the same data
// folder is refused with the folder and the holder's pid; once the first
// lets go, the folder can be taken again.
func TestDataDirLockRefusesSecondServe(t *testing.T) {
	dir := t.TempDir()
	release, err := lockDataDir(dir)
	if err != nil {
		t.Fatalf("first lock: %v", err)
	}
	_, err = lockDataDir(dir)
	if err == nil || !strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), "process "+strconv.Itoa(os.Getpid())) {
		t.Fatalf("second lock: %v; want an error naming %s and pid %d", err, dir, os.Getpid())
	}
	release()
	again, err := lockDataDir(dir)
	if err != nil {
		t.Fatalf("lock after release: %v", err)
	}
	again()
}
