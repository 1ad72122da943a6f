//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package vfs

import (
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"
	"time"
)

// lockSettle is how long a lock held by someone else is awaited before
// Lock reports ErrLocked (see lockFile).
const lockSettle = 250 * time.Millisecond

// lockFile takes a non-blocking exclusive flock(2) on name. On Linux a
// flock belongs to the open file description, so a second open of the
// same file, even in the same process, conflicts with the first.
//
// A lock just released can look held for a moment: a child process
// forked (by any goroutine) while the holder's descriptor was open shares
// its open file description until it execs, which closes it. So a
// conflict is retried for up to lockSettle before it counts.
func lockFile(name string) (io.Closer, error) {
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("vfs: lock: %w", err)
	}
	deadline := time.Now().Add(lockSettle)
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("vfs: lock %s: %w by another process or another open of the same directory", name, ErrLocked)
		}
		return nil, fmt.Errorf("vfs: lock %s: %w", name, err)
	}
	return f, nil // closing the descriptor releases the lock
}
