package pelican

import (
	"context"
	"errors"
	"time"

	"github.com/redis/go-redis/v9"
)

// Recovery. A worker that dies (a crash in a C library, an OOM kill,
// os.Exit, a lost host) leaves its messages pending: the one whose handler
// killed it, if one did, and its neighbours, which ran beside it, waited
// in its queue, or had finished without their acknowledgement going out.
// They are recovered by the worker itself when it restarts under the same
// name (replay), by any worker once they are idle for ClaimMinIdle (the
// claim pass, and reads on servers with XREADGROUP CLAIM), and by the
// dead-consumer hand-over (the janitor). Every recovered message is a
// suspect, handled so that the retry limit counts the attempts of the
// message that fails, and of no other:
//
//   - A suspect runs alone on its worker (see processor): if it kills the
//     worker again, it is the only message that was running.
//   - Its delivery count grows only right before it runs: listing and
//     claiming it do not count (JUSTID), so a message waiting in a dead
//     worker's queue is not charged for that worker's crashes.
//   - Before it runs, it gets a failure record of class crash (written
//     with the count, in one round trip). If the worker dies during the
//     attempt, whoever recovers the message next finds that record and
//     knows the attempt was made: once MaxDeliveries such attempts (and
//     ordinary failures) are on record, the message is dead-lettered
//     without running again. A message with no record was never seen to
//     fail, and gets an attempt, so that a crash in the middle of a batch
//     never dead-letters the messages queued behind the crasher.
//
// A message that was handled and finished before the crash, its
// acknowledgement lost, runs again: that is at-least-once delivery.
type recovery struct {
	w *Worker
}

// suspect is a recovered message waiting to run alone.
type suspect struct {
	id string
	// deliveries is the message's delivery count before this worker's
	// attempt.
	deliveries int64
	// msg, if set, is the message as a read claimed it: that read counted
	// the attempt already (m.Deliveries is deliveries+1).
	msg *Message
}

// replay queues, before the worker reads anything, the messages left
// pending to its consumer by an earlier run, as suspects. Those waiting
// for a retry (a failure record whose time has not come) and those given
// back are left to the retry scan.
func (r *recovery) replay(ctx context.Context) error {
	w := r.w
	now := w.c.clock.Now()
	var ss []*suspect
	for start := "-"; ; {
		pend, err := w.c.rdb.XPendingExt(ctx, &redis.XPendingExtArgs{
			Stream: w.cfg.Stream, Group: w.cfg.Group, Start: start, End: "+", Count: maxScan, Consumer: w.cfg.Consumer,
		}).Result()
		if err != nil {
			return err
		}
		ids := make([]string, 0, len(pend))
		for _, p := range pend {
			ids = append(ids, p.ID)
		}
		recs, err := w.failureRecords(ctx, ids)
		if err != nil {
			return err
		}
		for i, p := range pend {
			rec := recs[i]
			if givenBack(p.Idle, now) || rec != nil && rec.Class != ClassCrash && now.Before(rec.RetryAt) {
				continue
			}
			if w.inflight.tryAdd(p.ID, now) {
				ss = append(ss, &suspect{id: p.ID, deliveries: p.RetryCount})
			}
		}
		if len(pend) < maxScan {
			break
		}
		start = "(" + pend[len(pend)-1].ID
	}
	if len(ss) > 0 {
		w.log.Info("pelican: replaying the messages this consumer left pending, one at a time", "count", len(ss))
	}
	r.queue(ss)
	return nil
}

// fromRead queues the messages a read claimed from other consumers
// (XREADGROUP CLAIM): given back ones go to the lanes like any message,
// abandoned ones are suspects.
func (r *recovery) fromRead(msgs []*Message) {
	w := r.w
	now := w.c.clock.Now()
	msgs = w.inflight.add(msgs, now)
	var normal []*Message
	var ss []*suspect
	for _, m := range msgs {
		if givenBack(time.Duration(m.claimIdle)*time.Millisecond, now) {
			normal = append(normal, m)
			continue
		}
		ss = append(ss, &suspect{id: m.ID, deliveries: m.Deliveries - 1, msg: m})
	}
	if refused := w.proc.push(normal); refused != nil {
		w.settler.giveBack(w.after, refused...)
	}
	r.queue(ss)
}

// queue hands owned suspects to the processor; if the worker is stopping
// they are let go (they stay pending to this consumer).
func (r *recovery) queue(ss []*suspect) {
	for _, s := range r.w.proc.pushSuspects(ss) {
		r.w.inflight.releaseID(s.id)
	}
}

// attempt runs suspect s on lane l, alone (see processor.next). It
// reports false if the watchdog abandoned the handler.
func (r *recovery) attempt(work context.Context, l *lane, s *suspect) bool {
	w := r.w
	ctx := w.after
	m, ok := r.prepare(ctx, s)
	if !ok {
		return true
	}
	if !w.handleOne(work, l, m) {
		return false
	}
	// Its outcome is written before the next suspect runs: if that one
	// kills the worker, this one must not be found with its crash record,
	// as if it had.
	for w.settler.flush(ctx) != nil && work.Err() == nil {
		sleep(work, w.health.backoff())
	}
	return true
}

// prepare decides what becomes of suspect s: dead-lettered at once if
// its failures on record reach MaxDeliveries, else counted and marked (a
// crash record) for an attempt. It returns the message to run, and false
// if there is nothing to run (dead-lettered, gone, or the server
// unreachable: the suspect is then let go, to be recovered again).
func (r *recovery) prepare(ctx context.Context, s *suspect) (*Message, bool) {
	w := r.w
	recs, err := w.failureRecords(ctx, []string{s.id})
	if err != nil {
		r.letGo(s, err)
		return nil, false
	}
	rec := recs[0]
	w.stats.recovered.Add(1)
	max := int64(w.cfg.MaxDeliveries)
	if rec != nil && s.deliveries >= max || s.deliveries > max {
		// Every allowed attempt was made, the last ones maybe by workers
		// that died: dead-letter it without running it again.
		m := s.msg
		if m == nil {
			if m, err = r.fetch(ctx, s); m == nil {
				r.letGo(s, err)
				return nil, false
			}
		}
		m.failure = rec
		m.suspect = true
		var cause error = errOverDelivered
		if rec != nil {
			cause = errors.New(rec.Err)
		}
		w.settler.dead(m, ClassMaxDeliveries, cause)
		return nil, false
	}
	crash := crashRecord(rec, w.c.clock.Now())
	var claim *redis.XMessageSliceCmd
	_, err = w.c.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		if s.msg == nil {
			// Counts this delivery and returns the entry; an entry deleted
			// from the stream is dropped from the PEL and not returned.
			claim = p.XClaim(ctx, &redis.XClaimArgs{
				Stream: w.cfg.Stream, Group: w.cfg.Group, Consumer: w.cfg.Consumer, Messages: []string{s.id},
			})
		}
		p.HSet(ctx, w.keys.failures(), s.id, crash.encode())
		return nil
	})
	if err != nil && err != redis.Nil {
		r.letGo(s, err)
		return nil, false
	}
	m := s.msg
	if m == nil {
		xms := claim.Val()
		if len(xms) == 0 {
			r.gone(ctx, s)
			return nil, false
		}
		m = w.message(xms[0])
		m.Deliveries = s.deliveries + 1
		m.owned = true // by ID, since the suspect was queued
	}
	m.failure, m.prevFailure, m.crashMarked, m.suspect = crash, rec, true, true
	return m, true
}

// fetch reads the entry of suspect s without counting a delivery. It
// returns nil if the entry is gone (counted, and its PEL entry
// acknowledged) or on error.
func (r *recovery) fetch(ctx context.Context, s *suspect) (*Message, error) {
	w := r.w
	xms, err := w.c.rdb.XRangeN(ctx, w.cfg.Stream, s.id, s.id, 1).Result()
	if err != nil {
		return nil, err
	}
	if len(xms) == 0 {
		r.gone(ctx, s)
		return nil, nil
	}
	m := w.message(xms[0])
	m.Deliveries = s.deliveries
	m.owned = true // by ID, since the suspect was queued
	return m, nil
}

// gone settles suspect s, whose entry the claim did not return: deleted
// from the stream while pending (lost to trim: the claim dropped it from
// the PEL), or settled by another worker meanwhile.
func (r *recovery) gone(ctx context.Context, s *suspect) {
	w := r.w
	xms, err := w.c.rdb.XRangeN(ctx, w.cfg.Stream, s.id, s.id, 1).Result()
	if err == nil && len(xms) == 0 {
		w.stats.lostToTrim.Add(1)
		w.log.Warn("pelican: pending message lost to trim", "id", s.id, "deliveries", s.deliveries)
	}
	w.c.rdb.XAck(ctx, w.cfg.Stream, w.cfg.Group, s.id)
	w.c.rdb.HDel(ctx, w.keys.failures(), s.id)
	w.inflight.releaseID(s.id)
}

// letGo gives up on suspect s for now after err: it stays pending to this
// consumer, and is recovered again by the retry scan (its crash record,
// if written, says it is due) or, once idle, by any worker.
func (r *recovery) letGo(s *suspect, err error) {
	w := r.w
	w.health.report(err)
	if err != nil && !isTransient(err) {
		w.log.Warn("pelican: recovering a message failed; it stays pending", "id", s.id, "err", err)
	}
	if s.msg != nil {
		w.inflight.release(s.msg)
	} else {
		w.inflight.releaseID(s.id)
	}
}

// failureRecords returns the failure records of ids, nil where there is
// none (or it is malformed).
func (w *Worker) failureRecords(ctx context.Context, ids []string) ([]*failureRecord, error) {
	out := make([]*failureRecord, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	vals, err := w.c.rdb.HMGet(ctx, w.keys.failures(), ids...).Result()
	if err != nil {
		return nil, err
	}
	for i, v := range vals {
		if s, ok := v.(string); ok {
			out[i], _ = decodeFailure(s)
		}
	}
	return out, nil
}
