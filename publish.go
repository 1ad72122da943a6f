package pelican

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pelicanhq/pelican/internal/rediserr"
	"github.com/pelicanhq/pelican/internal/streamid"
)

// PublishOptions control how a message is added. The zero value adds it
// with an auto-generated ID and no trimming.
type PublishOptions struct {
	// MaxLen, when positive, trims the stream to this many entries after
	// adding.
	MaxLen int64
	// MinID, when set, trims the entries with smaller IDs.
	MinID string
	// Approx trims approximately ("~"): only whole nodes of entries go, so
	// a few more entries than asked for may stay, for a much lower cost.
	Approx bool
	// IdempotencyKey makes the publish idempotent: publishing again with
	// the same key, within the client's IdempotencyTTL, adds nothing and
	// returns the ID of the message the first publish added. The key is
	// scoped to the client's ProducerID.
	IdempotencyKey string

	// Delay, when positive, schedules the message: it is held in the
	// stream's due-time index and added to the stream once Delay has
	// passed, by the client's clock (see docs/scheduling.md). Publish
	// then returns a schedule ID, which Cancel takes, rather than a stream
	// ID; the trimming options apply when the message is added.
	Delay time.Duration
	// At, when not zero, schedules the message for that time, as Delay
	// does; a time already past makes it due at once. Set Delay or At,
	// not both.
	At time.Time
}

// ErrReservedField means a message has a field named with ReservedPrefix
// (other than FieldContentType, which a producer may set).
var ErrReservedField = errors.New("pelican: field name uses the reserved prefix " + ReservedPrefix)

// ErrNoFields means a message has no fields.
var ErrNoFields = errors.New("pelican: a message needs at least one field")

// ErrOutOfMemory means the server refused to add a message because its
// data exceeds its maxmemory setting: Redis's OOM error, which Pelican's
// server returns too. The server still serves reads, acknowledgements and
// deletions, so consumers keep draining the backlog; publishing succeeds
// again once they have. The error is retryable: back off and publish
// again (see docs/limits.md). The publishing functions return it wrapped
// with the server's reply, which errors.As finds as a redis.Error; it also
// matches ErrUnavailable, so that a handler that publishes and returns
// the error gives its message back without spending an attempt.
var ErrOutOfMemory = errors.New("pelican: server out of memory (maxmemory reached)")

// outOfMemoryError is a refusal for maxmemory: errors.Is finds
// ErrOutOfMemory, ErrUnavailable and the server's reply.
type outOfMemoryError struct {
	stream string
	err    error
}

func (e *outOfMemoryError) Error() string {
	return "pelican: publishing to " + e.stream + ": server out of memory (maxmemory reached): " + e.err.Error()
}

func (e *outOfMemoryError) Unwrap() []error { return []error{ErrOutOfMemory, ErrUnavailable, e.err} }

// publishError wraps a failure to publish to stream.
func publishError(stream string, err error) error {
	if rediserr.IsOutOfMemory(err) {
		return &outOfMemoryError{stream: stream, err: err}
	}
	return fmt.Errorf("pelican: publishing to %s: %w", stream, err)
}

func checkValues(values map[string]string) error {
	if len(values) == 0 {
		return ErrNoFields
	}
	for k := range values {
		if strings.HasPrefix(k, ReservedPrefix) && k != FieldContentType {
			return fmt.Errorf("%w: %q", ErrReservedField, k)
		}
	}
	return nil
}

// xaddArgs returns XADD's arguments for a message of fields (see
// Client.publishFields) with the options.
func (o *PublishOptions) xaddArgs(stream string, fields []any) *redis.XAddArgs {
	a := &redis.XAddArgs{Stream: stream, Values: fields}
	if o != nil {
		a.MaxLen, a.MinID, a.Approx = o.MaxLen, o.MinID, o.Approx
	}
	return a
}

// flatten turns values into XADD's field-value list, in a fixed order.
func flatten(values map[string]string) []any {
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := make([]any, 0, 2*len(values))
	for _, k := range keys {
		out = append(out, k, values[k])
	}
	return out
}

// Publish adds a message to a stream and returns its ID. When the
// server's data exceeds its maxmemory the error matches ErrOutOfMemory:
// publish again after a backoff. With PublishOptions.Delay or At the
// message is scheduled instead, and the ID is its schedule ID (see
// IsScheduleID).
func (c *Client) Publish(ctx context.Context, stream string, values map[string]string, opts *PublishOptions) (string, error) {
	if err := checkValues(values); err != nil {
		return "", err
	}
	if due, ok, err := opts.dueTime(c.clock.Now()); err != nil || ok {
		if err != nil {
			return "", err
		}
		ids, err := c.publishScheduled(ctx, stream, []map[string]string{values}, due, opts)
		if err != nil {
			return "", err
		}
		return ids[0], nil
	}
	fields, done := c.publishFields(ctx, stream, values)
	id, err := c.add(ctx, stream, fields, opts)
	if done != nil {
		done(id, err)
	}
	return id, err
}

// add adds a message of fields to stream.
func (c *Client) add(ctx context.Context, stream string, fields []any, opts *PublishOptions) (string, error) {
	if opts != nil && opts.IdempotencyKey != "" {
		return c.publishOnce(ctx, stream, fields, opts)
	}
	id, err := c.rdb.XAdd(ctx, opts.xaddArgs(stream, fields)).Result()
	if err != nil {
		return "", publishError(stream, err)
	}
	return id, nil
}

// PublishValue encodes v with the client's codec (Options.Codec; JSON by
// default), records the codec's content type in FieldContentType, and
// publishes the message; handlers read it back with Message.Decode. A nil
// v, or a nil pointer, is refused with ErrNilValue.
func (c *Client) PublishValue(ctx context.Context, stream string, v any, opts *PublishOptions) (string, error) {
	values, err := encodeValue(c.opts.Codec, v)
	if err != nil {
		return "", err
	}
	return c.Publish(ctx, stream, values, opts)
}

// PublishBatch adds several messages in one round trip and returns their
// IDs in order. The options' trimming applies to each addition; an
// idempotency key is not allowed (publish those one by one). With Delay
// or At every message of the batch is scheduled, atomically, and the IDs
// are schedule IDs.
func (c *Client) PublishBatch(ctx context.Context, stream string, batch []map[string]string, opts *PublishOptions) ([]string, error) {
	if opts != nil && opts.IdempotencyKey != "" {
		return nil, errors.New("pelican: PublishBatch takes no idempotency key")
	}
	for _, v := range batch {
		if err := checkValues(v); err != nil {
			return nil, err
		}
	}
	if due, ok, err := opts.dueTime(c.clock.Now()); err != nil || ok {
		if err != nil || len(batch) == 0 {
			return nil, err
		}
		return c.publishScheduled(ctx, stream, batch, due, opts)
	}
	var dones []func(string, error) // with hooks, one per message (nil where none is needed)
	cmds, err := c.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, v := range batch {
			fields, done := c.publishFields(ctx, stream, v)
			if done != nil && dones == nil {
				dones = make([]func(string, error), len(batch))
			}
			if done != nil {
				dones[i] = done
			}
			p.XAdd(ctx, opts.xaddArgs(stream, fields))
		}
		return nil
	})
	for i, done := range dones {
		if done != nil && i < len(cmds) {
			done(cmds[i].(*redis.StringCmd).Result())
		}
	}
	if err != nil {
		if rediserr.IsOutOfMemory(err) {
			// Some messages of the batch may have been added before the
			// limit was reached.
			return nil, publishError(stream, err)
		}
		return nil, fmt.Errorf("pelican: publishing a batch to %s: %w", stream, err)
	}
	ids := make([]string, len(cmds))
	for i, cmd := range cmds {
		ids[i] = cmd.(*redis.StringCmd).Val()
	}
	return ids, nil
}

// publishOnce is Publish with an idempotency key: XADD IDMP where the
// server has it, and otherwise a marker written in the same MULTI/EXEC as
// the entry.
func (c *Client) publishOnce(ctx context.Context, stream string, fields []any, opts *PublishOptions) (string, error) {
	caps, err := c.Capabilities(ctx)
	if err != nil {
		return "", err
	}
	if caps.Idempotent {
		if err := c.configureIdempotency(ctx, stream); err != nil {
			return "", err
		}
		a := opts.xaddArgs(stream, fields)
		a.ProducerID, a.IdempotentID = c.opts.ProducerID, opts.IdempotencyKey
		id, err := c.rdb.XAdd(ctx, a).Result()
		if err != nil {
			return "", publishError(stream, err)
		}
		return id, nil
	}
	return c.publishWithMarker(ctx, stream, fields, opts)
}

// configureIdempotency sets the stream's IDMP-DURATION to the client's
// IdempotencyTTL before the first deduplicated publish. XCFGSET forgets
// the remembered keys only when the value changes, so producers that agree
// on the TTL can all set it. It needs the stream to exist, so it creates
// an empty one if needed.
func (c *Client) configureIdempotency(ctx context.Context, stream string) error {
	secs := int64(c.opts.IdempotencyTTL / time.Second)
	secs = min(max(secs, 1), 86400)
	key := stream + "\x00" + strconv.FormatInt(secs, 10)
	if _, done := c.idmpConfigured.Load(key); done {
		return nil
	}
	err := c.rdb.Do(ctx, "XCFGSET", stream, "IDMP-DURATION", secs).Err()
	if rediserr.IsNoSuchKey(err) {
		// An empty stream: add and delete a first entry at 0-1, which any
		// later ID follows.
		_, err = c.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.XAdd(ctx, &redis.XAddArgs{Stream: stream, ID: "0-1", Values: []any{"pelican:init", "1"}})
			p.XDel(ctx, stream, "0-1")
			return nil
		})
		if rediserr.IsOutOfMemory(err) {
			return publishError(stream, err)
		}
		if err != nil && !rediserr.IsIDTooSmall(err) {
			return fmt.Errorf("pelican: creating %s: %w", stream, err)
		}
		err = c.rdb.Do(ctx, "XCFGSET", stream, "IDMP-DURATION", secs).Err()
	}
	if rediserr.IsOutOfMemory(err) {
		return publishError(stream, err)
	}
	if err != nil {
		return fmt.Errorf("pelican: configuring deduplication of %s: %w", stream, err)
	}
	c.idmpConfigured.Store(key, true)
	return nil
}

// publishWithMarker deduplicates on servers without XADD IDMP. Under WATCH
// of the marker and the stream, it returns the ID a marker records, or
// picks the next ID itself (so the marker can name it) and adds the entry
// and the marker in one MULTI/EXEC; a concurrent change to either key makes
// it start again.
func (c *Client) publishWithMarker(ctx context.Context, stream string, fields []any, opts *PublishOptions) (string, error) {
	marker := idempotencyMarker(stream, c.opts.ProducerID+":"+opts.IdempotencyKey)
	var id string
	for attempt := 0; attempt < 100; attempt++ {
		err := c.rdb.Watch(ctx, func(tx *redis.Tx) error {
			prev, err := tx.Get(ctx, marker).Result()
			if err == nil {
				id = prev
				return nil
			}
			if err != redis.Nil {
				return err
			}
			next, err := c.nextID(ctx, tx, stream)
			if err != nil {
				return err
			}
			a := opts.xaddArgs(stream, fields)
			a.ID = next
			var add *redis.StringCmd
			_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
				add = p.XAdd(ctx, a)
				p.Set(ctx, marker, next, c.opts.IdempotencyTTL)
				return nil
			})
			if err == nil {
				id = next
			}
			if rediserr.IsOutOfMemory(add.Err()) {
				// EXEC says only that a queued command was refused.
				err = add.Err()
			}
			return err
		}, marker, stream)
		if errors.Is(err, redis.TxFailedErr) {
			continue // the stream or the marker changed meanwhile
		}
		if err != nil {
			return "", publishError(stream, err)
		}
		return id, nil
	}
	return "", fmt.Errorf("pelican: publishing to %s: too much contention on the stream", stream)
}

// nextID returns the ID "*" would give the next entry of stream now:
// after its last generated ID, at the current time when that is later.
func (c *Client) nextID(ctx context.Context, tx *redis.Tx, stream string) (string, error) {
	var lastMs, lastSeq uint64
	info, err := tx.XInfoStream(ctx, stream).Result()
	switch {
	case err == nil:
		last, ok := streamid.Parse(info.LastGeneratedID)
		if !ok {
			return "", fmt.Errorf("pelican: unexpected last ID %q", info.LastGeneratedID)
		}
		lastMs, lastSeq = last.Ms, last.Seq
	case rediserr.IsNoSuchKey(err):
	default:
		return "", err
	}
	now := uint64(c.clock.Now().UnixMilli())
	if now > lastMs {
		return strconv.FormatUint(now, 10) + "-0", nil
	}
	return strconv.FormatUint(lastMs, 10) + "-" + strconv.FormatUint(lastSeq+1, 10), nil
}
