package pelican

import (
	"sync/atomic"
	"time"
)

// A worker measures itself as it goes, cheaply enough for the hot path:
// its counters (workerStats) and the durations of its handlers
// (durationHistogram) are atomics that lanes add to without a lock.
// Worker.Metrics reads them; package monitor's WorkerCollector exports
// them to Prometheus, so that this package needs no metrics library.

// handlerDurationBounds are the upper bounds of the buckets of the
// handler-duration histogram: from half a millisecond (a handler that
// does nothing much on the embedded engine) to a minute.
var handlerDurationBounds = [...]time.Duration{
	500 * time.Microsecond, time.Millisecond, 2500 * time.Microsecond, 5 * time.Millisecond,
	10 * time.Millisecond, 25 * time.Millisecond, 50 * time.Millisecond, 100 * time.Millisecond,
	250 * time.Millisecond, 500 * time.Millisecond, time.Second, 2500 * time.Millisecond,
	5 * time.Second, 10 * time.Second, 30 * time.Second, time.Minute,
}

// durationHistogram counts durations in the buckets of
// handlerDurationBounds, lock-free. counts[i] holds the durations at most
// handlerDurationBounds[i] (and above the bound before); the last, those
// above every bound. A reader may see an observation in its bucket before
// its sum, or the reverse: the snapshot is consistent to within the
// observations under way.
type durationHistogram struct {
	counts [len(handlerDurationBounds) + 1]atomic.Uint64
	sum    atomic.Int64 // nanoseconds
}

// observe adds d.
func (h *durationHistogram) observe(d time.Duration) {
	i := 0
	for i < len(handlerDurationBounds) && d > handlerDurationBounds[i] {
		i++
	}
	h.counts[i].Add(1)
	h.sum.Add(int64(d))
}

// snapshot returns the histogram's state.
func (h *durationHistogram) snapshot() DurationHistogram {
	s := DurationHistogram{
		Bounds: append([]time.Duration(nil), handlerDurationBounds[:]...),
		Counts: make([]uint64, len(h.counts)),
		Sum:    time.Duration(h.sum.Load()),
	}
	for i := range h.counts {
		s.Counts[i] = h.counts[i].Load()
	}
	return s
}

// DurationHistogram is a histogram of durations.
type DurationHistogram struct {
	// Bounds are the buckets' upper bounds, ascending.
	Bounds []time.Duration
	// Counts has one more element than Bounds: Counts[i] counts the
	// durations at most Bounds[i] and above Bounds[i-1] (not cumulative),
	// and the last those above every bound.
	Counts []uint64
	// Sum is the durations' total.
	Sum time.Duration
}

// Count returns the number of durations in the histogram.
func (h DurationHistogram) Count() uint64 {
	var n uint64
	for _, c := range h.Counts {
		n += c
	}
	return n
}

// WorkerMetrics are what a worker measured of itself since it was
// created, for monitoring (see Worker.Metrics).
type WorkerMetrics struct {
	// Stream and Group say what the worker consumes (Worker.Consumer
	// says as whom, once it runs).
	Stream, Group string
	// Stats are the worker's counters: processed, failed, dead-lettered,
	// given back and the others (the same as Worker.Stats).
	Stats WorkerStats
	// Deliveries counts the messages the worker took up to handle: read,
	// retried, claimed or recovered. A message delivered again counts
	// again.
	Deliveries int64
	// Claimed counts the messages the worker took over from other
	// consumers of its group: by its claim pass (XCLAIM), and by reads
	// that claim (XREADGROUP CLAIM).
	Claimed int64
	// Retried counts the failed deliveries that were scheduled for
	// another attempt (Stats.Failed less those that were the last).
	Retried int64
	// Panics counts the handlers (or middleware) that panicked; each is
	// also a failed delivery.
	Panics int64
	// HandlersRunning is how many handlers run now, and Held how many
	// messages the worker holds now: read or claimed and not yet settled,
	// those waiting for a lane included.
	HandlersRunning, Held int
	// HandlerDurations is the histogram of the handlers' run times.
	// Handlers the watchdog abandoned are left out (WorkerStats.Abandoned
	// counts them).
	HandlerDurations DurationHistogram
}

// Metrics returns what the worker measured of itself. It is cheap (a few
// atomic loads and two short locks) and may be called at any time, while
// the worker runs or after.
func (w *Worker) Metrics() WorkerMetrics {
	w.processor.mu.Lock()
	running := w.processor.running
	w.processor.mu.Unlock()
	return WorkerMetrics{
		Stream: w.cfg.Stream, Group: w.cfg.Group,
		Stats:            w.Stats(),
		Deliveries:       w.stats.deliveries.Load(),
		Claimed:          w.stats.claimed.Load(),
		Retried:          w.stats.retried.Load(),
		Panics:           w.stats.panics.Load(),
		HandlersRunning:  running,
		Held:             w.inflight.len(),
		HandlerDurations: w.handlerTimes.snapshot(),
	}
}
