//go:build !linux

package crashtest

import "os/exec"

// setParentDeathSignal does nothing where the kernel has no parent death
// signal; the test's cleanup still stops every process it started.
func setParentDeathSignal(cmd *exec.Cmd) {}
