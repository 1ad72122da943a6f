package pelican

import (
	"context"
	"sync"
	"time"

	"github.com/pelicanhq/pelican/internal/rediserr"
)

// health tracks whether the worker can reach its server. Every part of
// the worker reports the outcome of its round trips; the first failure
// that says the server is unreachable (a network error, a timeout, a
// server that is loading or failing over) is logged as an error and
// counted as an outage, the ones after it are not, and the first success
// after it logs how long the outage lasted. Meanwhile the parts wait
// between attempts with backoff, doubling from 50ms to 5s, so that an
// outage is neither a crash nor a busy loop. Its lock is a leaf.
type health struct {
	w *Worker

	mu       sync.Mutex
	down     bool
	since    time.Time // when the outage began
	failures int       // consecutive failed reports
	lastErr  error
	back     time.Time // when the last outage ended

	// refused is when the server last refused one of the worker's own
	// writes (its heartbeat) for maxmemory. While it refuses them, every
	// worker's beat goes stale together, so beats say nothing about
	// liveness: the janitor waits (beatsTrustedFor).
	refused time.Time
}

const (
	minOutageBackoff = 50 * time.Millisecond
	maxOutageBackoff = 5 * time.Second
)

// report records the outcome of a round trip: nil for a success; an error
// that does not say the server is unreachable counts as a success (the
// server answered).
func (h *health) report(err error) {
	if err != nil && !isTransient(err) {
		err = nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if err == nil {
		if h.down {
			h.w.log.Info("pelican: the server is reachable again", "outage", time.Since(h.since).Round(time.Millisecond), "last_err", h.lastErr)
		}
		if h.down {
			h.back = time.Now()
		}
		h.down, h.failures, h.lastErr = false, 0, nil
		return
	}
	h.failures++
	h.lastErr = err
	if !h.down {
		h.down, h.since = true, time.Now()
		h.w.stats.outages.Add(1)
		h.w.log.Error("pelican: the server is unreachable; retrying with backoff until it is back (no message loses a delivery attempt meanwhile)", "err", err)
	}
}

// isDown reports whether the server is unreachable as far as the last
// reports tell.
func (h *health) isDown() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.down
}

// noteRefused records whether the server refused a heartbeat for
// maxmemory (err is the heartbeat's error, nil for a success).
func (h *health) noteRefused(err error) {
	if !rediserr.IsOutOfMemory(err) {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.refused.IsZero() {
		h.w.log.Warn("pelican: the server refuses writes for maxmemory: heartbeats cannot be written, and dead workers are not looked for until they can", "err", err)
	}
	h.refused = time.Now()
}

// beatsTrustedFor reports whether heartbeats have been written for at
// least d since the server last refused one for maxmemory (or never did):
// long enough for every live worker's beat to be fresh again.
func (h *health) beatsTrustedFor(d time.Duration) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.refused.IsZero() || time.Since(h.refused) >= d
}

// upFor reports whether the server has been reachable for at least d (or
// was never lost).
func (h *health) upFor(d time.Duration) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return !h.down && (h.back.IsZero() || time.Since(h.back) >= d)
}

// backoff returns how long to wait before the next attempt: the shortest
// backoff while the server is reachable, doubling with each failure.
func (h *health) backoff() time.Duration {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.failures == 0 {
		return minOutageBackoff
	}
	d := minOutageBackoff << min(h.failures-1, 10)
	return min(d, maxOutageBackoff)
}

// failed handles the error of a background loop's round trip (what it was
// doing): an unreachable server is an outage (see report), a lost group is
// created again, anything else is logged. Errors after ctx ended are the
// shutdown's, and ignored.
func (w *Worker) failed(ctx context.Context, what string, err error) {
	if err == nil || ctx.Err() != nil {
		return
	}
	w.health.report(err)
	switch {
	case isNoGroup(err):
		w.groups.recreate(ctx, err)
	case !isTransient(err):
		w.log.Warn("pelican: "+what+" failed", "err", err)
	}
}
