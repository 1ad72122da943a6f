package pelican

import (
	"context"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Retries. A failed message stays in the worker's PEL, with a failure
// record saying when it is due again (see Worker.fail). The retrier looks
// through the worker's own pending messages every RetryInterval, and
// sooner when a retry it scheduled falls due, and queues those that are
// due for the lanes; a lane claims each right before running it (XCLAIM
// counts the new delivery).
// Nothing is kept in memory: a restarted worker replays its pending
// messages (see recovery.replay), and a message whose worker is gone is
// claimed by another once idle for ClaimMinIdle.
type retrier struct {
	w *Worker

	mu   sync.Mutex
	next time.Time // the earliest retry this worker scheduled, if any
	kick chan struct{}
}

func newRetrier(w *Worker) *retrier { return &retrier{w: w, kick: make(chan struct{}, 1)} }

// run scans every RetryInterval until ctx ends, and also when a retry
// this worker scheduled falls due sooner.
func (r *retrier) run(ctx context.Context) {
	w := r.w
	t := time.NewTimer(w.cfg.RetryInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-r.kick:
			// A retry was scheduled: maybe sooner than the next scan.
		case <-t.C:
			w.failed(ctx, "looking for messages to retry", r.scan(ctx))
		}
		t.Stop()
		t.Reset(r.untilNextScan())
	}
}

// schedule notes when a message this worker failed is due, so that the
// retrier wakes then even if RetryInterval is longer.
func (r *retrier) schedule(at time.Time) {
	if at.IsZero() {
		return
	}
	r.mu.Lock()
	sooner := r.next.IsZero() || at.Before(r.next)
	if sooner {
		r.next = at
	}
	r.mu.Unlock()
	if sooner {
		select {
		case r.kick <- struct{}{}:
		default:
		}
	}
}

// untilNextScan returns how long the retrier waits: RetryInterval, or
// less when a scheduled retry is due sooner; while the server is
// unreachable, the outage backoff.
func (r *retrier) untilNextScan() time.Duration {
	w := r.w
	wait := w.cfg.RetryInterval
	if w.health.isDown() {
		return max(wait, w.health.backoff())
	}
	now := w.c.clock.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.next.IsZero() {
		return wait
	}
	if !r.next.After(now) {
		// Due now: scan at once, and forget it (the scan handles it).
		r.next = time.Time{}
		return 0
	}
	return min(wait, r.next.Sub(now))
}

// maxScan is how many pending entries a scan lists at a time, and
// maxScanPages how many times: a worker holding more (messages it is
// working on) finds the due retries beyond them on later scans, as the
// messages before them are settled.
const (
	maxScan      = 1000
	maxScanPages = 10
)

// scan queues the worker's failed messages whose retry is due, as many
// as the queue has room for. Messages owned already are being handled; a
// message with a crash record, or pending with no record long enough to
// be taken for abandoned, goes to recovery as a suspect. The others are
// queued as tickets: owned, but not claimed (nor covered by heartbeats)
// until a lane takes them (see claimTicket), so that the delivery is
// counted only when the message runs, and a message that another worker
// takes meanwhile is left to it.
func (r *retrier) scan(ctx context.Context) error {
	w := r.w
	queued, _ := w.processor.load()
	room := w.cfg.BatchSize - queued
	if room <= 0 {
		return nil
	}
	owned := w.inflight.owned(false)
	for start, pages := "-", 0; room > 0 && pages < maxScanPages; pages++ {
		pend, err := w.c.rdb.XPendingExt(ctx, &redis.XPendingExtArgs{
			Stream: w.cfg.Stream, Group: w.cfg.Group, Start: start, End: "+", Count: maxScan, Consumer: w.cfg.Consumer,
		}).Result()
		if err != nil {
			return err
		}
		w.health.report(nil)
		n, err := r.scanPage(ctx, pend, room, owned)
		if err != nil || len(pend) < maxScan {
			return err
		}
		room -= n
		start = "(" + pend[len(pend)-1].ID
	}
	return nil
}

// scanPage queues the due messages of one page of the worker's pending
// entries, at most room of them as tickets, and returns how many. owned
// are the messages the worker owned when the scan began.
func (r *retrier) scanPage(ctx context.Context, pend []redis.XPendingExt, room int, owned map[string]bool) (int, error) {
	w := r.w
	cand := make([]redis.XPendingExt, 0, len(pend))
	for _, p := range pend {
		if !owned[p.ID] {
			cand = append(cand, p)
		}
	}
	if len(cand) == 0 {
		return 0, nil
	}
	recs, err := w.failureRecords(ctx, pendingIDs(cand))
	if err != nil {
		return 0, err
	}
	now := w.c.clock.Now()
	var tickets []*Message
	var ss []string
	for i, p := range cand {
		rec := recs[i]
		switch {
		case !isDue(rec, p, now, w.cfg.Backoff, w.cfg.ClaimMinIdle):
		case rec != nil && rec.Class == ClassCrash || rec == nil && !givenBack(p.Idle, now):
			// A crash record left by an attempt of an earlier run, or no
			// record at all after ClaimMinIdle: its handler may have
			// killed a worker.
			if w.inflight.tryAdd(p.ID) {
				ss = append(ss, p.ID)
			}
		case len(tickets) < room && w.inflight.tryAdd(p.ID):
			tickets = append(tickets, &Message{ID: p.ID, owned: true, failure: rec,
				ticket: &ticket{idle: p.Idle, deliveries: p.RetryCount}})
		}
	}
	w.recovery.queue(ss)
	if refused := w.processor.push(tickets); refused != nil {
		for _, m := range refused {
			w.inflight.releaseID(m.ID)
		}
	}
	return len(tickets), nil
}

// ticket is a retry due, queued before it is claimed: its pending entry's
// idle time and delivery count as the scan listed them.
type ticket struct {
	idle       time.Duration
	deliveries int64
}

// claimTicket claims retry ticket m for the lane about to run it: XCLAIM,
// which counts the delivery and returns the entry, with the idle time the
// scan listed as its bar, so that a message another worker took meanwhile
// (idle for ClaimMinIdle, as a retry delayed to that cap can be) is left
// to it. It fills m and reports whether there is something to run; a
// message deleted from the stream meanwhile is counted as lost to trim.
func (r *retrier) claimTicket(ctx context.Context, m *Message) bool {
	w := r.w
	t := m.ticket
	xms, err := w.c.rdb.XClaim(ctx, &redis.XClaimArgs{
		Stream: w.cfg.Stream, Group: w.cfg.Group, Consumer: w.cfg.Consumer, MinIdle: claimBar(t.idle, w.c.clock.Now()), Messages: []string{m.ID},
	}).Result()
	if err != nil && err != redis.Nil {
		w.health.report(err)
		if !isTransient(err) {
			w.log.Warn("pelican: claiming a message to retry failed; it stays pending", "id", m.ID, "err", err)
		}
		w.inflight.releaseID(m.ID)
		return false
	}
	if len(xms) == 0 {
		w.letGoOrTrimmed(ctx, m.ID)
		return false
	}
	failure := m.failure
	w.fill(m, xms[0])
	m.Deliveries, m.failure, m.ticket = t.deliveries+1, failure, nil
	w.inflight.cover(m.ID)
	return true
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
	return p.Idle < 0 || p.Idle >= max(b.Delay(int(p.RetryCount)), claimMinIdle)
}
