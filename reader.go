package pelican

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"
)

// The reader is the part of a lane that reads: when the processor's queue
// runs low a lane asks the group for the next batch of new messages (and,
// on servers with XREADGROUP CLAIM, abandoned ones), sending in the same
// round trip the acknowledgements and failure records the settler holds.
// The read's COUNT follows the processor's sizing (readCount).
type reader struct {
	w *Worker

	// afterRead, when set (by tests), runs after each read that returned
	// messages, before they are owned and queued.
	afterRead func()
}

// read makes one read for a lane and queues what it returns. With block
// false the read returns at once, whether there are new messages or not.
func (r *reader) read(work context.Context, block bool) {
	w := r.w
	count := w.processor.beginRead()
	out := w.settler.take(false)
	start := time.Now()
	msgs, err := r.readBatch(work, count, block, out)
	took := time.Since(start)
	w.settler.finish(out, err)
	if err != nil {
		if work.Err() == nil {
			r.failed(work, err)
		}
		w.processor.endRead(count, nil, 0)
		return
	}
	w.health.report(nil)
	if r.afterRead != nil && len(msgs) > 0 {
		r.afterRead()
	}
	fresh, claimed := splitClaimed(msgs)
	w.inflight.addBatch(fresh)
	if refused := w.processor.endRead(count, fresh, took); refused != nil {
		w.settler.giveBack(w.after, refused...)
	}
	if len(claimed) > 0 {
		w.stats.claimed.Add(int64(len(claimed)))
		w.recovery.fromRead(work, claimed)
	}
}

// failed handles a read's error (see Worker.failed), waiting for the
// health's backoff before the lane reads again, unless the group was
// gone and is created again.
func (r *reader) failed(ctx context.Context, err error) {
	w := r.w
	w.failed(ctx, "reading", err)
	if !isNoGroup(err) {
		sleep(ctx, w.health.backoff())
	}
}

// readBatch reads up to count messages, after writing out's
// acknowledgements and records, in one round trip.
func (r *reader) readBatch(ctx context.Context, count int, block bool, out *writes) ([]*Message, error) {
	w := r.w
	args := r.args(count, block)
	var raw *redis.RawCmd
	var generic *redis.Cmd
	_, err := w.c.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		if out != nil {
			w.settler.queue(ctx, p, out)
		}
		if w.c.cluster {
			generic = p.Do(ctx, args...)
		} else {
			raw = redis.NewRawCmd(ctx, args...)
			p.Process(ctx, raw)
		}
		return nil
	})
	if err == redis.Nil {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if generic != nil {
		return w.parseReadGroup(generic.Val())
	}
	return w.parseReadGroupRaw(raw.Val())
}

// args returns the XREADGROUP command of a read of count messages: new
// messages (">") and, where the server can, abandoned ones (CLAIM),
// waiting for them up to Block if block is set.
func (r *reader) args(count int, block bool) []any {
	w := r.w
	args := make([]any, 0, 14)
	args = append(args, "xreadgroup", "group", w.cfg.Group, w.cfg.Consumer, "count", count)
	if block && w.cfg.Block >= 0 {
		args = append(args, "block", w.cfg.Block.Milliseconds())
	}
	if w.caps.ClaimRead {
		args = append(args, "claim", w.cfg.ClaimMinIdle.Milliseconds())
	}
	return append(args, "streams", w.cfg.Stream, ">")
}

// splitClaimed separates the messages a read claimed from other
// consumers' pending entries (CLAIM) from its new ones, filtering msgs in
// place for the latter.
func splitClaimed(msgs []*Message) (fresh, claimed []*Message) {
	fresh = msgs[:0]
	for _, m := range msgs {
		if m.claimIdle >= 0 {
			claimed = append(claimed, m)
		} else {
			fresh = append(fresh, m)
		}
	}
	return fresh, claimed
}

// sleep waits for d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}
