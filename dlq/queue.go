package dlq

import (
	"context"
	"fmt"

	"github.com/redis/go-redis/v9"

	"github.com/pelicanhq/pelican"
	"github.com/pelicanhq/pelican/internal/rediserr"
	"github.com/pelicanhq/pelican/internal/streamid"
)

// Queue is one dead-letter stream and the operations on it.
type Queue struct {
	c    *pelican.Client
	rdb  redis.UniversalClient
	name string

	hooks redriveHooks // tests only
}

// Open returns the dead-letter stream named name, reached through c. It
// does not check that the stream exists: an absent stream is an empty
// dead-letter stream.
func Open(c *pelican.Client, name string) *Queue {
	return &Queue{c: c, rdb: c.Redis(), name: name}
}

// ForStream returns the default dead-letter stream of stream
// (pelican.DeadLetterStreamOf).
func ForStream(c *pelican.Client, stream string) *Queue {
	return Open(c, pelican.DeadLetterStreamOf(stream))
}

// Name returns the dead-letter stream's key.
func (q *Queue) Name() string { return q.name }

// ErrWrongType means the key holds something else than a stream. It is
// pelican.ErrWrongType, so errors.Is matches it with the other packages'
// ErrWrongType.
var ErrWrongType = pelican.ErrWrongType

// pageSize is how many entries a scan reads per XRANGE.
const pageSize = 500

// scan calls fn for every entry sel selects, in ID order, starting after
// the ID after (or at the start of sel's range if after is empty), until
// fn returns false or an error.
func (q *Queue) scan(ctx context.Context, sel Selector, after string, fn func(Entry) (bool, error)) error {
	if err := sel.validate(); err != nil {
		return err
	}
	if len(sel.IDs) > 0 {
		for _, id := range sel.sortedIDs() {
			if after != "" && !streamid.Less(after, id) {
				continue
			}
			msgs, err := q.rdb.XRange(ctx, q.name, id, id).Result()
			if err != nil {
				return q.wrap("XRANGE", err)
			}
			if len(msgs) == 0 {
				continue // not (or no longer) in the stream
			}
			e := parseEntry(msgs[0])
			if !sel.matches(e) {
				continue
			}
			if more, err := fn(e); err != nil || !more {
				return err
			}
		}
		return nil
	}
	start, end := sel.bounds()
	if after != "" {
		start = "(" + after
	}
	for {
		msgs, err := q.rdb.XRangeN(ctx, q.name, start, end, pageSize).Result()
		if err != nil {
			return q.wrap("XRANGE", err)
		}
		for _, m := range msgs {
			e := parseEntry(m)
			if !sel.matches(e) {
				continue
			}
			if more, err := fn(e); err != nil || !more {
				return err
			}
		}
		if len(msgs) < pageSize {
			return nil
		}
		start = "(" + msgs[len(msgs)-1].ID
	}
}

// wrap adds the queue's name and the command to err, turning Redis's
// WRONGTYPE into ErrWrongType.
func (q *Queue) wrap(cmd string, err error) error {
	if rediserr.IsWrongType(err) {
		return fmt.Errorf("dlq %s: %w", q.name, ErrWrongType)
	}
	return fmt.Errorf("dlq %s: %s: %w", q.name, cmd, err)
}
