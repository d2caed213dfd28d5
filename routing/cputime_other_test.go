//go:build !linux

package routing

import "time"

func processCPU() time.Duration { return 0 }
