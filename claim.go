package pelican

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"
)

// The claimer takes over abandoned messages: a worker that dies leaves
// its messages pending, and once one has been idle for ClaimMinIdle (a
// live worker's heartbeats keep its slow messages from getting there) any
// worker may claim and process it. Every ClaimInterval the claimer lists
// the group's pending entries idle that long (XPENDING IDLE), claims them
// as listed without counting a delivery (XCLAIM JUSTID), and hands them
// to recovery as suspects; entries given back (see settler.giveBack) go
// to the lanes like any message. On servers with XREADGROUP CLAIM, reads
// claim abandoned messages too; the claim pass still runs there, for the
// entries deleted from the stream while pending, which only a claim drops
// from the PEL (counted as lost to trim).
type claimer struct {
	w *Worker
	// drained wakes run when the processor has started its last waiting
	// suspect: a pass that stopped for lack of room goes on at once.
	drained chan struct{}
}

func newClaimer(w *Worker) *claimer { return &claimer{w: w, drained: make(chan struct{}, 1)} }

// run claims every ClaimInterval until ctx ends, and when the suspects it
// queued have all started.
func (c *claimer) run(ctx context.Context) {
	w := c.w
	t := time.NewTicker(w.cfg.ClaimInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-c.drained:
		case <-t.C:
			if w.health.isDown() {
				continue
			}
			w.failed(ctx, "claiming abandoned messages", c.pass(ctx))
		}
	}
}

// pass runs through the group's PEL once, claiming what is idle for
// ClaimMinIdle, as far as the lanes have room.
func (c *claimer) pass(ctx context.Context) error {
	w := c.w
	for start := "-"; ctx.Err() == nil; {
		queued, suspects := w.processor.load()
		room := w.cfg.BatchSize - max(queued, suspects)
		if room <= 0 {
			return nil // busy enough: next time
		}
		pend, err := w.c.rdb.XPendingExt(ctx, &redis.XPendingExtArgs{
			Stream: w.cfg.Stream, Group: w.cfg.Group, Idle: w.cfg.ClaimMinIdle, Start: start, End: "+", Count: int64(room),
		}).Result()
		if err != nil || len(pend) == 0 {
			return err
		}
		w.health.report(nil)
		if err := c.claim(ctx, pend); err != nil {
			return err
		}
		if len(pend) < room {
			return nil
		}
		start = "(" + pend[len(pend)-1].ID
	}
	return nil
}

// claim claims the listed entries that this worker does not own, as
// listed (XCLAIM JUSTID, with the idle time seen as the bar: an entry
// another worker has taken since is left to it), and queues them: given
// back entries for the lanes, the others as suspects, but for those
// whose failure record schedules a retry still to come, which wait in
// this worker's PEL for its retry scan like its own.
func (c *claimer) claim(ctx context.Context, pend []redis.XPendingExt) error {
	w := c.w
	now := w.c.clock.Now()
	var listed []redis.XPendingExt
	for _, p := range pend {
		if p.Consumer == w.cfg.Consumer && !givenBack(p.Idle, now) {
			continue // its own: the retry scan's
		}
		if w.caps.ClaimRead && givenBack(p.Idle, now) {
			continue // the next read takes it, claiming (CLAIM) given back entries first
		}
		if w.inflight.tryAdd(p.ID) {
			listed = append(listed, p)
		}
	}
	if len(listed) == 0 {
		return nil
	}
	// Owned with tryAdd, they are not covered by heartbeats, which would
	// reset the idle time that is the claim's bar.
	claimed, err := c.claimListed(ctx, listed)
	if err != nil {
		for _, p := range listed {
			w.inflight.releaseID(p.ID)
		}
		return err
	}
	for _, ok := range claimed {
		if ok {
			w.stats.claimed.Add(1)
		}
	}
	recs, err := w.failureRecords(ctx, pendingIDs(listed))
	if err != nil {
		recs = make([]*failureRecord, len(listed)) // judged without them
	}
	var ss []string
	var back []redis.XPendingExt
	var backRecs []*failureRecord
	var missing []string
	for i, p := range listed {
		rec := recs[i]
		switch {
		case !claimed[i]:
			missing = append(missing, p.ID)
		case givenBack(p.Idle, now):
			back, backRecs = append(back, p), append(backRecs, rec)
		case rec != nil && rec.Class != ClassCrash && now.Before(rec.RetryAt):
			// Waiting for its retry, not running: now pending to this
			// worker, whose retry scan runs it when it is due.
			w.inflight.releaseID(p.ID)
		default:
			ss = append(ss, p.ID)
		}
	}
	if len(ss) > 0 {
		w.log.Info("pelican: claimed abandoned messages", "count", len(ss))
	}
	w.recovery.queue(ss)
	w.letGoOrTrimmed(ctx, missing...)
	return c.queueGivenBack(ctx, back, backRecs)
}

// claimListed claims pending entries listed by XPENDING for this
// worker without counting a delivery (XCLAIM JUSTID), each with the idle
// time it was listed with as the bar (see claimBar): if another worker has
// taken one since (resetting its idle time), the claim leaves it alone.
// Entries listed together are claimed one by one for that reason, in one
// round trip: one bar for all, the smallest, would let through an entry
// listed long idle and taken a moment ago. It reports, per entry, whether
// it was claimed: not if taken, or deleted from the stream (a claim drops
// such an entry from the PEL).
func (c *claimer) claimListed(ctx context.Context, listed []redis.XPendingExt) ([]bool, error) {
	w := c.w
	claims := make([]*redis.StringSliceCmd, len(listed))
	now := w.c.clock.Now()
	_, err := w.c.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, e := range listed {
			claims[i] = p.XClaimJustID(ctx, &redis.XClaimArgs{
				Stream: w.cfg.Stream, Group: w.cfg.Group, Consumer: w.cfg.Consumer, MinIdle: claimBar(e.Idle, now), Messages: []string{e.ID},
			})
		}
		return nil
	})
	if err != nil && err != redis.Nil {
		return nil, err
	}
	out := make([]bool, len(listed))
	for i, c := range claims {
		out[i] = len(c.Val()) > 0
	}
	return out, nil
}

// queueGivenBack fetches the given-back entries this worker claimed,
// counting the new delivery, and queues them for the lanes.
func (c *claimer) queueGivenBack(ctx context.Context, back []redis.XPendingExt, recs []*failureRecord) error {
	w := c.w
	if len(back) == 0 {
		return nil
	}
	ids := make([]string, len(back))
	byID := make(map[string]int, len(back))
	for i, p := range back {
		ids[i], byID[p.ID] = p.ID, i
	}
	xms, err := w.c.rdb.XClaim(ctx, &redis.XClaimArgs{
		Stream: w.cfg.Stream, Group: w.cfg.Group, Consumer: w.cfg.Consumer, Messages: ids,
	}).Result()
	if err != nil && err != redis.Nil {
		for _, id := range ids {
			w.inflight.releaseID(id)
		}
		return err
	}
	msgs := make([]*Message, 0, len(xms))
	for _, xm := range xms {
		i := byID[xm.ID]
		m := w.message(xm)
		m.Deliveries, m.failure, m.owned = back[i].RetryCount+1, recs[i], true
		w.inflight.cover(xm.ID)
		msgs = append(msgs, m)
		delete(byID, xm.ID)
	}
	for id := range byID {
		w.inflight.releaseID(id) // deleted meanwhile
	}
	w.queue(msgs)
	return nil
}
