package pelican

import (
	"context"
	"fmt"
	"time"
)

// The watchdog gives up on handlers that do not return. A handler's
// context ends at HandlerTimeout, and one that honours it returns then;
// one that does not (a deadlock, a call with no timeout) would hold its
// message and its lane forever. Past its time limit and a short grace (a
// tenth of the limit, at most a second), the watchdog abandons it: its
// message counts as a failed attempt of class timeout (retried, then
// dead-lettered), is released so that heartbeats stop covering it, and a
// new lane takes the handler's slot. The abandoned goroutine is counted
// (WorkerStats.Abandoned) and logged; whatever it returns, if it ever
// does, is ignored, and in exactly-once mode its transaction is not
// committed.
type watchdog struct {
	w *Worker
}

// abandonGrace is how long past its time limit a handler may take to
// return before it is abandoned.
func abandonGrace(timeout time.Duration) time.Duration {
	return min(max(timeout/10, 10*time.Millisecond), time.Second)
}

// run checks the lanes until ctx ends. New lanes run under work.
func (d *watchdog) run(ctx, work context.Context) {
	w := d.w
	limit := w.cfg.HandlerTimeout + abandonGrace(w.cfg.HandlerTimeout)
	t := time.NewTicker(min(max(w.cfg.HandlerTimeout/4, 10*time.Millisecond), time.Second))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now := w.sinceEpoch()
		for _, l := range d.lanes() {
			m := l.current.Load()
			if m != nil && now-time.Duration(l.started.Load()) > limit {
				d.abandon(work, l, m)
			}
		}
	}
}

func (d *watchdog) lanes() []*lane {
	p := d.w.processor
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]*lane(nil), p.lanes...)
}

// abandon gives up on the handler lane l runs for m, if it still runs.
func (d *watchdog) abandon(work context.Context, l *lane, m *Message) {
	w := d.w
	if !l.current.CompareAndSwap(m, nil) {
		return // it returned meanwhile
	}
	l.abandoned.Store(true)
	// What the lane processed before is settled: it will not hand it over.
	w.settler.processed(l.take())
	n := w.stats.abandoned.Add(1)
	err := abandonedError{w.cfg.HandlerTimeout}
	w.log.Error("pelican: abandoned a handler that did not return after its time limit; its goroutine keeps running, and the message counts as a failed attempt",
		"id", m.ID, "deliveries", m.Deliveries, "handler_timeout", w.cfg.HandlerTimeout, "abandoned_goroutines", n)
	w.stats.failed.Add(1)
	w.fail(m, ClassTimeout, err, 0)
	w.processor.replace(work, l, m.suspect)
}

// abandonedError is the failure of a handler abandoned past its time
// limit.
type abandonedError struct{ timeout time.Duration }

func (e abandonedError) Error() string {
	return fmt.Sprintf("the handler did not return within HandlerTimeout (%v) and was abandoned", e.timeout)
}
