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
// every read does that. claimLoop follows XAUTOCLAIM's cursor through the
// PEL on every server: where reads claim it mostly finds entries deleted
// from the stream while pending, which those reads skip and XAUTOCLAIM
// drops from the PEL and reports (counted as lost to trim).

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
			if err := w.handleClaimed(ctx, work, msgs); err != nil {
				return err
			}
		}
		if next == "0-0" {
			return nil
		}
		cursor = next
	}
	return nil
}

// handleClaimed handles messages XAUTOCLAIM gave this worker, once it
// knows their delivery counts.
func (w *Worker) handleClaimed(ctx, work context.Context, claimed []redis.XMessage) error {
	batch := make([]*Message, len(claimed))
	for i, xm := range claimed {
		batch[i] = w.message(xm)
	}
	// Own them before the next round trip, so that the retry scan leaves
	// them alone.
	batch = w.own(batch)
	if len(batch) == 0 {
		return nil
	}
	counts, err := w.deliveriesOf(ctx, w.cfg.Consumer, claimed[0].ID, claimed[len(claimed)-1].ID, len(claimed)+maxScan)
	if err != nil {
		w.release(batch)
		return err
	}
	kept := batch[:0]
	var gone []*Message
	for _, m := range batch {
		n, pending := counts[m.ID]
		if !pending {
			gone = append(gone, m)
			continue
		}
		m.Deliveries = n
		kept = append(kept, m)
	}
	w.release(gone)
	w.log.Info("pelican: claimed abandoned messages", "count", len(kept))
	w.handleOwnedAndAck(work, kept)
	return nil
}
