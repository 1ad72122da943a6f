package pelican

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"
)

// Abandoned messages: a worker that dies leaves its messages pending. Once
// one has been idle for ClaimMinIdle (a live worker's heartbeats keep its
// slow messages from getting there), any worker may claim and process it,
// under the same delivery-count rules. On servers with XREADGROUP CLAIM
// every read does that; elsewhere claimLoop follows XAUTOCLAIM's cursor
// through the PEL.

// claimLoop claims abandoned messages every ClaimInterval until ctx ends.
func (w *Worker) claimLoop(ctx, work context.Context) {
	t := time.NewTicker(w.cfg.ClaimInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := w.claimAbandoned(ctx, work); err != nil && ctx.Err() == nil {
				w.log.Warn("pelican: claiming abandoned messages failed", "err", err)
			}
		}
	}
}

// claimAbandoned runs one pass of XAUTOCLAIM over the group's PEL.
func (w *Worker) claimAbandoned(ctx, work context.Context) error {
	cursor := "0-0"
	for ctx.Err() == nil {
		msgs, next, deleted, err := w.c.rdb.XAutoClaimWithDeleted(ctx, &redis.XAutoClaimArgs{
			Stream: w.cfg.Stream, Group: w.cfg.Group, Consumer: w.cfg.Consumer,
			MinIdle: w.cfg.ClaimMinIdle, Start: cursor, Count: int64(w.cfg.BatchSize),
		}).Result()
		if err != nil {
			return err
		}
		if len(deleted) > 0 {
			// XAUTOCLAIM dropped pending entries whose stream entries were
			// trimmed or deleted.
			w.stats.lostToTrim.Add(int64(len(deleted)))
			w.log.Warn("pelican: pending messages lost to trim", "count", len(deleted), "ids", deleted)
		}
		if len(msgs) > 0 {
			counts, err := w.deliveriesOf(ctx, w.cfg.Consumer, msgs[0].ID, msgs[len(msgs)-1].ID, len(msgs)+maxScan)
			if err != nil {
				return err
			}
			batch := make([]*Message, 0, len(msgs))
			for _, xm := range msgs {
				n, pending := counts[xm.ID]
				if !pending || w.isInFlight(xm.ID) {
					continue
				}
				m := w.message(xm)
				m.Deliveries = n
				batch = append(batch, m)
			}
			w.log.Info("pelican: claimed abandoned messages", "count", len(batch))
			if acks := w.handleBatch(work, batch, nil); len(acks) > 0 {
				w.ack(work, acks)
			}
		}
		if next == "0-0" {
			return nil
		}
		cursor = next
	}
	return nil
}
