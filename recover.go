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

// replay queues, before the worker reads anything, the messages left
// pending to its consumer by an earlier run, as suspects. Those waiting
// for a retry (a failure record whose time has not come) and those given
// back are left to the retry scan.
func (r *recovery) replay(ctx context.Context) error {
	w := r.w
	now := w.c.clock.Now()
	var ss []string
	for start := "-"; ; {
		pend, err := w.c.rdb.XPendingExt(ctx, &redis.XPendingExtArgs{
			Stream: w.cfg.Stream, Group: w.cfg.Group, Start: start, End: "+", Count: maxScan, Consumer: w.cfg.Consumer,
		}).Result()
		if err != nil {
			return err
		}
		recs, err := w.failureRecords(ctx, pendingIDs(pend))
		if err != nil {
			return err
		}
		for i, p := range pend {
			rec := recs[i]
			if givenBack(p.Idle, now) || rec != nil && rec.Class != ClassCrash && now.Before(rec.RetryAt) {
				continue
			}
			if w.inflight.tryAdd(p.ID) {
				ss = append(ss, p.ID)
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
// (XREADGROUP CLAIM). Given back ones go to the lanes like any message.
// Abandoned ones are suspects; the read counted a delivery for each,
// which is taken back at once (XCLAIM RETRYCOUNT, JUSTID), so that a
// suspect waiting behind another that kills the worker is not charged
// for it: its delivery is counted right before it runs (see prepare).
func (r *recovery) fromRead(ctx context.Context, msgs []*Message) {
	w := r.w
	now := w.c.clock.Now()
	var normal, abandoned []*Message
	for _, m := range msgs {
		if givenBack(time.Duration(m.claimIdle)*time.Millisecond, now) {
			normal = append(normal, m)
		} else {
			abandoned = append(abandoned, m)
		}
	}
	// A message another part of this worker owns (the claim pass or the
	// hand-over, about to claim it) is given back: the read has taken it,
	// so their claims, with the idle time they saw as the bar, fail, and
	// it would be left pending to this worker with no one to run it.
	var busy []*Message
	owned := w.inflight.add(append([]*Message(nil), normal...))
	if len(owned) < len(normal) {
		busy = append(busy, notIn(normal, owned)...)
	}
	if len(owned) > 0 {
		// Given back after a failure, a message has a record to delete
		// once it succeeds.
		if recs, err := w.failureRecords(ctx, ids(owned)); err == nil {
			for i, m := range owned {
				m.failure = recs[i]
			}
		}
		w.queue(owned)
	}
	var taken []*Message
	for _, m := range abandoned {
		if w.inflight.tryAdd(m.ID) {
			taken = append(taken, m)
		} else {
			busy = append(busy, m)
		}
	}
	w.settler.giveBack(w.after, busy...)
	if len(taken) == 0 {
		return
	}
	_, err := w.c.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, m := range taken {
			p.Do(ctx, "XCLAIM", w.cfg.Stream, w.cfg.Group, w.cfg.Consumer, 0, m.ID, "RETRYCOUNT", m.Deliveries-1, "JUSTID")
		}
		return nil
	})
	if err != nil {
		// The read's count stands: each of them is charged one delivery.
		w.health.report(err)
	}
	r.queue(ids(taken))
}

// notIn returns the messages of all that are not in some.
func notIn(all, some []*Message) []*Message {
	in := make(map[*Message]bool, len(some))
	for _, m := range some {
		in[m] = true
	}
	var out []*Message
	for _, m := range all {
		if !in[m] {
			out = append(out, m)
		}
	}
	return out
}

// queue hands owned suspects, by ID, to the processor; if the worker is
// stopping they are let go (they stay pending to this consumer).
func (r *recovery) queue(suspects []string) {
	for _, id := range r.w.processor.pushSuspects(suspects) {
		r.w.inflight.releaseID(id)
	}
}

// attempt runs suspect s on lane l, alone (see processor.next). It
// reports false if the watchdog abandoned the handler.
func (r *recovery) attempt(work context.Context, l *lane, id string) bool {
	w := r.w
	ctx := w.after
	m, ok := r.prepare(ctx, id)
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

// prepare decides what becomes of suspect id: dead-lettered at once if
// its failures on record reach MaxDeliveries, else counted and marked (a
// crash record) for an attempt. It returns the message to run, and false
// if there is nothing to run (dead-lettered, gone, taken by another
// worker meanwhile, or the server unreachable: the suspect is then let
// go, to be recovered again).
func (r *recovery) prepare(ctx context.Context, id string) (*Message, bool) {
	w := r.w
	// Owned but not covered by heartbeats until claimed (see inFlight), so
	// that its idle time changes only if another worker takes it.
	p, rec, err := r.look(ctx, id)
	switch {
	case err != nil:
		r.letGo(id, err)
		return nil, false
	case p == nil:
		w.letGoOrTrimmed(ctx, id)
		return nil, false
	case p.Consumer != w.cfg.Consumer:
		r.letGo(id, nil) // another worker took it meanwhile: its own
		return nil, false
	}
	if r.exhausted(rec, p.RetryCount) {
		m, err := r.fetch(ctx, id, p.RetryCount)
		switch {
		case err != nil:
			r.letGo(id, err)
			return nil, false
		case m == nil:
			w.letGoOrTrimmed(ctx, id)
			return nil, false
		}
		r.deadLetter(m, rec)
		return nil, false
	}
	// Count this delivery and take the entry, unless another worker has
	// taken it since it was looked at; an entry deleted from the stream is
	// dropped from the PEL and not returned.
	xms, err := w.c.rdb.XClaim(ctx, &redis.XClaimArgs{
		Stream: w.cfg.Stream, Group: w.cfg.Group, Consumer: w.cfg.Consumer, MinIdle: claimBar(p.Idle, w.c.clock.Now()), Messages: []string{id},
	}).Result()
	if err != nil && err != redis.Nil {
		r.letGo(id, err)
		return nil, false
	}
	if len(xms) == 0 {
		w.letGoOrTrimmed(ctx, id)
		return nil, false
	}
	m := w.message(xms[0])
	m.Deliveries = p.RetryCount + 1
	m.owned = true // by ID, since the suspect was queued
	w.inflight.cover(id)
	// Marked only now that it is ours: a crash record written on an entry
	// another worker holds would outlive its processing. (Killed between
	// the claim and the mark, the worker leaves a delivery counted and no
	// attempt made: the message loses an attempt, never gets an extra one.)
	crash := crashRecord(rec, w.c.clock.Now())
	if err := w.c.rdb.HSet(ctx, w.keys.failures(), id, crash.encode()).Err(); err != nil {
		r.letGo(id, err)
		return nil, false
	}
	m.failure, m.prevFailure, m.crashMarked, m.suspect = crash, rec, true, true
	w.stats.recovered.Add(1)
	return m, true
}

// exhausted reports whether a suspect delivered deliveries times, with
// failure record rec, has used all its attempts: MaxDeliveries on record
// (failures, and crashes its crash records tell of), or more deliveries
// than that even without a record. A suspect with no record and at most
// MaxDeliveries deliveries was never seen to fail, and gets an attempt.
func (r *recovery) exhausted(rec *failureRecord, deliveries int64) bool {
	limit := int64(r.w.cfg.MaxDeliveries)
	return rec != nil && deliveries >= limit || deliveries > limit
}

// deadLetter settles suspect m, out of attempts, as dead.
func (r *recovery) deadLetter(m *Message, rec *failureRecord) {
	r.w.stats.recovered.Add(1)
	if m.Deliveries > 1 {
		r.w.stats.redeliveries.Add(1)
	}
	m.failure, m.suspect = rec, true
	var cause error = errOverDelivered
	if rec != nil {
		cause = errors.New(rec.Err)
	}
	r.w.settler.dead(m, ClassMaxDeliveries, cause)
}

// look returns the pending entry id (nil if it is not pending) and its
// failure record, in one round trip.
func (r *recovery) look(ctx context.Context, id string) (*redis.XPendingExt, *failureRecord, error) {
	w := r.w
	var pend *redis.XPendingExtCmd
	var rec *redis.StringCmd
	_, err := w.c.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		pend = p.XPendingExt(ctx, &redis.XPendingExtArgs{Stream: w.cfg.Stream, Group: w.cfg.Group, Start: id, End: id, Count: 1})
		rec = p.HGet(ctx, w.keys.failures(), id)
		return nil
	})
	if err != nil && err != redis.Nil {
		return nil, nil, err
	}
	var fr *failureRecord
	if v, err := rec.Result(); err == nil {
		fr, _ = decodeFailure(v)
	}
	if ps := pend.Val(); len(ps) > 0 {
		return &ps[0], fr, nil
	}
	return nil, fr, nil
}

// fetch reads entry id, delivered deliveries times, without counting a
// delivery. It returns nil if the entry is gone or on error.
func (r *recovery) fetch(ctx context.Context, id string, deliveries int64) (*Message, error) {
	w := r.w
	xms, err := w.c.rdb.XRangeN(ctx, w.cfg.Stream, id, id, 1).Result()
	if err != nil || len(xms) == 0 {
		return nil, err
	}
	m := w.message(xms[0])
	m.Deliveries = deliveries
	m.owned = true // by ID, since the suspect was queued
	return m, nil
}

// letGo gives up on suspect id for now after err: it stays pending to
// this consumer, and is recovered again by the retry scan (its crash
// record, if written, says it is due) or, once idle, by any worker.
func (r *recovery) letGo(id string, err error) {
	w := r.w
	w.health.report(err)
	if err != nil && !isTransient(err) {
		w.log.Warn("pelican: recovering a message failed; it stays pending", "id", id, "err", err)
	}
	w.inflight.releaseID(id)
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

// ids returns the IDs of msgs.
func ids(msgs []*Message) []string {
	out := make([]string, len(msgs))
	for i, m := range msgs {
		out[i] = m.ID
	}
	return out
}

// pendingIDs returns the IDs of pending entries pend.
func pendingIDs(pend []redis.XPendingExt) []string {
	out := make([]string, len(pend))
	for i, p := range pend {
		out[i] = p.ID
	}
	return out
}
