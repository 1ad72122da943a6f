//go:build !unix

package cli

// freeze cannot stop a process here: the demo kills it without freezing
// it first.
func (p *demoProc) freeze() bool { return false }

// thaw does nothing here.
func (p *demoProc) thaw() {}
