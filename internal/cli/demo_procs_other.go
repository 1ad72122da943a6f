//go:build !linux

package cli

import "os/exec"

// setParentDeathSignal does nothing where the kernel has no parent-death
// signal: the demo stops its workers itself on every way out it controls.
func setParentDeathSignal(cmd *exec.Cmd) {}
