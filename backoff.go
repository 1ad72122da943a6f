package pelican

import (
	"math/rand/v2"
	"time"
)

// Backoff decides how long a failed message waits before its next
// delivery. attempt counts the failed deliveries so far: 1 after the first
// failure.
type Backoff interface {
	Delay(attempt int) time.Duration
}

// ExponentialBackoff doubles the delay after each failure: Base, 2×Base,
// 4×Base ... up to Max, each varied by ±Jitter (a fraction) so that
// messages that failed together do not come back together.
type ExponentialBackoff struct {
	// Base is the first delay. If zero, 1s is used.
	Base time.Duration
	// Max caps the delay. If zero, 1m is used.
	Max time.Duration
	// Jitter is the fraction by which a delay may vary either way, from 0
	// to 1. Zero means none.
	Jitter float64
}

// Delay returns the delay after the attempt-th failure.
func (b ExponentialBackoff) Delay(attempt int) time.Duration {
	base, maxd := b.Base, b.Max
	if base <= 0 {
		base = time.Second
	}
	if maxd <= 0 {
		maxd = time.Minute
	}
	d := base
	for i := 1; i < attempt && d < maxd; i++ {
		d *= 2
	}
	if d > maxd {
		d = maxd
	}
	if j := min(max(b.Jitter, 0), 1); j > 0 {
		d = time.Duration(float64(d) * (1 - j + 2*j*rand.Float64()))
	}
	return d
}

// Delays is a list of delays, one per attempt, the last repeating (like
// NATS JetStream's BackOff): Delays{time.Second, 10 * time.Second,
// time.Minute}.
type Delays []time.Duration

// Delay returns the delay after the attempt-th failure.
func (d Delays) Delay(attempt int) time.Duration {
	if len(d) == 0 {
		return 0
	}
	if attempt < 1 {
		attempt = 1
	}
	if attempt > len(d) {
		attempt = len(d)
	}
	return d[attempt-1]
}
