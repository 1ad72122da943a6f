// Package watch runs optimistic transactions (WATCH, reads, MULTI/EXEC)
// with go-redis in as few round trips as the client allows.
package watch

import (
	"context"

	"github.com/redis/go-redis/v9"
)

// Tx is a transaction under WATCH. Exec sends MULTI, the queued commands
// and EXEC; a transaction that returns without calling it ends its WATCH.
type Tx struct {
	tx    *redis.Tx
	execd bool
}

// Exec queues commands with queue and runs them in MULTI/EXEC. Like
// go-redis's TxPipelined it returns redis.TxFailedErr when a watched key
// changed.
func (t *Tx) Exec(ctx context.Context, queue func(p redis.Pipeliner)) ([]redis.Cmder, error) {
	t.execd = true
	return t.tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
		queue(p)
		return nil
	})
}

// Run watches keys, sends the commands reads queues, then calls fn with
// their replies; fn may call Tx.Exec once. On a single server WATCH and
// the reads travel in one round trip; a cluster (or ring) client needs the
// keys to pick the node, and sends WATCH alone first. The reads' replies
// are given to fn whatever their errors, with the pipeline's error (the
// first read that failed, or the connection's).
func Run(ctx context.Context, rdb redis.UniversalClient, keys []string, reads func(p redis.Pipeliner),
	fn func(t *Tx, replies []redis.Cmder, err error) error) error {
	// A single server's client has Options, whether it is a *redis.Client
	// or a type embedding one; a cluster's or ring's has other options.
	_, single := rdb.(interface{ Options() *redis.Options })
	body := func(tx *redis.Tx) error {
		t := &Tx{tx: tx}
		var watch *redis.Cmd
		cmds, err := tx.Pipelined(ctx, func(p redis.Pipeliner) error {
			if single {
				args := make([]any, 0, len(keys)+1)
				args = append(args, "watch")
				for _, k := range keys {
					args = append(args, k)
				}
				watch = p.Do(ctx, args...)
			}
			reads(p)
			return nil
		})
		if watch != nil {
			cmds = cmds[1:]
			if werr := watch.Err(); werr != nil {
				return werr
			}
		}
		ferr := fn(t, cmds, err)
		if single && !t.execd {
			// WATCH went out as a plain command, which go-redis does not
			// track: end it before the connection returns to the pool.
			tx.Unwatch(ctx)
		}
		return ferr
	}
	if single {
		return rdb.Watch(ctx, body)
	}
	return rdb.Watch(ctx, body, keys...)
}
