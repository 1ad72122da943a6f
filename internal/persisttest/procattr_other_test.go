//go:build !linux

package persisttest

import "os/exec"

// setParentDeathSignal does nothing where the kernel offers no parent-death
// signal; the test's cleanups stop the processes.
func setParentDeathSignal(cmd *exec.Cmd) {}
