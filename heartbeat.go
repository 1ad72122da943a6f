package pelican

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Heartbeats. Every HeartbeatInterval a worker resets the idle time of
// the messages its handlers are still working on (XCLAIM to itself with
// JUSTID, which keeps their delivery count, like JetStream's in-progress
// acknowledgement), so that no other worker claims them as abandoned, and
// records that it is alive in the group's workers hash.

// heartbeatLoop beats every HeartbeatInterval until ctx ends.
func (w *Worker) heartbeatLoop(ctx, work context.Context) {
	w.heartbeat(ctx)
	t := time.NewTicker(w.cfg.HeartbeatInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			w.heartbeat(ctx)
		}
	}
}

func (w *Worker) heartbeat(ctx context.Context) {
	w.beatMu.Lock()
	defer w.beatMu.Unlock()
	ids, err := w.ownInFlight(ctx)
	if err != nil && ctx.Err() == nil {
		w.log.Warn("pelican: heartbeat failed", "err", err)
	}
	_, err = w.c.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		if len(ids) > 0 {
			p.XClaimJustID(ctx, &redis.XClaimArgs{
				Stream: w.cfg.Stream, Group: w.cfg.Group, Consumer: w.cfg.Consumer, MinIdle: 0, Messages: ids,
			})
		}
		p.HSet(ctx, w.keys.workers(), w.cfg.Consumer, w.c.clock.Now().UnixMilli())
		p.HSet(ctx, w.keys.counters(), w.cfg.Consumer, encodeStats(w.Stats()))
		return nil
	})
	if err != nil && ctx.Err() == nil {
		w.log.Warn("pelican: heartbeat failed", "err", err)
	}
}

// publishStats records the worker's final counters when it stops, so that
// what it did after its last heartbeat is not lost to the monitors.
func (w *Worker) publishStats(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := w.c.rdb.HSet(ctx, w.keys.counters(), w.cfg.Consumer, encodeStats(w.Stats())).Err(); err != nil {
		w.log.Warn("pelican: recording the final counters failed", "err", err)
	}
}

// ownInFlight returns the messages being handled that are still pending
// to this worker. A message another worker claimed meanwhile (after a
// stall longer than ClaimMinIdle) is left to it: claiming it back would
// only make both process it.
func (w *Worker) ownInFlight(ctx context.Context) ([]string, error) {
	w.mu.Lock()
	inFlight := w.heldLocked()
	if inFlight == nil {
		inFlight = make(map[string]bool, len(w.inFlight))
	}
	for id := range w.inFlight {
		inFlight[id] = true
	}
	w.mu.Unlock()
	if len(inFlight) == 0 {
		return nil, nil
	}
	var lo, hi string
	for id := range inFlight {
		if lo == "" || lessID(id, lo) {
			lo = id
		}
		if hi == "" || lessID(hi, id) {
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
			if inFlight[p.ID] {
				ids = append(ids, p.ID)
			}
		}
		if len(pend) < maxScan {
			return ids, nil
		}
		start = "(" + pend[len(pend)-1].ID
	}
}

// lessID orders two stream IDs.
func lessID(a, b string) bool {
	am, as, _ := splitID(a)
	bm, bs, _ := splitID(b)
	return am < bm || (am == bm && as < bs)
}

// WorkerInfo describes a consumer of a group.
type WorkerInfo struct {
	// Name is the consumer's name.
	Name string
	// Pending counts the messages it holds.
	Pending int64
	// Idle is the time since it last read or claimed.
	Idle time.Duration
	// LastHeartbeat is when it last reported alive (zero if never: a
	// consumer that is not a Pelican worker).
	LastHeartbeat time.Time
	// Stats are the worker's counters as of its last heartbeat (zero for
	// a consumer that is not a Pelican worker). They count from the
	// worker's start.
	Stats WorkerStats
}

// Workers lists the consumers of a group with their liveness.
func (c *Client) Workers(ctx context.Context, stream, group string) ([]WorkerInfo, error) {
	keys := groupKeys{stream: stream, group: group}
	var (
		info            *redis.XInfoConsumersCmd
		beats, counters *redis.MapStringStringCmd
	)
	_, err := c.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		info = p.XInfoConsumers(ctx, stream, group)
		beats = p.HGetAll(ctx, keys.workers())
		counters = p.HGetAll(ctx, keys.counters())
		return nil
	})
	if err != nil {
		return nil, err
	}
	consumers := info.Val()
	out := make([]WorkerInfo, len(consumers))
	for i, cs := range consumers {
		out[i] = WorkerInfo{Name: cs.Name, Pending: cs.Pending, Idle: cs.Idle}
		if ms, err := strconv.ParseInt(beats.Val()[cs.Name], 10, 64); err == nil {
			out[i].LastHeartbeat = time.UnixMilli(ms)
		}
		out[i].Stats, _ = decodeStats(counters.Val()[cs.Name])
	}
	return out, nil
}

// Dead consumers. A consumer that has neither read nor sent a heartbeat
// for DeadConsumerAfter is gone. The janitor hands its pending messages to
// this worker first (XCLAIM with JUSTID: they keep their delivery counts,
// and this worker's retry loop takes them from there, as adopted), and only when it
// holds nothing deletes it from the group, since XGROUP DELCONSUMER drops
// whatever a consumer still holds.

// janitorLoop cleans up dead consumers until ctx ends.
func (w *Worker) janitorLoop(ctx, work context.Context) {
	t := time.NewTicker(max(w.cfg.ClaimInterval, w.cfg.DeadConsumerAfter/4))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := w.removeDeadConsumers(ctx); err != nil && ctx.Err() == nil {
				w.log.Warn("pelican: cleaning up dead consumers failed", "err", err)
			}
		}
	}
}

func (w *Worker) removeDeadConsumers(ctx context.Context) error {
	infos, err := w.c.Workers(ctx, w.cfg.Stream, w.cfg.Group)
	if err != nil {
		return err
	}
	now := w.c.clock.Now()
	for _, info := range infos {
		if info.Name == w.cfg.Consumer {
			continue
		}
		lastSeen := now.Add(-info.Idle)
		if info.LastHeartbeat.After(lastSeen) {
			lastSeen = info.LastHeartbeat
		}
		if now.Sub(lastSeen) < w.cfg.DeadConsumerAfter {
			continue
		}
		if err := w.adoptPending(ctx, info.Name); err != nil {
			return err
		}
		n, err := w.c.rdb.XPendingExt(ctx, &redis.XPendingExtArgs{
			Stream: w.cfg.Stream, Group: w.cfg.Group, Start: "-", End: "+", Count: 1, Consumer: info.Name,
		}).Result()
		if err != nil {
			return err
		}
		if len(n) > 0 {
			continue // still holds messages: next time
		}
		dropped, err := w.c.rdb.XGroupDelConsumer(ctx, w.cfg.Stream, w.cfg.Group, info.Name).Result()
		if err != nil {
			return err
		}
		w.c.rdb.HDel(ctx, w.keys.workers(), info.Name)
		w.c.rdb.HDel(ctx, w.keys.counters(), info.Name)
		if dropped > 0 {
			w.log.Error("pelican: a dead consumer received messages while being deleted; they are no longer pending", "dead_consumer", info.Name, "count", dropped)
		} else {
			w.log.Info("pelican: removed a dead consumer", "dead_consumer", info.Name, "silent_for", now.Sub(lastSeen))
		}
	}
	return nil
}

// adoptPending moves the pending messages of a dead consumer to this
// worker without counting a delivery.
func (w *Worker) adoptPending(ctx context.Context, dead string) error {
	for {
		pend, err := w.c.rdb.XPendingExt(ctx, &redis.XPendingExtArgs{
			Stream: w.cfg.Stream, Group: w.cfg.Group, Start: "-", End: "+", Count: maxScan, Consumer: dead,
		}).Result()
		if err != nil || len(pend) == 0 {
			return err
		}
		// A message another worker claimed meanwhile stays with it (see
		// claimAsListed).
		claims := make([]*redis.StringSliceCmd, len(pend))
		_, err = w.c.rdb.Pipelined(ctx, func(pipe redis.Pipeliner) error {
			for i, p := range pend {
				claims[i] = pipe.XClaimJustID(ctx, w.claimAsListed(p))
			}
			return nil
		})
		if err != nil {
			return err
		}
		var adopted []string
		for _, c := range claims {
			adopted = append(adopted, c.Val()...)
		}
		now := w.c.clock.Now()
		w.mu.Lock()
		for _, id := range adopted {
			w.adopted[id] = now
		}
		w.mu.Unlock()
		w.log.Info("pelican: adopted the pending messages of a dead consumer", "dead_consumer", dead, "count", len(adopted))
		if len(adopted) < len(pend) {
			return nil // some were gone; the rest is handled next time
		}
	}
}

// encodeStats writes a worker's counters for the counters hash:
// "1|<processed>|<failed>|<dead-lettered>|<given back>|<lost to trim>|
// <duplicates>|<not ours>|<redeliveries>", a version then the counters.
func encodeStats(s WorkerStats) string {
	b := make([]byte, 0, 64)
	b = append(b, '1')
	for _, n := range []int64{s.Processed, s.Failed, s.DeadLettered, s.GivenBack, s.LostToTrim, s.Duplicates, s.NotOurs, s.Redeliveries} {
		b = append(b, '|')
		b = strconv.AppendInt(b, n, 10)
	}
	return string(b)
}

// decodeStats parses encodeStats's format; it reports false for anything
// else (counters a future version added at the end are ignored).
func decodeStats(v string) (WorkerStats, bool) {
	parts := strings.Split(v, "|")
	if len(parts) < 9 || parts[0] != "1" {
		return WorkerStats{}, false
	}
	var n [8]int64
	for i := range n {
		x, err := strconv.ParseInt(parts[i+1], 10, 64)
		if err != nil {
			return WorkerStats{}, false
		}
		n[i] = x
	}
	return WorkerStats{Processed: n[0], Failed: n[1], DeadLettered: n[2], GivenBack: n[3],
		LostToTrim: n[4], Duplicates: n[5], NotOurs: n[6], Redeliveries: n[7]}, true
}
