//go:build unix

package pelican

import (
	"errors"
	"os"
	"syscall"
)

// processExists reports whether a process with this PID exists in this
// PID namespace (it may belong to another user).
func processExists(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// pidNamespace identifies this process's PID namespace ("pid:[4026531836]"
// on Linux), "" where the system does not say: PIDs are only compared
// within one.
func pidNamespace() string {
	ns, err := os.Readlink("/proc/self/ns/pid")
	if err != nil {
		return ""
	}
	return ns
}
