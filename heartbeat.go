package pelican

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pelicanhq/pelican/internal/rediserr"
	"github.com/pelicanhq/pelican/internal/streamid"
)

// The heartbeater tells the group, every HeartbeatInterval, that the
// worker is alive (its beat in the group's workers hash: see consumer.go)
// and that its handlers are still at work: it resets the idle time of
// the messages the worker owns (XCLAIM to itself with JUSTID, which keeps
// their delivery count, like JetStream's in-progress acknowledgement), so
// that no other worker claims them as abandoned. It also records the
// worker's counters in the group's stats hash.
type heartbeater struct {
	w *Worker

	// sem, a lock that can be waited for with a deadline (lock, unlock),
	// is held by a heartbeat from listing the messages the worker holds
	// until it has reset their idle time (claiming them to this worker),
	// and by giving messages back: a heartbeat must not claim back a
	// message given back after it was listed. Lock order: sem, then
	// inFlight.mu.
	sem chan struct{}

	// warned is set once the worker has logged that another worker took
	// its name; guarded by sem.
	warned bool
}

func newHeartbeater(w *Worker) *heartbeater {
	return &heartbeater{w: w, sem: make(chan struct{}, 1)}
}

// lock takes the heartbeat's lock, and reports false if ctx ends first.
func (h *heartbeater) lock(ctx context.Context) bool {
	select {
	case h.sem <- struct{}{}:
		return true
	case <-ctx.Done():
		return false
	}
}

func (h *heartbeater) unlock() { <-h.sem }

// run beats every HeartbeatInterval until ctx ends.
func (h *heartbeater) run(ctx context.Context) {
	t := time.NewTicker(h.w.cfg.HeartbeatInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			// Bounded, so that a server that stops answering cannot hold
			// the lock that giving back (and so shutdown) waits for.
			beatCtx, cancel := context.WithTimeout(ctx, h.w.cfg.HeartbeatInterval)
			h.beat(beatCtx)
			cancel()
		}
	}
}

// beat sends one heartbeat.
func (h *heartbeater) beat(ctx context.Context) {
	w := h.w
	if !h.lock(ctx) {
		return
	}
	defer h.unlock()
	ids, err := h.stillOurs(ctx)
	w.health.report(err)
	var prev *redis.StringCmd
	_, err = w.c.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		if len(ids) > 0 {
			p.XClaimJustID(ctx, &redis.XClaimArgs{
				Stream: w.cfg.Stream, Group: w.cfg.Group, Consumer: w.cfg.Consumer, MinIdle: 0, Messages: ids,
			})
		}
		prev = p.HGet(ctx, w.keys.workers(), w.cfg.Consumer)
		p.HSet(ctx, w.keys.workers(), w.cfg.Consumer, w.beatValue(false))
		p.HSet(ctx, w.keys.counters(), w.cfg.Consumer, encodeStats(w.Stats()))
		return nil
	})
	if err == redis.Nil {
		err = nil
	}
	if err != nil {
		w.health.noteRefused(err)
		if rediserr.IsOutOfMemory(err) {
			return // noted once, not warned of every interval
		}
		w.failed(ctx, "heartbeat", err)
		return
	}
	w.health.report(nil)
	if b, ok := parseBeat(prev.Val()); ok && b.instance != "" && b.instance != w.self.instance && !h.warned {
		h.warned = true
		w.log.Error("pelican: another worker took this worker's consumer name, taking it for dead (after an outage or a stall of three heartbeats): both now run under one name and may process messages twice; restart one of them",
			"other_host", b.host, "other_pid", b.pid)
	}
}

// stillOurs returns the messages the worker holds (owned and covered)
// that are still pending to it. A message another worker claimed meanwhile (after a stall
// longer than ClaimMinIdle) is left to it: claiming it back would only
// make both process it.
func (h *heartbeater) stillOurs(ctx context.Context) ([]string, error) {
	w := h.w
	owned := w.inflight.owned(true)
	if len(owned) == 0 {
		return nil, nil
	}
	var lo, hi string
	for id := range owned {
		if lo == "" || streamid.Less(id, lo) {
			lo = id
		}
		if hi == "" || streamid.Less(hi, id) {
			hi = id
		}
	}
	var ids []string
	for start := lo; ; {
		pend, err := w.c.rdb.XPendingExt(ctx, &redis.XPendingExtArgs{
			Stream: w.cfg.Stream, Group: w.cfg.Group, Start: start, End: hi, Count: maxScan, Consumer: w.cfg.Consumer,
		}).Result()
		if err != nil {
			return ids, err
		}
		for _, p := range pend {
			if owned[p.ID] {
				ids = append(ids, p.ID)
			}
		}
		if len(pend) < maxScan {
			return ids, nil
		}
		start = "(" + pend[len(pend)-1].ID
	}
}

// stopped records, when the worker has stopped, its final counters and
// that it stopped, so that monitors see what it did after its last
// heartbeat and its name is free at once. The consumer stays in the group
// until a live worker's janitor deletes it (a stopped worker is dead to
// it at once), once it holds nothing. It waits at most until ctx ends.
func (h *heartbeater) stopped(ctx context.Context) {
	w := h.w
	_, err := w.c.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.HSet(ctx, w.keys.counters(), w.cfg.Consumer, encodeStats(w.Stats()))
		p.HSet(ctx, w.keys.workers(), w.cfg.Consumer, w.beatValue(true))
		return nil
	})
	if err != nil {
		w.log.Warn("pelican: recording the final counters failed", "err", err)
	}
}
