package pelican

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// handleBatch handles msgs in order and acknowledges those that succeeded.
// Messages left when work ends are given back.
func (w *Worker) handleBatch(work context.Context, msgs []*Message) {
	w.handleOwnedAndAck(work, w.own(msgs))
}

// handleOwnedAndAck is handleBatch for messages this worker already owns
// (see own).
func (w *Worker) handleOwnedAndAck(work context.Context, msgs []*Message) {
	acks, release := w.handleOwned(work, msgs, nil)
	if len(acks) > 0 {
		w.ack(work, acks)
	}
	release()
}

// handleRead handles a batch of a read loop, returning acks with the IDs
// to acknowledge appended, and the function that releases them once the
// caller has (see handleOwned).
func (w *Worker) handleRead(work context.Context, msgs []*Message, acks []string) ([]string, func()) {
	owned, token := w.ownRead(msgs)
	acks, release := w.handleOwned(work, owned, acks)
	if token == nil {
		return acks, release
	}
	return acks, func() {
		release()
		w.mu.Lock()
		delete(w.held, token)
		w.mu.Unlock()
	}
}

// handleOwned handles messages this worker owns (see own) and returns
// acks with the IDs to acknowledge appended. The messages it settled
// otherwise (failed, dead-lettered, given back) it releases; the ones to
// acknowledge stay owned until the caller has sent the acknowledgement
// and calls release: until then they are still pending, and the retry
// scan, which looks for failed messages among the worker's pending ones,
// must not take a finished message for a failed one and run it again.
func (w *Worker) handleOwned(work context.Context, msgs []*Message, acks []string) (_ []string, release func()) {
	if len(msgs) == 0 {
		return acks, func() {}
	}
	w.loadFailures(work, msgs)
	after := context.WithoutCancel(work)
	out := outcomes{acks: acks, start: time.Now(), size: len(msgs)}
	var settled []*Message                    // released below; usually few
	waiting := make([]*Message, 0, len(msgs)) // released once acknowledged
	for i, m := range msgs {
		if work.Err() != nil {
			w.handBackAll(after, msgs[i:])
			break
		}
		acks, handedBack := len(out.acks), out.handedBack
		w.handle(work, after, m, &out)
		switch {
		case out.handedBack > handedBack:
			// Released already (see handBack).
		case len(out.acks) > acks:
			waiting = append(waiting, m)
		default:
			settled = append(settled, m)
		}
	}
	w.flush(after, &out)
	w.release(settled)
	return out.acks, func() { w.release(waiting) }
}

// outcomes collects what handling a batch leaves to do, so that it is done
// in bulk once the batch is handled (see flush): a round trip per batch
// rather than one per message.
type outcomes struct {
	// acks are the IDs to acknowledge; the caller does, with its next read.
	acks []string
	// forget lists the failure records to delete: retried messages that
	// have now succeeded.
	forget []string
	// records are the failure records to write, as HSET arguments, and
	// retryAt the earliest retry they schedule.
	records []any
	retryAt time.Time
	// dead are the messages to move to the dead-letter stream.
	dead []deadRequest
	// start is when handling the batch began: handler deadlines are
	// computed from it (see newHandlerContext).
	start time.Time
	// contexts are the batch's handler contexts, allocated together.
	contexts []handlerContext
	size     int // messages in the batch
	// processed counts the handlers that succeeded, added to the
	// worker's stats once per batch: lanes share the counter.
	processed int64
	// handedBack counts the messages given back while the batch was
	// handled (see handBack).
	handedBack int
}

// handlerContext returns a fresh handler context from the batch's slab.
func (out *outcomes) handlerContext() *handlerContext {
	if len(out.contexts) == cap(out.contexts) {
		out.contexts = make([]handlerContext, 0, max(out.size, 1))
	}
	out.contexts = out.contexts[:len(out.contexts)+1]
	return &out.contexts[len(out.contexts)-1]
}

// flush writes the failure records, deletes those no longer needed and
// moves the dead letters of a batch. The batch's messages stay owned until
// it returns, so the retry scan cannot take a failed message before its
// record is written.
func (w *Worker) flush(ctx context.Context, out *outcomes) {
	if out.processed > 0 {
		w.stats.processed.Add(out.processed)
		out.processed = 0
	}
	if len(out.records) > 0 {
		crashPoint("before-record")
		if err := w.c.rdb.HSet(ctx, w.keys.failures(), out.records...).Err(); err != nil {
			w.log.Warn("pelican: recording failures failed; the messages will be retried by the backoff alone", "count", len(out.records)/2, "err", err)
		}
		crashPoint("after-record")
		w.scheduleRetry(out.retryAt)
	}
	if len(out.forget) > 0 {
		if err := w.c.rdb.HDel(ctx, w.keys.failures(), out.forget...).Err(); err != nil {
			w.log.Warn("pelican: deleting failure records failed", "count", len(out.forget), "err", err)
		}
	}
	if len(out.dead) > 0 {
		w.deadLetter(ctx, out.dead)
	}
}

// own marks msgs as being handled by this worker, and returns those it
// now owns. A message already being handled is left out: the worker's
// read loops, retry scan and claim pass each claim messages, and one of
// them may claim a message another has just claimed but not yet marked.
// Whoever marks it first handles it, so that a worker never runs two
// copies of one message. Heartbeats keep owned messages alive and retry
// scans leave them alone.
func (w *Worker) own(msgs []*Message) []*Message {
	now := w.c.clock.Now()
	owned := make([]*Message, 0, len(msgs))
	w.mu.Lock()
	held := w.heldLocked()
	for _, m := range msgs {
		if w.busyLocked(m.ID, held) {
			continue
		}
		w.inFlight[m.ID] = now
		owned = append(owned, m)
	}
	w.mu.Unlock()
	return owned
}

// ownRead is own for a read loop's batch. Its first deliveries cannot be
// held already (nothing has had them before; an entry given back before
// its first delivery was counted comes back through CLAIM, marked
// claimed, and is not taken for one), so rather than one by one
// they are owned together, under the returned token, which the caller
// deletes from w.held when done; the token is nil if there are none.
// Redelivered messages (claimed by the read) are owned one by one.
func (w *Worker) ownRead(msgs []*Message) (owned []*Message, token *[]*Message) {
	owned = msgs[:0] // filtered in place
	w.mu.Lock()
	var held map[string]bool
	var now time.Time
	for _, m := range msgs {
		if m.Deliveries == 1 && !m.claimed {
			if len(w.inFlight) > 0 {
				// A claim pass took it between the read and now.
				if _, busy := w.inFlight[m.ID]; busy {
					continue
				}
			}
			m.held = true
			owned = append(owned, m)
			continue
		}
		if held == nil {
			held, now = w.heldLocked(), w.c.clock.Now()
		}
		if w.busyLocked(m.ID, held) {
			continue
		}
		w.inFlight[m.ID] = now
		owned = append(owned, m)
	}
	for _, m := range owned {
		if m.held {
			token = &owned
			w.held[token] = struct{}{}
			break
		}
	}
	w.mu.Unlock()
	return owned, token
}

// heldLocked returns the IDs of the messages held with their read batch;
// nil if there are none. w.mu must be held.
func (w *Worker) heldLocked() map[string]bool {
	if len(w.held) == 0 {
		return nil
	}
	ids := make(map[string]bool)
	for batch := range w.held {
		for _, m := range *batch {
			if m.held {
				ids[m.ID] = true
			}
		}
	}
	return ids
}

// busyLocked reports whether the message id is being handled, given the
// IDs heldLocked returned. w.mu must be held.
func (w *Worker) busyLocked(id string, held map[string]bool) bool {
	_, busy := w.inFlight[id]
	return busy || held[id]
}

// release ends the ownership own (or ownRead) gave.
func (w *Worker) release(msgs []*Message) {
	if len(msgs) == 0 {
		return
	}
	w.mu.Lock()
	for _, m := range msgs {
		if m.held {
			m.held = false // no longer counted with its read batch
		} else {
			delete(w.inFlight, m.ID)
		}
	}
	w.mu.Unlock()
}

// loadFailures fetches the failure records of redelivered messages, in
// one round trip.
func (w *Worker) loadFailures(ctx context.Context, msgs []*Message) {
	var ids []string
	for _, m := range msgs {
		if m.Deliveries > 1 && m.failure == nil {
			ids = append(ids, m.ID)
		}
	}
	if len(ids) == 0 {
		return
	}
	recs, err := w.c.rdb.HMGet(ctx, w.keys.failures(), ids...).Result()
	if err != nil {
		w.log.Warn("pelican: reading failure records failed", "err", err)
		return
	}
	byID := make(map[string]*failureRecord, len(ids))
	for i, v := range recs {
		if s, ok := v.(string); ok {
			if r, ok := decodeFailure(s); ok {
				byID[ids[i]] = r
			}
		}
	}
	for _, m := range msgs {
		if r := byID[m.ID]; r != nil {
			m.failure = r
		}
	}
}

// handle processes one message and adds what remains to do about it to
// out. The handler runs under work; what follows it (the acknowledgement,
// a failure record, a dead-letter move, giving the message back) must
// happen even when work has just ended, so it runs under ctx, work without
// its cancellation.
func (w *Worker) handle(work, ctx context.Context, m *Message, out *outcomes) {
	if m.Values == nil {
		// The entry was deleted (or trimmed) while pending: nothing to
		// process or to dead-letter.
		w.stats.lostToTrim.Add(1)
		w.log.Warn("pelican: pending message lost to trim", "id", m.ID, "deliveries", m.Deliveries)
		out.acks = append(out.acks, m.ID)
		return
	}
	if m.Deliveries > 1 {
		w.stats.redeliveries.Add(1)
	}
	if g, ok := m.Values[FieldRedriveGroup]; ok && g != w.cfg.Group {
		// Sent back from a dead-letter stream for another group, which
		// gave up on it; this group processed it the first time.
		w.stats.notOurs.Add(1)
		out.acks = append(out.acks, m.ID)
		return
	}
	if m.Deliveries > int64(w.cfg.MaxDeliveries) {
		// Checked before the handler runs, so that a message that crashes
		// its worker cannot crash-loop it: every restart counts.
		class, cause := ClassMaxDeliveries, errors.New("delivered more times than MaxDeliveries without success")
		if m.failure != nil {
			cause = errors.New(m.failure.Err)
		}
		out.dead = append(out.dead, deadRequest{m, class, cause})
		return
	}
	if w.cfg.ExactlyOnce {
		w.handleExactlyOnce(work, ctx, m, out)
		return
	}
	err, hctxErr := w.call(work, m, out)
	w.settle(ctx, m, err, hctxErr, out)
}

// call runs the handler with its time limit, turning a panic into an
// error. It also returns the error of the handler's context, which tells a
// timeout apart.
func (w *Worker) call(ctx context.Context, m *Message, out *outcomes) (err, ctxErr error) {
	hctx := out.handlerContext()
	hctx.init(ctx, w.cfg.HandlerTimeout, out.start)
	defer hctx.cancel()
	defer func() {
		if v := recover(); v != nil {
			err = panicError{v}
		}
		if err != nil {
			ctxErr = hctx.Err() // only a failure's class depends on it
		}
	}()
	return w.cfg.Handler.Handle(hctx, m), nil
}

// settle adds what a handler's result asks for to out.
func (w *Worker) settle(ctx context.Context, m *Message, err, hctxErr error, out *outcomes) {
	outcome, class, delay := classify(err, hctxErr)
	switch outcome {
	case outcomeAck:
		crashPoint("handled")
		out.processed++
		if m.failure != nil {
			out.forget = append(out.forget, m.ID)
		}
		out.acks = append(out.acks, m.ID)
	case outcomeDead:
		// Logged once, by the move.
		w.stats.failed.Add(1)
		out.dead = append(out.dead, deadRequest{m, class, err})
	case outcomeGiveBack:
		w.logFailure(m, class, err, 0)
		w.handBack(ctx, m, out)
	default:
		w.stats.failed.Add(1)
		if m.Deliveries >= int64(w.cfg.MaxDeliveries) {
			out.dead = append(out.dead, deadRequest{m, class, err})
			return
		}
		w.recordFailure(m, class, err, delay, out)
	}
}

func (w *Worker) logFailure(m *Message, class string, err error, retryIn time.Duration) {
	attrs := []any{"id", m.ID, "deliveries", m.Deliveries, "max_deliveries", w.cfg.MaxDeliveries, "class", class, "err", err}
	if retryIn > 0 {
		attrs = append(attrs, "retry_in", retryIn)
	}
	w.log.Warn("pelican: message failed", attrs...)
}

// handleExactlyOnce runs the handler under WATCH of the message's done
// and dead-letter markers. Its queued writes, the done marker and the
// acknowledgement are applied in one MULTI/EXEC; a message with either
// marker (processed, or moved to the dead-letter stream, by any worker) is
// acknowledged without running the handler; if another worker commits or
// dead-letters the same message first, EXEC fails and this worker's
// writes are dropped.
func (w *Worker) handleExactlyOnce(work, ctx context.Context, m *Message, out *outcomes) {
	marker, dead := w.keys.doneMarker(m.ID), w.keys.deadMarker(m.ID)
	var herr, hctxErr error
	duplicate := false
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
		herr, hctxErr = w.call(work, m, out)
		m.tx = nil
		if herr != nil {
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
	switch {
	case errors.Is(txErr, redis.TxFailedErr):
		// Another worker committed or dead-lettered this message first:
		// its outcome stands.
		duplicate = true
	case txErr != nil:
		w.log.Warn("pelican: exactly-once commit failed", "id", m.ID, "err", txErr)
		w.handBack(ctx, m, out)
		return
	}
	if duplicate {
		w.stats.duplicates.Add(1)
		out.acks = append(out.acks, m.ID)
		return
	}
	if herr != nil {
		w.settle(ctx, m, herr, hctxErr, out)
		return
	}
	w.stats.processed.Add(1) // acknowledged in the transaction
}

// recordFailure keeps the message pending and adds a failure record
// saying when it is due again, and why it failed, to out (flush writes it
// to the group's failures hash).
func (w *Worker) recordFailure(m *Message, class string, cause error, delay time.Duration, out *outcomes) {
	if delay <= 0 {
		delay = w.cfg.Backoff.Delay(int(m.Deliveries))
	}
	delay = min(delay, w.cfg.ClaimMinIdle)
	now := w.c.clock.Now()
	rec := failureRecord{First: now, Last: now, RetryAt: now.Add(delay), Class: class, Err: errText(cause)}
	if m.failure != nil {
		rec.First = m.failure.First
	}
	m.failure = &rec
	w.logFailure(m, class, cause, delay)
	out.records = append(out.records, m.ID, rec.encode())
	if out.retryAt.IsZero() || rec.RetryAt.Before(out.retryAt) {
		out.retryAt = rec.RetryAt
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// handBack gives m, a message of the batch out is collecting for, back to
// the group (see handBackAll).
func (w *Worker) handBack(ctx context.Context, m *Message, out *outcomes) {
	w.handBackAll(ctx, []*Message{m})
	out.handedBack++
}

// handBackAll gives messages this worker owns back to the group, releasing
// them first: once given back, a message may be claimed at once, by
// another lane of this worker too, which must be able to take it in hand
// rather than find it still owned here and leave it pending. It waits for
// a heartbeat under way, which could otherwise claim a message back right
// after it was given back (see beatMu).
func (w *Worker) handBackAll(ctx context.Context, msgs []*Message) {
	w.beatMu.Lock()
	defer w.beatMu.Unlock()
	w.release(msgs)
	w.giveBack(ctx, msgs)
}

// giveBack returns messages to the group without spending an attempt, so
// that any worker can take them at once: XNACK SILENT where the server
// has it; otherwise XCLAIM setting the delivery count back by one and the
// delivery time far in the past, which makes them claimable at once.
func (w *Worker) giveBack(ctx context.Context, msgs []*Message) {
	if len(msgs) == 0 {
		return
	}
	ids := make([]string, len(msgs))
	for i, m := range msgs {
		ids[i] = m.ID
	}
	var err error
	crashPoint("before-give-back")
	if w.caps.Nack {
		err = w.c.rdb.XNack(ctx, &redis.XNackArgs{Stream: w.cfg.Stream, Group: w.cfg.Group, Mode: "SILENT", IDs: ids}).Err()
	} else {
		byCount := map[int64][]any{}
		for _, m := range msgs {
			byCount[m.Deliveries] = append(byCount[m.Deliveries], m.ID)
		}
		_, err = w.c.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for n, group := range byCount {
				args := []any{"XCLAIM", w.cfg.Stream, w.cfg.Group, w.cfg.Consumer, 0}
				args = append(args, group...)
				args = append(args, "TIME", 1, "RETRYCOUNT", max(n-1, 0), "JUSTID")
				p.Do(ctx, args...)
			}
			return nil
		})
	}
	if err != nil {
		w.log.Warn("pelican: giving messages back failed; they stay pending until claimed", "count", len(ids), "err", err)
		return
	}
	w.stats.givenBack.Add(int64(len(msgs)))
}

// deliveriesOf returns the delivery counts of a consumer's pending
// entries between two IDs, as XPENDING reports them.
func (w *Worker) deliveriesOf(ctx context.Context, consumer, first, last string, n int) (map[string]int64, error) {
	pend, err := w.c.rdb.XPendingExt(ctx, &redis.XPendingExtArgs{
		Stream: w.cfg.Stream, Group: w.cfg.Group, Start: first, End: last, Count: int64(n), Consumer: consumer,
	}).Result()
	if err != nil {
		return nil, fmt.Errorf("pelican: reading delivery counts: %w", err)
	}
	counts := make(map[string]int64, len(pend))
	for _, p := range pend {
		counts[p.ID] = p.RetryCount
	}
	return counts, nil
}
