//go:build pelican_crashtest

package pelican

import (
	"os"
	"strconv"
	"sync/atomic"
	"syscall"
)

// Crash injection, compiled only with -tags pelican_crashtest: the
// process kills itself with SIGKILL, leaving everything as a power cut
// would, the PELICAN_CRASH_AFTER-th time (default the first) it reaches
// the step named by PELICAN_CRASH_AT. internal/crashtest uses it to crash
// a worker at every step of a message's life.
var (
	crashAt    = os.Getenv("PELICAN_CRASH_AT")
	crashAfter = func() int64 {
		n, err := strconv.ParseInt(os.Getenv("PELICAN_CRASH_AFTER"), 10, 64)
		if err != nil || n < 1 {
			return 1
		}
		return n
	}()
	crashHits atomic.Int64
)

func crashPoint(step string) {
	if step == crashAt && crashHits.Add(1) >= crashAfter {
		_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
		select {} // SIGKILL is not delivered synchronously: never go on
	}
}
