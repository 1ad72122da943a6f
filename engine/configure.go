package engine

import (
	"errors"
	"fmt"
	"strings"
)

// ErrUnknownSetting is returned by Configure for a name CONFIG SET does
// not know.
var ErrUnknownSetting = errors.New("unknown setting")

// Configure sets one setting as CONFIG SET would, for a configuration
// file read at start. A setting that cannot change (databases, say) is
// accepted when given the value it has.
func (e *Engine) Configure(name, value string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	p := lookupConfig([]byte(name))
	if p == nil {
		return fmt.Errorf("%w %q", ErrUnknownSetting, name)
	}
	if strings.EqualFold(p.get(e), value) {
		return nil
	}
	if p.set == nil {
		return fmt.Errorf("%s: %s", p.name, errImmutable)
	}
	apply, msg := p.set(e, []byte(value))
	if msg != "" {
		return fmt.Errorf("%s: %s", p.name, msg)
	}
	apply()
	return nil
}
