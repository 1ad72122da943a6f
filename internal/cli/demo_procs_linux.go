package cli

import (
	"os/exec"
	"syscall"
)

// setParentDeathSignal makes the kernel kill a worker process if the demo
// dies without stopping it (killed itself, say).
func setParentDeathSignal(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
