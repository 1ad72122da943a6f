package pelican

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// The settler writes what handling leaves to write: acknowledgements,
// failure records (and the deletion of those no longer needed), and
// dead-letter moves. Lanes hand it each message's outcome; what piles up
// is written in bulk, a round trip for many messages: acknowledgements
// ride on the next read (reader.read takes them); failure records and
// dead-letter moves, and whatever a read does not take, the settler's own
// goroutine writes as soon as a lane has nothing else to do (next kicks
// it), and the lanes themselves, instead of reading, once more than a
// batch of them waits (see behind).
// A write that fails is kept and tried again; a message stays owned (see
// inFlight) until its outcome is written.
//
// Giving a message back is not deferred: it is done at once, so that
// another lane or worker can take the message.
type settler struct {
	w *Worker

	mu  sync.Mutex
	cur *writes // what waits to be written
	// free holds emptied writes for reuse.
	free []*writes

	kickc chan struct{} // wakes loop
}

// writes are settled messages whose outcome waits to be written.
type writes struct {
	// acks are the IDs to acknowledge, and ackMsgs their messages.
	acks    []string
	ackMsgs []*Message
	// forget lists failure records to delete: retried messages that have
	// now succeeded.
	forget []string
	// records are the failure records to write, as HSET arguments, for
	// the messages recMsgs; retryAt is the earliest retry they schedule.
	records []any
	recMsgs []*Message
	retryAt time.Time
	// dead are the messages to move to the dead-letter stream.
	dead []deadRequest
}

// empty reports whether o holds nothing to write; with reads, only
// acknowledgements and records to delete count (what a read takes).
func (o *writes) empty(reads bool) bool {
	return len(o.acks) == 0 && len(o.forget) == 0 && (reads || len(o.records) == 0 && len(o.dead) == 0)
}

func (o *writes) reset() {
	clear(o.ackMsgs)
	clear(o.recMsgs)
	clear(o.records)
	clear(o.dead)
	*o = writes{acks: o.acks[:0], ackMsgs: o.ackMsgs[:0], forget: o.forget[:0],
		records: o.records[:0], recMsgs: o.recMsgs[:0], dead: o.dead[:0]}
}

// mergeInto adds what o holds to into.
func (o *writes) mergeInto(into *writes) {
	into.acks = append(into.acks, o.acks...)
	into.ackMsgs = append(into.ackMsgs, o.ackMsgs...)
	into.forget = append(into.forget, o.forget...)
	into.records = append(into.records, o.records...)
	into.recMsgs = append(into.recMsgs, o.recMsgs...)
	if !o.retryAt.IsZero() && (into.retryAt.IsZero() || o.retryAt.Before(into.retryAt)) {
		into.retryAt = o.retryAt
	}
	into.dead = append(into.dead, o.dead...)
}

func newSettler(w *Worker) *settler {
	return &settler{w: w, cur: new(writes), kickc: make(chan struct{}, 1)}
}

// ack settles m as done with, though not processed here (a duplicate, a
// message for another group, one lost to trim): it is acknowledged, and
// its failure record deleted if it has one.
func (s *settler) ack(m *Message) {
	s.mu.Lock()
	o := s.cur
	o.acks = append(o.acks, m.ID)
	o.ackMsgs = append(o.ackMsgs, m)
	if m.failure != nil {
		o.forget = append(o.forget, m.ID)
	}
	s.mu.Unlock()
}

// processed settles msgs as processed: they are acknowledged, and their
// failure records deleted where they have one. Lanes hand them over in
// bulk (see processor.next).
func (s *settler) processed(msgs []*Message) {
	if len(msgs) == 0 {
		return
	}
	s.mu.Lock()
	o := s.cur
	for _, m := range msgs {
		o.acks = append(o.acks, m.ID)
		o.ackMsgs = append(o.ackMsgs, m)
		if m.failure != nil {
			o.forget = append(o.forget, m.ID)
		}
	}
	s.mu.Unlock()
	s.w.stats.processed.Add(int64(len(msgs)))
}

// record settles m as failed, to be retried: rec is written to the
// failures hash and m stays pending.
func (s *settler) record(m *Message, rec *failureRecord) {
	v := rec.encode()
	s.mu.Lock()
	o := s.cur
	o.records = append(o.records, m.ID, v)
	o.recMsgs = append(o.recMsgs, m)
	if o.retryAt.IsZero() || rec.RetryAt.Before(o.retryAt) {
		o.retryAt = rec.RetryAt
	}
	s.mu.Unlock()
	s.kick() // its retry is counted from when it is written
}

// dead settles m as failed for good: it is moved to the dead-letter
// stream.
func (s *settler) dead(m *Message, class string, cause error) {
	s.mu.Lock()
	s.cur.dead = append(s.cur.dead, deadRequest{m, class, cause})
	s.mu.Unlock()
}

// behind reports whether more than a batch of failure records and dead
// letters waits to be written (the lanes then stop reading; see
// processor.next).
func (s *settler) behind() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.cur.recMsgs)+len(s.cur.dead) > max(s.w.cfg.BatchSize, s.w.cfg.Concurrency)
}

// kickIfPending kicks the settler if something waits to be written.
func (s *settler) kickIfPending() {
	s.mu.Lock()
	pending := !s.cur.empty(false)
	s.mu.Unlock()
	if pending {
		s.kick()
	}
}

// kick wakes the settler's goroutine to write what waits.
func (s *settler) kick() {
	select {
	case s.kickc <- struct{}{}:
	default:
	}
}

// take removes and returns what waits to be written, nil if nothing. A
// read (all false) takes only the acknowledgements and the records to
// delete: a failure record must not wait for a read that may block up to
// Block, since the retry it schedules counts from when it is written, and
// dead letters are moved by the settler's goroutine.
func (s *settler) take(all bool) *writes {
	if msgs := s.w.processor.gather(); len(msgs) > 0 {
		s.processed(msgs)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.cur
	if o.empty(!all) {
		return nil
	}
	var next *writes
	if n := len(s.free); n > 0 {
		next, s.free = s.free[n-1], s.free[:n-1]
	} else {
		next = new(writes)
	}
	if !all {
		// Left for the settler's goroutine.
		next.records, o.records = append(next.records, o.records...), o.records[:0]
		next.recMsgs, o.recMsgs = append(next.recMsgs, o.recMsgs...), o.recMsgs[:0]
		next.retryAt, o.retryAt = o.retryAt, time.Time{}
		next.dead, o.dead = append(next.dead, o.dead...), o.dead[:0]
	}
	s.cur = next
	return o
}

// queue adds the commands writing o's acknowledgements and records, not
// its dead letters, to pipe.
func (s *settler) queue(ctx context.Context, pipe redis.Pipeliner, o *writes) {
	w := s.w
	if len(o.acks) > 0 {
		crashPoint("before-ack")
		pipe.XAck(ctx, w.cfg.Stream, w.cfg.Group, o.acks...)
	}
	if len(o.records) > 0 {
		crashPoint("before-record")
		pipe.HSet(ctx, w.keys.failures(), o.records...)
	}
	if len(o.forget) > 0 {
		pipe.HDel(ctx, w.keys.failures(), o.forget...)
	}
}

// finish ends the writing of o's acknowledgements and records (see
// queue) with the pipeline's error: written, their messages are released;
// not, they wait for the next write.
func (s *settler) finish(o *writes, err error) {
	if o == nil {
		return
	}
	if err != nil {
		s.putBack(o)
		return
	}
	w := s.w
	if len(o.records) > 0 {
		crashPoint("after-record")
		w.retrier.schedule(o.retryAt)
	}
	w.inflight.release(o.ackMsgs...)
	w.inflight.release(o.recMsgs...)
	o.reset()
	s.mu.Lock()
	s.free = append(s.free, o)
	s.mu.Unlock()
}

// putBack returns writes that could not be written to those waiting.
func (s *settler) putBack(o *writes) {
	s.mu.Lock()
	o.mergeInto(s.cur)
	s.mu.Unlock()
	o.reset()
	s.kick()
}

// run writes what waits whenever kicked, and at least every
// settleInterval, until ctx ends. A failed write is tried again after the
// server's backoff (see health).
func (s *settler) run(ctx context.Context) {
	var retry <-chan time.Time
	t := time.NewTicker(settleInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.kickc:
		case <-t.C:
		case <-retry:
		}
		retry = nil
		behind := s.behind()
		err := s.flush(ctx)
		if behind {
			s.w.processor.wake() // lanes held back while it was behind
		}
		if err != nil && ctx.Err() == nil {
			retry = time.After(s.w.health.backoff())
		}
	}
}

// settleInterval bounds how long dead letters wait to be moved while the
// lanes are busy: they are moved in bulk, when a lane has nothing else to
// do, when more than a batch waits, or after this long.
const settleInterval = 50 * time.Millisecond

// help writes, for a lane that would otherwise read more, what waits:
// several lanes may do so at once, each with its own share, as several
// moves run faster than one.
func (s *settler) help(ctx context.Context) {
	if err := s.flush(ctx); err != nil {
		sleep(ctx, s.w.health.backoff())
	}
}

// flush writes everything that waits, in one round trip plus the
// dead-letter moves.
func (s *settler) flush(ctx context.Context) error {
	o := s.take(true)
	if o == nil {
		return nil
	}
	dead := o.dead
	o.dead = nil
	var err error
	if len(o.acks) > 0 || len(o.records) > 0 || len(o.forget) > 0 {
		_, err = s.w.c.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			s.queue(ctx, p, o)
			return nil
		})
		s.w.health.report(err)
		if err != nil {
			s.w.log.Debug("pelican: writing acknowledgements and failure records failed; trying again", "count", len(o.acks)+len(o.recMsgs), "err", err)
		}
	}
	s.finish(o, err)
	if len(dead) > 0 {
		retry := s.w.deadLetter(ctx, dead)
		if len(retry) > 0 {
			s.mu.Lock()
			s.cur.dead = append(s.cur.dead, retry...)
			s.mu.Unlock()
			if err == nil {
				err = errRetryMoves
			}
		}
	}
	return err
}

// errRetryMoves is flush's error when dead-letter moves are to be tried
// again.
var errRetryMoves = errors.New("pelican: dead-letter moves to try again")

// giveBack returns msgs, which the worker owns, to the group at once and
// without spending an attempt, so that any worker can take them: XNACK
// SILENT where the server has it; otherwise XCLAIM setting the delivery
// count back by one and the delivery time to the Unix epoch, which makes
// them claimable at once (and tells claims that they were given back). It
// releases them first: a message given back may be claimed at once, by
// another lane of this worker too, which must find it free. It waits for
// a heartbeat under way, which could otherwise claim a message back right
// after it was given back (see heartbeater.sem). A recovered message given
// back gets its earlier failure record back (see recovery.attempt).
func (s *settler) giveBack(ctx context.Context, msgs ...*Message) {
	if len(msgs) == 0 {
		return
	}
	w := s.w
	if !w.heartbeater.lock(ctx) {
		w.inflight.release(msgs...)
		w.log.Warn("pelican: no time left to give messages back; they stay pending until claimed", "count", len(msgs))
		return
	}
	defer w.heartbeater.unlock()
	w.inflight.release(msgs...)
	ids := make([]string, len(msgs))
	for i, m := range msgs {
		ids[i] = m.ID
	}
	crashPoint("before-give-back")
	_, err := w.c.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, m := range msgs {
			if !m.crashMarked {
				continue
			}
			if m.prevFailure != nil {
				p.HSet(ctx, w.keys.failures(), m.ID, m.prevFailure.encode())
			} else {
				p.HDel(ctx, w.keys.failures(), m.ID)
			}
		}
		if w.caps.Nack {
			p.XNack(ctx, &redis.XNackArgs{Stream: w.cfg.Stream, Group: w.cfg.Group, Mode: "SILENT", IDs: ids})
			return nil
		}
		byCount := map[int64][]any{}
		for _, m := range msgs {
			byCount[m.Deliveries] = append(byCount[m.Deliveries], m.ID)
		}
		for n, group := range byCount {
			args := []any{"XCLAIM", w.cfg.Stream, w.cfg.Group, w.cfg.Consumer, 0}
			args = append(args, group...)
			args = append(args, "TIME", 1, "RETRYCOUNT", max(n-1, 0), "JUSTID")
			p.Do(ctx, args...)
		}
		return nil
	})
	w.health.report(err)
	if err != nil {
		w.log.Warn("pelican: giving messages back failed; they stay pending until claimed", "count", len(ids), "err", err)
		return
	}
	w.stats.givenBack.Add(int64(len(msgs)))
}

// givenBack reports whether a pending entry idle for idle at now was
// given back (see giveBack): its delivery time is the Unix epoch (or none,
// after XNACK, which XPENDING reports as a negative idle time).
func givenBack(idle time.Duration, now time.Time) bool {
	return idle < 0 || now.Add(-idle).Before(givenBackBefore)
}

// givenBackBefore: no pending entry was delivered before it, but those
// given back.
var givenBackBefore = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// claimBar returns the min-idle-time to claim a pending entry listed idle
// for idle at now with, so that the claim leaves it alone if another
// worker has taken it since (resetting its idle time): the idle time it
// was listed with, or, for an entry given back (which XPENDING may list
// with no idle time at all, after XNACK), the time since givenBackBefore,
// which only an entry still given back has been idle for.
func claimBar(idle time.Duration, now time.Time) time.Duration {
	if givenBack(idle, now) {
		return now.Sub(givenBackBefore)
	}
	return idle
}
