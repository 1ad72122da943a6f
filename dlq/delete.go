package dlq

import (
	"context"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// deleteBatch is how many entries one XDEL removes.
const deleteBatch = 500

// Delete deletes the entries sel selects, with their notes, and returns
// how many it deleted. It reads the selection with XRANGE and deletes in
// batches, each batch's XDEL and HDEL of the notes in one MULTI/EXEC. The
// stream key stays, even when emptied (see Purge). Entries with missing
// or malformed metadata are deleted like any other when selected.
// Entries added while Delete runs are deleted if they are selected and
// come after where it reads; an error leaves the batches already deleted
// deleted and the rest as they were.
func (q *Queue) Delete(ctx context.Context, sel Selector) (int64, error) {
	var deleted int64
	batch := make([]string, 0, deleteBatch)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		n, err := q.deleteIDs(ctx, batch)
		deleted += n
		batch = batch[:0]
		return err
	}
	err := q.scanMeta(ctx, sel, map[string]string{}, func(e Entry, _ redis.XMessage) error {
		batch = append(batch, e.ID)
		if len(batch) == deleteBatch {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	return deleted, err
}

// deleteIDs deletes entries and their notes in one MULTI/EXEC and returns
// how many entries were there.
func (q *Queue) deleteIDs(ctx context.Context, ids []string) (int64, error) {
	var del *redis.IntCmd
	_, err := q.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		del = p.XDel(ctx, q.name, ids...)
		p.HDel(ctx, q.notesKey(), ids...)
		return nil
	})
	if err != nil {
		return 0, q.wrap("XDEL", err)
	}
	return del.Val(), nil
}

// Purge deletes the entries sel selects, as Delete does, and then, if the
// dead-letter stream is left empty and no consumer group reads it,
// removes its key and its notes hash, so that a purged dead-letter stream
// leaves nothing behind. (The eviction counters of retention stay: they
// count since the first eviction, for metrics.) Purge(ctx,
// Selector{All: true}) empties a dead-letter stream.
//
// The key is removed under WATCH: a dead letter added meanwhile keeps it.
func (q *Queue) Purge(ctx context.Context, sel Selector) (int64, error) {
	n, err := q.Delete(ctx, sel)
	if err != nil {
		return n, err
	}
	return n, q.dropIfEmpty(ctx)
}

// dropIfEmpty removes the stream key and its notes when the stream has
// no entries and no consumer groups.
func (q *Queue) dropIfEmpty(ctx context.Context) error {
	err := q.rdb.Watch(ctx, func(tx *redis.Tx) error {
		typ, err := tx.Type(ctx, q.name).Result()
		if err != nil {
			return err
		}
		switch typ {
		case "none":
			return tx.Del(ctx, q.notesKey()).Err()
		case "stream":
		default:
			return ErrWrongType
		}
		n, err := tx.XLen(ctx, q.name).Result()
		if err != nil || n > 0 {
			return err
		}
		groups, err := tx.XInfoGroups(ctx, q.name).Result()
		if err != nil || len(groups) > 0 {
			return err
		}
		_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Del(ctx, q.name, q.notesKey())
			return nil
		})
		return err
	}, q.name)
	switch {
	case err == nil, errors.Is(err, redis.TxFailedErr):
		// Changed meanwhile: something was added, and the key stays.
		return nil
	case errors.Is(err, ErrWrongType):
		return fmt.Errorf("dlq %s: %w", q.name, ErrWrongType)
	}
	return q.wrap("removing the emptied stream", err)
}
