package pelican

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pelicanhq/pelican/internal/rediserr"
)

// Scheduled messages. A message published with PublishOptions.Delay or
// At is not added to its stream at once: it waits in two keys of the
// stream's Redis Cluster slot,
//
//	S:pelican:scheduled           sorted set: member schedule ID, score the due time (Unix ms)
//	S:pelican:scheduled:payloads  hash: field schedule ID, value the XADD arguments (scheduleCodec)
//
// always written and removed together, in one MULTI/EXEC or script, so
// that one never holds an ID the other lacks. A mover (scheduler.go) adds
// the due ones to the stream and removes them from both keys in one atomic
// step; Cancel removes one from both keys in one MULTI/EXEC, and reports
// whether it was still there.

// scheduledKey is the due-time index of stream.
func scheduledKey(stream string) string { return stream + ":pelican:scheduled" }

// scheduledPayloadsKey is the hash of the payloads of stream's scheduled
// messages.
func scheduledPayloadsKey(stream string) string { return stream + ":pelican:scheduled:payloads" }

// scheduleIDPrefix starts every schedule ID. Stream IDs start with a
// digit, so the two cannot be confused.
const scheduleIDPrefix = "sched-"

// ErrInvalidSchedule means PublishOptions ask for a schedule that cannot
// be: a negative Delay, both Delay and At, an idempotency key with a
// schedule, or a message with too many fields to schedule.
var ErrInvalidSchedule = errors.New("pelican: invalid schedule")

// IsScheduleID reports whether id is a schedule ID, as Publish returns
// for a scheduled message, rather than a stream ID.
func IsScheduleID(id string) bool {
	_, ok := scheduleDue(id)
	return ok
}

// scheduleIDs returns n new schedule IDs for messages due at dueMs:
// "sched-<due, Unix ms>-<16 hex digits>". The due time in an ID lets a
// listing resume after a message that has left the index. The hex digits
// are a random number for the first and the next numbers for the others,
// so that the messages of a batch, due at the same millisecond, sort (and
// are moved) in the batch's order.
func scheduleIDs(dueMs int64, n int) ([]string, error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, fmt.Errorf("pelican: making a schedule ID: %w", err)
	}
	// The top bit clear leaves room for 2^63 successors without wrapping.
	r := binary.BigEndian.Uint64(b[:]) >> 1
	prefix := scheduleIDPrefix + strconv.FormatInt(dueMs, 10) + "-"
	ids := make([]string, n)
	for i := range ids {
		binary.BigEndian.PutUint64(b[:], r+uint64(i))
		ids[i] = prefix + hex.EncodeToString(b[:])
	}
	return ids, nil
}

// scheduleDue returns the due time in a schedule ID, in Unix ms.
func scheduleDue(id string) (int64, bool) {
	rest, ok := strings.CutPrefix(id, scheduleIDPrefix)
	if !ok {
		return 0, false
	}
	due, random, ok := strings.Cut(rest, "-")
	if !ok || len(random) != 16 {
		return 0, false
	}
	if _, err := hex.DecodeString(random); err != nil {
		return 0, false
	}
	ms, err := strconv.ParseInt(due, 10, 64)
	return ms, err == nil
}

// dueTime returns the time o schedules a message for, and whether o
// schedules it at all.
func (o *PublishOptions) dueTime(now time.Time) (time.Time, bool, error) {
	if o == nil || (o.Delay == 0 && o.At.IsZero()) {
		return time.Time{}, false, nil
	}
	switch {
	case o.Delay < 0:
		return time.Time{}, false, fmt.Errorf("%w: negative Delay %v", ErrInvalidSchedule, o.Delay)
	case o.Delay > 0 && !o.At.IsZero():
		return time.Time{}, false, fmt.Errorf("%w: set Delay or At, not both", ErrInvalidSchedule)
	case o.IdempotencyKey != "":
		return time.Time{}, false, fmt.Errorf("%w: a scheduled message takes no idempotency key", ErrInvalidSchedule)
	case o.Delay > 0:
		return now.Add(o.Delay), true, nil
	}
	return o.At, true, nil
}

// maxScheduleArgs is the most XADD arguments a scheduled message may
// have: the move script passes them with Lua's unpack, which Redis limits
// to about 8000 values.
const maxScheduleArgs = maxScriptFields

// scheduleCodec writes and reads a scheduled message's payload: the
// arguments of its XADD after the key (trimming options, "*", then the
// field values), each as <decimal length>:<bytes>, after a version
// element "1". The move script reads it with string.find and string.sub.
type scheduleCodec struct{}

func (scheduleCodec) encode(args []any) string {
	var b strings.Builder
	put := func(s string) {
		b.WriteString(strconv.Itoa(len(s)))
		b.WriteByte(':')
		b.WriteString(s)
	}
	put("1")
	for _, a := range args {
		switch a := a.(type) {
		case string:
			put(a)
		case int64:
			put(strconv.FormatInt(a, 10))
		default:
			put(fmt.Sprint(a))
		}
	}
	return b.String()
}

func (scheduleCodec) decode(s string) ([]string, error) {
	var out []string
	for len(s) > 0 {
		colon := strings.IndexByte(s, ':')
		if colon < 0 {
			return nil, errors.New("pelican: malformed scheduled payload: no length")
		}
		n, err := strconv.Atoi(s[:colon])
		if err != nil || n < 0 || colon+1+n > len(s) {
			return nil, errors.New("pelican: malformed scheduled payload: bad length")
		}
		out = append(out, s[colon+1:colon+1+n])
		s = s[colon+1+n:]
	}
	if len(out) == 0 || out[0] != "1" {
		return nil, errors.New("pelican: scheduled payload of an unknown version")
	}
	return out[1:], nil
}

// scheduleArgs returns the XADD arguments, after the key, that the mover
// adds a message with: the options' trimming, "*", then the fields.
func (o *PublishOptions) scheduleArgs(values map[string]string) []any {
	var args []any
	if o.MaxLen > 0 {
		args = append(args, "MAXLEN")
		if o.Approx {
			args = append(args, "~")
		}
		args = append(args, o.MaxLen)
	} else if o.MinID != "" {
		args = append(args, "MINID")
		if o.Approx {
			args = append(args, "~")
		}
		args = append(args, o.MinID)
	}
	return append(append(args, "*"), flatten(values)...)
}

// publishScheduled holds the messages of batch in stream's due-time index
// until due, in one MULTI/EXEC, and returns their schedule IDs.
func (c *Client) publishScheduled(ctx context.Context, stream string, batch []map[string]string, due time.Time, opts *PublishOptions) (ids []string, err error) {
	dueMs := due.UnixMilli()
	ids, err = scheduleIDs(dueMs, len(batch))
	if err != nil {
		return nil, err
	}
	members := make([]redis.Z, len(batch))
	payloads := make([]any, 0, 2*len(batch))
	var dones []func(string, error) // the publish hooks' ends, one per message
	defer func() {
		for i, done := range dones {
			if done != nil {
				done(ids[i], err)
			}
		}
	}()
	for i, values := range batch {
		values, done := c.withHeaders(ctx, stream, values)
		if done != nil {
			if dones == nil {
				dones = make([]func(string, error), len(batch))
			}
			dones[i] = done
		}
		args := opts.scheduleArgs(values)
		if len(args) > maxScheduleArgs {
			return nil, fmt.Errorf("%w: a scheduled message may have at most %d fields", ErrInvalidSchedule, (maxScheduleArgs-6)/2)
		}
		members[i] = redis.Z{Score: float64(dueMs), Member: ids[i]}
		payloads = append(payloads, ids[i], scheduleCodec{}.encode(args))
	}
	cmds, err := c.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HSet(ctx, scheduledPayloadsKey(stream), payloads...)
		p.ZAdd(ctx, scheduledKey(stream), members...)
		return nil
	})
	if err != nil {
		// EXECABORT says only that a queued command was refused: say which
		// and why (a server without sorted sets refuses ZADD).
		for _, cmd := range cmds {
			if cerr := cmd.Err(); cerr != nil && cerr != err {
				err = fmt.Errorf("%w (%s)", cerr, err)
				break
			}
		}
		return nil, scheduleError(stream, err)
	}
	c.movers.wake(stream, due, c.clock.Now())
	return ids, nil
}

// scheduleError wraps a failure to schedule a message of stream.
func scheduleError(stream string, err error) error {
	if rediserr.IsOutOfMemory(err) {
		return &outOfMemoryError{stream: stream, err: err}
	}
	if rediserr.IsWrongType(err) {
		return fmt.Errorf("pelican: scheduling for %s: %w: %s or %s: %w", stream, ErrWrongType, scheduledKey(stream), scheduledPayloadsKey(stream), err)
	}
	return fmt.Errorf("pelican: scheduling for %s: %w", stream, err)
}

// Cancel cancels the scheduled message of stream whose schedule ID Publish
// returned, and reports whether it did: false when the message had
// already been moved into the stream (or cancelled, or never existed). A
// message is either cancelled or moved, never both.
func (c *Client) Cancel(ctx context.Context, stream, scheduleID string) (bool, error) {
	if !IsScheduleID(scheduleID) {
		return false, fmt.Errorf("%w: %q is not a schedule ID", ErrInvalidSchedule, scheduleID)
	}
	var rem *redis.IntCmd
	_, err := c.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		rem = p.ZRem(ctx, scheduledKey(stream), scheduleID)
		p.HDel(ctx, scheduledPayloadsKey(stream), scheduleID)
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("pelican: cancelling %s of %s: %w", scheduleID, stream, err)
	}
	return rem.Val() == 1, nil
}

// ScheduledStats are the figures of a stream's scheduled messages.
type ScheduledStats struct {
	// Count is how many messages wait to be moved into the stream, due or
	// not.
	Count int64
	// NextDue is the earliest due time among them; zero when none waits.
	NextDue time.Time
	// Due is how many of them are due already (by the client's clock):
	// a number that stays high says no mover runs for the stream.
	Due int64
}

// ScheduledStats returns the figures of stream's scheduled messages, in
// one round trip. A server without sorted sets holds none: zero figures.
func (c *Client) ScheduledStats(ctx context.Context, stream string) (ScheduledStats, error) {
	key := scheduledKey(stream)
	now := c.clock.Now().UnixMilli()
	var card, due *redis.IntCmd
	var first *redis.ZSliceCmd
	_, err := c.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		card = p.ZCard(ctx, key)
		due = p.ZCount(ctx, key, "-inf", strconv.FormatInt(now, 10))
		first = p.ZRangeWithScores(ctx, key, 0, 0)
		return nil
	})
	if err != nil {
		switch {
		case rediserr.IsUnknownCommand(err):
			return ScheduledStats{}, nil
		case rediserr.IsWrongType(err):
			return ScheduledStats{}, fmt.Errorf("%w: %s", ErrWrongType, key)
		}
		return ScheduledStats{}, fmt.Errorf("pelican: reading %s: %w", key, err)
	}
	st := ScheduledStats{Count: card.Val(), Due: due.Val()}
	if f := first.Val(); len(f) > 0 {
		st.NextDue = time.UnixMilli(int64(f[0].Score))
	}
	return st, nil
}

// ScheduledMessage is a message waiting in a stream's due-time index.
type ScheduledMessage struct {
	// ID is its schedule ID, as Publish returned it.
	ID string
	// Due is when it is to be moved into the stream.
	Due time.Time
	// Values are its fields.
	Values map[string]string
}

// ListScheduledOptions select a page of ListScheduled.
type ListScheduledOptions struct {
	// After is the cursor: the ID of the last message of the previous
	// page. If empty, the listing starts with the next message due.
	After string
	// Count is the most messages a page holds. If zero, 100.
	Count int
}

// ListScheduled returns a page of stream's scheduled messages in the
// order they are due (messages due at the same millisecond in the order
// of their IDs), and the cursor of the next page: empty at the end. It
// only reads. A page resumes right after its cursor even if that message
// was moved or cancelled meanwhile; messages scheduled meanwhile appear
// where they are due, so a listing that runs while messages are scheduled
// earlier than its cursor does not show them.
func (c *Client) ListScheduled(ctx context.Context, stream string, opts ListScheduledOptions) ([]ScheduledMessage, string, error) {
	count := opts.Count
	if count <= 0 {
		count = 100
	}
	key := scheduledKey(stream)
	page, err := c.scheduledPage(ctx, key, opts.After, count)
	if err != nil {
		if rediserr.IsWrongType(err) {
			return nil, "", fmt.Errorf("%w: %s", ErrWrongType, key)
		}
		return nil, "", fmt.Errorf("pelican: listing %s: %w", key, err)
	}
	if len(page) == 0 {
		return nil, "", nil
	}
	ids := make([]string, len(page))
	for i, z := range page {
		ids[i] = z.Member.(string)
	}
	raw, err := c.rdb.HMGet(ctx, scheduledPayloadsKey(stream), ids...).Result()
	if err != nil {
		return nil, "", fmt.Errorf("pelican: listing %s: %w", scheduledPayloadsKey(stream), err)
	}
	out := make([]ScheduledMessage, 0, len(page))
	for i, z := range page {
		s, ok := raw[i].(string)
		if !ok {
			continue // moved or cancelled since the index was read
		}
		args, err := scheduleCodec{}.decode(s)
		if err != nil {
			return nil, "", fmt.Errorf("pelican: listing %s: %s: %w", key, ids[i], err)
		}
		out = append(out, ScheduledMessage{ID: ids[i], Due: time.UnixMilli(int64(z.Score)), Values: scheduledValues(args)})
	}
	next := ""
	if len(page) == count {
		next = ids[len(ids)-1]
	}
	return out, next, nil
}

// scheduledValues returns the fields among a payload's XADD arguments:
// those after the "*".
func scheduledValues(args []string) map[string]string {
	for i, a := range args {
		if a == "*" {
			fields := args[i+1:]
			values := make(map[string]string, len(fields)/2)
			for j := 0; j+1 < len(fields); j += 2 {
				values[fields[j]] = fields[j+1]
			}
			return values
		}
	}
	return nil
}

// scheduledPage returns up to count members of the index key, with their
// scores, that follow the member after in the index's order.
//
// While after is in the index, the page is read by rank: ZRANGE from its
// rank, checked to start with after (a member removed or added before it
// between ZRANK and ZRANGE shifts the ranks; then it tries again). Once
// after has left the index, its due time (in its ID) and ID still say
// where it was: the page is read by score from that due time, passing the
// members due at the same millisecond that sort before it.
func (c *Client) scheduledPage(ctx context.Context, key, after string, count int) ([]redis.Z, error) {
	if after == "" {
		return c.rdb.ZRangeWithScores(ctx, key, 0, int64(count-1)).Result()
	}
	dueMs, ok := scheduleDue(after)
	if !ok {
		return nil, fmt.Errorf("%w: cursor %q is not a schedule ID", ErrInvalidSchedule, after)
	}
	for attempt := 0; attempt < 10; attempt++ {
		rank, err := c.rdb.ZRank(ctx, key, after).Result()
		if err == redis.Nil {
			break
		}
		if err != nil {
			return nil, err
		}
		zs, err := c.rdb.ZRangeWithScores(ctx, key, rank, rank+int64(count)).Result()
		if err != nil {
			return nil, err
		}
		if len(zs) > 0 && zs[0].Member == after {
			return zs[1:], nil
		}
	}
	var out []redis.Z
	min := strconv.FormatInt(dueMs, 10)
	for offset := int64(0); len(out) < count; {
		zs, err := c.rdb.ZRangeByScoreWithScores(ctx, key, &redis.ZRangeBy{Min: min, Max: "+inf", Offset: offset, Count: int64(count)}).Result()
		if err != nil {
			return nil, err
		}
		for _, z := range zs {
			if int64(z.Score) == dueMs && z.Member.(string) <= after {
				continue
			}
			if len(out) < count {
				out = append(out, z)
			}
		}
		if len(zs) < count {
			break
		}
		offset += int64(len(zs))
	}
	return out, nil
}
