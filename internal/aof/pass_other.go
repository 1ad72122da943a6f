//go:build !unix

package aof

import "errors"

// schedPass is unavailable here: leaders fsync without gathering.
type schedPass struct{}

func newSchedPass() (*schedPass, error) { return nil, errors.ErrUnsupported }

func (p *schedPass) wait() error { return errors.ErrUnsupported }

func (p *schedPass) close() {}
