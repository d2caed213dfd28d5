package routing

import (
	"syscall"
	"time"
)

// processCPU is the CPU time the test process has used (all threads, GC
// included), so benchmarks can report CPU per operation on a shared,
// loaded machine where wall time says little.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
