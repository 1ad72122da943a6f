package pelican

import "time"

// Clock tells the time. Retry and claim decisions take the time from it,
// so tests can advance a clock instead of sleeping.
type Clock interface {
	Now() time.Time
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }
