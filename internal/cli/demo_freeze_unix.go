//go:build unix

package cli

import "syscall"

// freeze stops the process (SIGSTOP) so that what it holds can be read
// before it is killed, and reports whether it could.
func (p *demoProc) freeze() bool { return p.cmd.Process.Signal(syscall.SIGSTOP) == nil }

// thaw lets a frozen process go on (SIGCONT).
func (p *demoProc) thaw() { _ = p.cmd.Process.Signal(syscall.SIGCONT) }
