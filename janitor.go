package pelican

import (
	"context"
	"errors"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pelicanhq/pelican/internal/watch"
)

// The janitor hands over the messages of dead consumers and deletes them
// from the group. A Pelican worker is dead when its beats say so (see
// consumer.go): it stopped, it missed three heartbeats, or it ran on this
// host and its process is gone; any other consumer when it has been idle
// for DeadConsumerAfter. The janitor claims a dead consumer's pending
// messages for its own worker as listed (XCLAIM JUSTID: they keep their
// delivery counts) and queues them as suspects (see recover.go), and only
// when the consumer holds nothing deletes it, since XGROUP DELCONSUMER
// drops whatever a consumer still holds. It runs when the worker starts,
// so that a restarted worker takes over at once what its predecessor on
// the same host left, then every HeartbeatInterval.
//
// After an outage every worker's beats are stale, the live ones' too: the
// janitor judges no one until its own worker has been back for three
// heartbeats. And a beat's time is its writer's clock, which may differ
// from this host's: a worker of another host is taken for dead by its
// beats' age only once this janitor has also seen its beat unchanged for
// its lifetime (or the beat is older than ClaimMinIdle, which no clock
// skew explains).
type janitor struct {
	w *Worker
	// seen holds, by consumer, the beat last read and when (on this
	// host's clock) it was first read unchanged. Only run's goroutine
	// uses it.
	seen map[string]seenBeat
}

type seenBeat struct {
	b     beat
	since time.Time
}

// run cleans up dead consumers until ctx ends.
func (j *janitor) run(ctx context.Context) {
	w := j.w
	j.pass(ctx)
	t := time.NewTicker(w.cfg.HeartbeatInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			j.pass(ctx)
		}
	}
}

func (j *janitor) pass(ctx context.Context) {
	w := j.w
	if !w.health.upFor(3*w.cfg.HeartbeatInterval) || !w.health.beatsTrustedFor(3*w.cfg.HeartbeatInterval) {
		return
	}
	w.failed(ctx, "cleaning up dead consumers", j.removeDead(ctx))
}

// removeDead hands over the messages of the dead consumers of the group
// and deletes those that hold nothing.
func (j *janitor) removeDead(ctx context.Context) error {
	w := j.w
	infos, beats, err := w.c.workers(ctx, w.cfg.Stream, w.cfg.Group, w.self)
	if err != nil {
		return err
	}
	w.health.report(nil)
	now := w.c.clock.Now()
	seen := make(map[string]seenBeat, len(infos))
	for i, info := range infos {
		if info.Name == w.cfg.Consumer {
			continue
		}
		b := beats[i]
		sb, ok := j.seen[info.Name]
		if !ok || sb.b != b {
			sb = seenBeat{b: b, since: now}
		}
		seen[info.Name] = sb
		switch b.judge(now, w.self) {
		case alive:
			continue
		case dead:
			if !b.stopped && !b.gone(w.self) && now.Sub(sb.since) < b.lifetime() && now.Sub(b.at) < w.cfg.ClaimMinIdle {
				continue // stale by its clock, not yet by ours
			}
		case unknown:
			lastSeen := now.Add(-info.Idle)
			if b.at.After(lastSeen) {
				lastSeen = b.at
			}
			if now.Sub(lastSeen) < w.cfg.DeadConsumerAfter {
				continue
			}
		}
		if info.Pending > 0 {
			if err := j.adopt(ctx, info.Name, b); err != nil {
				return err
			}
			continue // deleted on a later pass, once it holds nothing
		}
		if err := j.delete(ctx, info.Name, b); err != nil {
			return err
		}
	}
	j.seen = seen
	return nil
}

// adopt claims the pending messages of dead consumer dead, judged so by
// its beat b, for this worker, as far as its lanes have room.
//
// A worker restarted under a dead worker's name writes a beat of its own
// before it reads anything, and replays the dead one's messages itself.
// So the beat is read again after the messages are listed: if it is no
// longer b, the name has a live worker again, which may have read some of
// them, and they are left to it. (Those it replays meanwhile are claimed
// by it or by this worker, never both: each claims with the idle time it
// saw as the bar.)
func (j *janitor) adopt(ctx context.Context, dead string, b beat) error {
	w := j.w
	_, suspects := w.processor.load()
	room := w.cfg.BatchSize - suspects
	if room <= 0 {
		return nil
	}
	var pend *redis.XPendingExtCmd
	var now *redis.StringCmd
	_, err := w.c.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		pend = p.XPendingExt(ctx, &redis.XPendingExtArgs{
			Stream: w.cfg.Stream, Group: w.cfg.Group, Start: "-", End: "+", Count: int64(room), Consumer: dead,
		})
		now = p.HGet(ctx, w.keys.workers(), dead)
		return nil
	})
	if err != nil && err != redis.Nil {
		return err
	}
	if again, _ := parseBeat(now.Val()); again != b {
		return nil // taken over by a new worker since it was judged
	}
	if len(pend.Val()) == 0 {
		return nil
	}
	w.log.Info("pelican: taking over the pending messages of a dead consumer", "dead_consumer", dead, "count", len(pend.Val()))
	return w.claimer.claim(ctx, pend.Val())
}

// delete deletes dead consumer name, judged so by its beat b and listed
// holding nothing, from the group, with its beat and counters: in one
// transaction under WATCH of the workers hash, and only if it still holds
// nothing and its beat is still b. A worker restarted under that name
// writes its beat before it reads anything, which fails the transaction:
// XGROUP DELCONSUMER would drop what it has read. (A consumer that is not
// a Pelican worker writes no beat: one that comes back and reads in the
// instant between the check and the delete loses what it read from the
// PEL.)
func (j *janitor) delete(ctx context.Context, name string, b beat) error {
	w := j.w
	key := w.keys.workers()
	var pend *redis.XPendingExtCmd
	var cur *redis.StringCmd
	err := watch.Run(ctx, w.c.rdb, []string{key}, func(p redis.Pipeliner) {
		pend = p.XPendingExt(ctx, &redis.XPendingExtArgs{
			Stream: w.cfg.Stream, Group: w.cfg.Group, Start: "-", End: "+", Count: 1, Consumer: name,
		})
		cur = p.HGet(ctx, key, name)
	}, func(t *watch.Tx, _ []redis.Cmder, err error) error {
		if err != nil && err != redis.Nil {
			return err
		}
		if again, _ := parseBeat(cur.Val()); again != b || len(pend.Val()) > 0 {
			return nil // taken over, or holding messages again: next time
		}
		var del *redis.IntCmd
		if _, err := t.Exec(ctx, func(p redis.Pipeliner) {
			del = p.XGroupDelConsumer(ctx, w.cfg.Stream, w.cfg.Group, name)
			p.HDel(ctx, key, name)
			p.HDel(ctx, w.keys.counters(), name)
		}); err != nil {
			return err
		}
		if dropped := del.Val(); dropped > 0 {
			w.log.Error("pelican: a dead consumer received messages while being deleted; they are no longer pending", "dead_consumer", name, "count", dropped)
		} else {
			w.log.Info("pelican: removed a dead consumer", "dead_consumer", name)
		}
		return nil
	})
	if errors.Is(err, redis.TxFailedErr) {
		return nil // a beat was written meanwhile: look again next time
	}
	return err
}
