//go:build !unix

package engine

import "time"

// cpuTimes returns zero where the process's CPU time is not available.
func cpuTimes() (sys, user time.Duration) { return 0, 0 }
