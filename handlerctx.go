package pelican

import (
	"context"
	"sync"
	"time"
)

// handlerContext is the context a handler runs under: its parent's values
// and cancellation, HandlerTimeout's deadline, and cancellation once the
// handler has returned, as context.WithTimeout would give. Unlike
// context.WithTimeout it arms no timer and registers with no parent until
// something asks for Done: most handlers of a busy stream finish without
// doing so, and a timer per message would cost as much as the rest of the
// worker's per-message work.
type handlerContext struct {
	context.Context // the parent
	deadline        time.Time
	// base and limit say the same as deadline as an offset from a time
	// with a monotonic reading: time.Since(base) reads one clock where
	// time.Now reads two, and a busy worker asks millions of times.
	base  time.Time
	limit time.Duration

	mu   sync.Mutex
	done chan struct{} // made by the first Done
	err  error         // set once: the reason the context ended
	stop []func() bool // stop the timer and the parent's AfterFunc
}

// newHandlerContext returns the context of a handler starting now, with
// time limit timeout. base is a time.Now with a monotonic reading (the
// worker's epoch): now is read as base plus the monotonic time since.
func newHandlerContext(parent context.Context, timeout time.Duration, base time.Time) *handlerContext {
	c := new(handlerContext)
	c.init(parent, timeout, base, time.Since(base))
	return c
}

// init sets up a zero handlerContext as newHandlerContext does for a
// handler that started at start (time.Since(base) then), so that a
// batch's contexts can be allocated together and the caller's reading of
// the clock serves twice.
func (c *handlerContext) init(parent context.Context, timeout time.Duration, base time.Time, start time.Duration) {
	limit := start + timeout
	if d, ok := parent.Deadline(); ok {
		limit = min(limit, d.Sub(base))
	}
	c.Context, c.deadline, c.base, c.limit = parent, base.Add(limit), base, limit
}

// Deadline returns the earlier of the handler's and the parent's deadline.
func (c *handlerContext) Deadline() (time.Time, bool) { return c.deadline, true }

// Done returns a channel closed when the context ends, arming what closes
// it on the first call.
func (c *handlerContext) Done() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.done != nil {
		return c.done
	}
	c.done = make(chan struct{})
	if c.err == nil {
		c.err = c.check()
	}
	if c.err != nil {
		close(c.done)
		return c.done
	}
	timer := time.AfterFunc(time.Until(c.deadline), func() { c.end(context.DeadlineExceeded) })
	parent := context.AfterFunc(c.Context, func() { c.end(c.Context.Err()) })
	c.stop = []func() bool{timer.Stop, parent}
	return c.done
}

// Err returns nil while the context lives, and why it ended afterwards.
func (c *handlerContext) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err == nil {
		if err := c.check(); err != nil {
			c.endLocked(err)
		}
	}
	return c.err
}

// check reports whether the parent ended or the deadline passed.
func (c *handlerContext) check() error {
	if err := c.Context.Err(); err != nil {
		return err
	}
	if time.Since(c.base) >= c.limit {
		return context.DeadlineExceeded
	}
	return nil
}

// end ends the context with err, unless it has already ended.
func (c *handlerContext) end(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err == nil {
		c.endLocked(err)
	}
}

func (c *handlerContext) endLocked(err error) {
	c.err = err
	if c.done != nil {
		close(c.done)
	}
	for _, stop := range c.stop {
		stop()
	}
	c.stop = nil
}

// cancel ends the context once the handler has returned.
func (c *handlerContext) cancel() { c.end(context.Canceled) }
