package pelican

import (
	"context"
	"errors"
	"runtime/debug"
	"time"

	"github.com/redis/go-redis/v9"
)

// handleOne runs the handler for m on lane l and hands the outcome to the
// settler. It reports false if the watchdog abandoned the handler: its
// result is then discarded (the watchdog settled the message) and the lane
// must end.
//
// The handler runs under work; what follows it (acknowledging, recording
// a failure, dead-lettering, giving back) must happen even when work has
// just ended, and runs under w.after, which does not end with it.
func (w *Worker) handleOne(work context.Context, l *lane, m *Message) bool {
	if m.ticket != nil && !w.retrier.claimTicket(w.after, m) {
		return true // gone, or taken by another worker
	}
	w.stats.deliveries.Add(1)
	if m.Values == nil {
		// The entry was deleted (or trimmed) while pending: nothing to
		// process or to dead-letter.
		w.lostToTrim(m.ID)
		w.settler.ack(m)
		return true
	}
	if m.Deliveries > 1 {
		w.stats.redeliveries.Add(1)
	}
	if g, ok := m.Values[FieldRedriveGroup]; ok && g != w.cfg.Group {
		// Sent back from a dead-letter stream for another group, which
		// gave up on it; this group processed it the first time.
		w.stats.notOurs.Add(1)
		w.settler.ack(m)
		return true
	}
	if !m.suspect && m.Deliveries > int64(w.cfg.MaxDeliveries) {
		// Delivered more often than it failed: deliveries that no failure
		// record covers, such as those of workers that died. (Suspects,
		// which may come from such workers, are checked in attempt.)
		w.settler.dead(m, ClassMaxDeliveries, errOverDelivered)
		return true
	}
	if w.cfg.ExactlyOnce {
		return w.handleExactlyOnce(work, l, m)
	}
	err, ctxErr, kept := w.call(work, l, m)
	if !kept {
		return false
	}
	w.settle(l, m, err, ctxErr)
	return true
}

// errOverDelivered is the cause recorded for a message dead-lettered
// because it was delivered more than MaxDeliveries times with no failure
// on record.
var errOverDelivered = errors.New("delivered more times than MaxDeliveries without success")

// call runs the handler for m on lane l, wrapped by the middleware, with
// its time limit, turning a panic into an error. (The time limit stays
// here rather than in a middleware: the watchdog needs the start time
// whatever the handler does with its context, and handlerContext costs no
// timer; the panic is recovered here for those of the middleware, and by
// recoverPanics inside the chain for the handler's, see chain.) It also returns the error of the handler's
// context, which tells a timeout apart, and kept false if the watchdog
// abandoned the handler meanwhile (the result must then be ignored).
func (w *Worker) call(work context.Context, l *lane, m *Message) (err, ctxErr error, kept bool) {
	start := w.sinceEpoch()
	hctx := m.hctx
	if hctx == nil {
		hctx = new(handlerContext)
	}
	hctx.init(work, w.cfg.HandlerTimeout, w.epoch, start)
	m.codec = w.cfg.Codec
	l.started.Store(int64(start))
	l.current.Store(m)
	defer func() {
		kept = l.current.CompareAndSwap(m, nil)
		hctx.cancel()
		if kept {
			d := int64(w.sinceEpoch() - start)
			w.handlerTimes.observe(time.Duration(d))
			if a := l.avg.Load(); a == 0 {
				l.avg.Store(d)
			} else {
				l.avg.Store(a + (d-a)/8)
			}
		}
	}()
	defer func() {
		if v := recover(); v != nil {
			err = &panicError{v: v, stack: panicStack(debug.Stack())}
		}
		if err != nil {
			ctxErr = hctx.Err() // only a failure's class depends on it
		}
	}()
	return w.handler.Handle(hctx, m), nil, true
}

// settle hands what a handler's result asks for to the settler; a
// processed message goes to lane l's buffer, which the lane hands over in
// bulk (see processor.next).
func (w *Worker) settle(l *lane, m *Message, err, hctxErr error) {
	outcome, class, delay := classify(err, hctxErr)
	switch outcome {
	case outcomeAck:
		crashPoint("handled")
		l.add(m)
	case outcomeDead:
		// Logged once, by the move.
		w.stats.failed.Add(1)
		w.logPanic(m, err)
		w.settler.dead(m, class, err)
	case outcomeGiveBack:
		w.logFailure(m, class, err, 0)
		w.settler.giveBack(w.after, m)
	default:
		w.stats.failed.Add(1)
		if class == ClassPanic {
			w.stats.panics.Add(1)
		}
		w.logPanic(m, err)
		w.fail(m, class, err, delay)
	}
}

// fail settles a failed attempt at m: a retry after delay (the backoff's,
// if zero), or the dead-letter stream if it was the last allowed.
func (w *Worker) fail(m *Message, class string, cause error, delay time.Duration) {
	if m.Deliveries >= int64(w.cfg.MaxDeliveries) {
		w.settler.dead(m, class, cause)
		return
	}
	if delay <= 0 {
		delay = w.cfg.Backoff.Delay(int(m.Deliveries))
	}
	delay = min(delay, w.cfg.ClaimMinIdle)
	now := w.c.clock.Now()
	rec := failureRecord{First: now, Last: now, RetryAt: now.Add(delay), Class: class, Err: causeText(cause), Stack: stackOf(cause)}
	if m.failure != nil {
		rec.First = m.failure.First
	}
	m.failure = &rec
	w.stats.retried.Add(1)
	w.logFailure(m, class, cause, delay)
	w.settler.record(m, &rec)
}

func (w *Worker) logFailure(m *Message, class string, err error, retryIn time.Duration) {
	attrs := []any{"id", m.ID, "deliveries", m.Deliveries, "max_deliveries", w.cfg.MaxDeliveries, "class", class, "err", err}
	if retryIn > 0 {
		attrs = append(attrs, "retry_in", retryIn)
	}
	w.log.Warn("pelican: message failed", attrs...)
}

// logPanic logs the stack of a handler that panicked, once.
func (w *Worker) logPanic(m *Message, err error) {
	var pe *panicError
	if errors.As(err, &pe) {
		w.log.Error("pelican: handler panicked", "id", m.ID, "deliveries", m.Deliveries, "panic", pe.Error(), "stack", pe.stack)
	}
}

// handleExactlyOnce runs the handler under WATCH of the message's done
// and dead-letter markers. Its queued writes, the done marker and the
// acknowledgement are applied in one MULTI/EXEC; a message with either
// marker (processed, or moved to the dead-letter stream, by any worker) is
// acknowledged without running the handler; if another worker commits or
// dead-letters the same message first, EXEC fails and this worker's
// writes are dropped. It reports false if the watchdog abandoned the
// handler; the transaction is then dropped too.
func (w *Worker) handleExactlyOnce(work context.Context, l *lane, m *Message) bool {
	ctx := w.after
	marker, dead := w.keys.doneMarker(m.ID), w.keys.deadMarker(m.ID)
	var herr, hctxErr error
	duplicate, kept := false, true
	txErr := w.c.rdb.Watch(ctx, func(tx *redis.Tx) error {
		n, err := tx.Exists(ctx, marker, dead).Result()
		if err != nil {
			return err
		}
		if n > 0 {
			duplicate = true
			return nil
		}
		pipe := tx.TxPipeline()
		m.tx = pipe
		herr, hctxErr, kept = w.call(work, l, m)
		m.tx = nil
		if herr != nil || !kept {
			pipe.Discard()
			return nil
		}
		pipe.Set(ctx, marker, "1", w.cfg.MarkerTTL)
		pipe.XAck(ctx, w.cfg.Stream, w.cfg.Group, m.ID)
		if m.failure != nil {
			pipe.HDel(ctx, w.keys.failures(), m.ID)
		}
		crashPoint("before-commit")
		_, err = pipe.Exec(ctx)
		if err == nil {
			crashPoint("after-commit")
		}
		return err
	}, marker, dead)
	if !kept {
		return false
	}
	switch {
	case errors.Is(txErr, redis.TxFailedErr):
		// Another worker committed or dead-lettered this message first:
		// its outcome stands.
		duplicate = true
	case txErr != nil:
		w.health.report(txErr)
		w.log.Warn("pelican: exactly-once commit failed; the message goes back to the group", "id", m.ID, "err", txErr)
		w.settler.giveBack(ctx, m)
		return true
	}
	if duplicate {
		w.stats.duplicates.Add(1)
		w.settler.ack(m)
		return true
	}
	if herr != nil {
		w.settle(l, m, herr, hctxErr)
		return true
	}
	w.stats.processed.Add(1) // acknowledged in the transaction
	w.inflight.release(m)
	return true
}

// letGoOrTrimmed lets go of messages ids, which a claim of this worker
// did not return: deleted from the stream while pending (a claim drops
// such an entry from the PEL), which is counted as lost to trim and their
// records deleted, or settled or taken by another worker meanwhile, which
// is left alone.
func (w *Worker) letGoOrTrimmed(ctx context.Context, ids ...string) {
	defer func() {
		for _, id := range ids {
			w.inflight.releaseID(id)
		}
	}()
	ranges := make([]*redis.XMessageSliceCmd, len(ids))
	if _, err := w.c.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range ids {
			ranges[i] = p.XRangeN(ctx, w.cfg.Stream, id, id, 1)
		}
		return nil
	}); err != nil {
		return
	}
	var lost []string
	for i, r := range ranges {
		if len(r.Val()) == 0 {
			lost = append(lost, ids[i])
		}
	}
	if len(lost) == 0 {
		return
	}
	w.lostToTrim(lost...)
	// A claim dropped them from the PEL; make sure, on any server.
	w.c.rdb.XAck(ctx, w.cfg.Stream, w.cfg.Group, lost...)
	w.c.rdb.HDel(ctx, w.keys.failures(), lost...)
}

// lostToTrim counts and logs pending messages whose entries were deleted
// (or trimmed) from the stream before they could be processed.
func (w *Worker) lostToTrim(ids ...string) {
	w.stats.lostToTrim.Add(int64(len(ids)))
	w.log.Warn("pelican: pending messages lost to trim: deleted from the stream before they were processed", "count", len(ids), "ids", ids)
}
