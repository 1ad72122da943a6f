package pelican

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"
)

// Retries. A failed message stays in the worker's PEL, with a failure
// record saying when it is due again (see recordFailure). The retry loop
// looks through the worker's own pending messages, claims those that are
// due (XCLAIM counts the new delivery) and handles them. Nothing is kept
// in memory: a restarted worker replays its pending messages at once (the
// restart counts as a delivery), and a message whose worker is gone is
// claimed by another once idle for ClaimMinIdle.

// retryLoop runs retryDue every RetryInterval until ctx ends, and also
// when a retry this worker scheduled falls due sooner.
func (w *Worker) retryLoop(ctx, work context.Context) {
	t := time.NewTimer(w.cfg.RetryInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-w.retryKick:
			// A retry was scheduled: maybe sooner than the next scan.
		case <-t.C:
			if err := w.retryDue(ctx, work); err != nil && ctx.Err() == nil {
				w.log.Warn("pelican: looking for messages to retry failed", "err", err)
			}
		}
		t.Stop()
		t.Reset(w.untilNextScan())
	}
}

// scheduleRetry notes when a message this worker failed is due, so that
// the retry loop wakes then even if RetryInterval is longer.
func (w *Worker) scheduleRetry(at time.Time) {
	w.mu.Lock()
	sooner := w.nextRetry.IsZero() || at.Before(w.nextRetry)
	if sooner {
		w.nextRetry = at
	}
	w.mu.Unlock()
	if sooner {
		select {
		case w.retryKick <- struct{}{}:
		default:
		}
	}
}

// untilNextScan returns how long the retry loop waits: RetryInterval, or
// less when a scheduled retry is due sooner.
func (w *Worker) untilNextScan() time.Duration {
	wait := w.cfg.RetryInterval
	now := w.c.clock.Now()
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.nextRetry.IsZero() {
		return wait
	}
	if !w.nextRetry.After(now) {
		// Due now: scan at once, and forget it (the scan handles it).
		w.nextRetry = time.Time{}
		return 0
	}
	return min(wait, w.nextRetry.Sub(now))
}

// maxScan bounds how many pending entries one retry scan looks at.
const maxScan = 1000

// retryDue handles the worker's failed messages whose retry is due.
func (w *Worker) retryDue(ctx, work context.Context) error {
	adopted := w.recentlyAdopted()
	pend, err := w.c.rdb.XPendingExt(ctx, &redis.XPendingExtArgs{
		Stream: w.cfg.Stream, Group: w.cfg.Group, Start: "-", End: "+", Count: maxScan, Consumer: w.cfg.Consumer,
	}).Result()
	if err != nil || len(pend) == 0 {
		return err
	}
	var cand []redis.XPendingExt
	w.mu.Lock()
	held := w.heldLocked()
	for _, p := range pend {
		if !w.busyLocked(p.ID, held) {
			cand = append(cand, p)
		}
	}
	w.mu.Unlock()
	if len(cand) == 0 {
		return nil
	}
	ids := make([]string, len(cand))
	for i, p := range cand {
		ids[i] = p.ID
	}
	recs, err := w.c.rdb.HMGet(ctx, w.keys.failures(), ids...).Result()
	if err != nil {
		return err
	}
	now := w.c.clock.Now()
	var due []redis.XPendingExt
	records := map[string]*failureRecord{}
	for i, p := range cand {
		var rec *failureRecord
		if s, ok := recs[i].(string); ok {
			rec, _ = decodeFailure(s)
		}
		threshold := w.cfg.ClaimMinIdle
		if adopted[p.ID] {
			threshold = 0 // taken over from a dead consumer: ours to run
		}
		if !isDue(rec, p, now, w.cfg.Backoff, threshold) {
			continue
		}
		due = append(due, p)
		records[p.ID] = rec
	}
	if len(due) == 0 {
		return nil
	}
	if w.beforeRetryClaim != nil {
		w.beforeRetryClaim()
	}
	// One XCLAIM per entry, in one round trip (see claimAsListed).
	claims := make([]*redis.XMessageSliceCmd, len(due))
	_, err = w.c.rdb.Pipelined(ctx, func(pipe redis.Pipeliner) error {
		for i, p := range due {
			claims[i] = pipe.XClaim(ctx, w.claimAsListed(p))
		}
		return nil
	})
	if err != nil {
		return err
	}
	if len(adopted) > 0 {
		w.mu.Lock()
		for _, p := range due {
			delete(w.adopted, p.ID)
		}
		w.mu.Unlock()
	}
	msgs := make([]*Message, 0, len(due))
	for i, p := range due {
		for _, xm := range claims[i].Val() {
			m := w.message(xm)
			m.Deliveries = p.RetryCount + 1
			m.failure = records[xm.ID]
			msgs = append(msgs, m)
		}
	}
	w.handleBatch(work, msgs)
	return nil
}

// claimAsListed returns the XCLAIM of pending entry p to this worker with
// the idle time p was listed with as the bar: if another worker has taken
// p since (resetting its idle time), the claim leaves it alone. Entries
// listed together are claimed one by one for that reason: one bar for all,
// the smallest, would let through an entry listed long idle and taken a
// moment ago.
func (w *Worker) claimAsListed(p redis.XPendingExt) *redis.XClaimArgs {
	return &redis.XClaimArgs{
		Stream: w.cfg.Stream, Group: w.cfg.Group, Consumer: w.cfg.Consumer, MinIdle: p.Idle, Messages: []string{p.ID},
	}
}

// recentlyAdopted returns the messages adopted from dead consumers less
// than ClaimMinIdle ago, forgetting older ones: isDue's general rule
// covers those.
func (w *Worker) recentlyAdopted() map[string]bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.adopted) == 0 {
		return nil
	}
	now := w.c.clock.Now()
	out := make(map[string]bool, len(w.adopted))
	for id, at := range w.adopted {
		if now.Sub(at) >= w.cfg.ClaimMinIdle {
			delete(w.adopted, id)
		} else {
			out[id] = true
		}
	}
	return out
}

// isDue says whether a pending message of this worker should be retried
// now: its failure record's retry time has come; or, with no record, it
// has been idle for as long as the backoff asks after its deliveries so
// far and for at least claimMinIdle. A pending message with no record is
// usually not a failed one: a lane has just read it and not yet taken it
// in hand, or has finished it and not yet acknowledged it. Only once it is
// idle for claimMinIdle, when any worker may claim it as abandoned, is it
// taken for one whose failure could not be recorded.
func isDue(rec *failureRecord, p redis.XPendingExt, now time.Time, b Backoff, claimMinIdle time.Duration) bool {
	if rec != nil {
		return !now.Before(rec.RetryAt)
	}
	return p.Idle >= max(b.Delay(int(p.RetryCount)), claimMinIdle)
}

// replayOwn handles, before anything else, the messages left pending to
// this consumer by an earlier run: it reads its own history from ID 0, as
// the classic pattern does. The read counts as a delivery, and the count
// is checked before the handler runs, so a message that crashed the
// worker cannot crash it forever.
func (w *Worker) replayOwn(ctx, work context.Context) error {
	start := "0"
	for ctx.Err() == nil {
		res, err := w.c.rdb.XReadGroup(ctx, &redis.XReadGroupArgs{
			Group: w.cfg.Group, Consumer: w.cfg.Consumer, Streams: []string{w.cfg.Stream, start},
			Count: int64(w.cfg.BatchSize), Block: -1,
		}).Result()
		if err == redis.Nil {
			return nil
		}
		if err != nil {
			return err
		}
		if len(res) == 0 || len(res[0].Messages) == 0 {
			return nil
		}
		xms := res[0].Messages
		counts, err := w.deliveriesOf(ctx, w.cfg.Consumer, xms[0].ID, xms[len(xms)-1].ID, len(xms))
		if err != nil {
			return err
		}
		msgs := make([]*Message, 0, len(xms))
		for _, xm := range xms {
			n, pending := counts[xm.ID]
			if !pending {
				continue
			}
			m := w.message(xm)
			if xm.Values == nil {
				m.Values = nil
			}
			m.Deliveries = n
			msgs = append(msgs, m)
		}
		w.handleBatch(work, msgs)
		start = xms[len(xms)-1].ID
	}
	return nil
}
