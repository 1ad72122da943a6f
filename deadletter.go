package pelican

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pelicanhq/pelican/internal/watch"
)

// Fields of a dead-lettered message, besides its original fields. Their
// names carry ReservedPrefix, which publishing refuses, so they cannot
// collide with the message's own.
const (
	FieldOriginalID     = ReservedPrefix + "original-id"     // the message's ID in its stream
	FieldOriginalStream = ReservedPrefix + "original-stream" // the stream it came from
	FieldGroup          = ReservedPrefix + "group"           // the group that gave up on it
	FieldConsumer       = ReservedPrefix + "consumer"        // the consumer that moved it
	FieldDeliveries     = ReservedPrefix + "deliveries"      // its delivery count when moved
	FieldFirstFailure   = ReservedPrefix + "first-failure"   // Unix ms of its first failure
	FieldLastFailure    = ReservedPrefix + "last-failure"    // Unix ms of its last failure
	FieldError          = ReservedPrefix + "error"           // the last error's text
	FieldErrorClass     = ReservedPrefix + "error-class"     // the last error's class (Class*)
	FieldRedrives       = ReservedPrefix + "redrives"        // how often it was redriven to its stream
	FieldDeadAt         = ReservedPrefix + "dead-at"         // Unix ms of the move
)

// Fields of a message redriven from a dead-letter stream to its stream.
const (
	// FieldRedriveGroup names the group the message is redriven for:
	// workers of other groups acknowledge it without running their
	// handlers, since they processed it the first time.
	FieldRedriveGroup = ReservedPrefix + "redrive-group"
	// FieldRedrives (above) carries the redrive count: a redriven message
	// that fails again takes it back to the dead-letter stream.
)

// DeadLetterStreamOf returns the default dead-letter stream of stream:
// stream + ":dlq", which shares its Redis Cluster hash tag.
func DeadLetterStreamOf(stream string) string { return stream + ":dlq" }

// deadMarkerTTL is how long the marker that makes a dead-letter move
// happen once lives: far longer than two workers can race on a message.
const deadMarkerTTL = 24 * time.Hour

// DeadLetter describes a message moved to a dead-letter stream.
type DeadLetter struct {
	// ID is the message's ID in the dead-letter stream.
	ID string
	// OriginalID, Stream and Group say where it came from; Consumer which
	// worker moved it.
	OriginalID, Stream, Group, Consumer string
	// Deliveries is its delivery count when it was moved.
	Deliveries int64
	// FirstFailure and LastFailure bound its failures.
	FirstFailure, LastFailure time.Time
	// Error and Class describe the last failure.
	Error, Class string
	// Redrives counts the times it was sent back to its stream before.
	Redrives int64
	// Values are its original fields.
	Values map[string]string
}

// deadRequest is a message to move to the dead-letter stream, and why.
type deadRequest struct {
	m     *Message
	class string
	cause error
}

// deadLetter moves the messages of reqs to the dead-letter stream. In one
// MULTI/EXEC it adds each message with its metadata to the dead-letter
// stream, acknowledges them in their group, drops their failure records
// and sets a marker per message; all under WATCH of the markers, so that
// a crash leaves every message in exactly one place and two workers racing
// on a message move it once. In exactly-once mode the done markers are
// watched too, so that a message another worker processed meanwhile is
// not also dead-lettered. Messages whose markers exist are only
// acknowledged.
func (w *Worker) deadLetter(ctx context.Context, reqs []deadRequest) {
	now := w.c.clock.Now()
	letters := make([]DeadLetter, len(reqs))
	fields := make([][]any, len(reqs))
	ids := make([]string, len(reqs))
	nowMs := any(now.UnixMilli()) // boxed once for the batch
	for i, r := range reqs {
		letters[i], fields[i] = w.deadLetterEntry(r, now, nowMs)
		ids[i] = r.m.ID
	}
	// The markers whose existence means a message is settled: per
	// message, its dead-letter marker, then (exactly-once) its done marker.
	per := 1
	if w.cfg.ExactlyOnce {
		per = 2
	}
	markers := make([]string, 0, per*len(reqs))
	for _, r := range reqs {
		markers = append(markers, w.keys.deadMarker(r.m.ID))
		if w.cfg.ExactlyOnce {
			markers = append(markers, w.keys.doneMarker(r.m.ID))
		}
	}
	moved := make([]bool, len(reqs))
	for attempt := 0; ; attempt++ {
		var mget *redis.SliceCmd
		err := watch.Run(ctx, w.c.rdb, markers, func(p redis.Pipeliner) { mget = p.MGet(ctx, markers...) }, func(t *watch.Tx, _ []redis.Cmder, err error) error {
			if err != nil {
				return err
			}
			found := mget.Val()
			adds := make([]*redis.StringCmd, len(reqs))
			var fresh []string
			crashPoint("before-dead-letter")
			_, err = t.Exec(ctx, func(p redis.Pipeliner) {
				for i := range reqs {
					if slices.ContainsFunc(found[i*per:(i+1)*per], func(v any) bool { return v != nil }) {
						// Another worker moved it (or, in exactly-once mode,
						// processed it): only make sure it is acknowledged.
						continue
					}
					fresh = append(fresh, ids[i])
					adds[i] = p.XAdd(ctx, &redis.XAddArgs{Stream: w.cfg.DeadLetterStream, Values: fields[i]})
					p.Set(ctx, markers[i*per], "1", deadMarkerTTL)
				}
				p.XAck(ctx, w.cfg.Stream, w.cfg.Group, ids...)
				if len(fresh) > 0 {
					p.HDel(ctx, w.keys.failures(), fresh...)
				}
			})
			if err != nil {
				return err
			}
			for i, add := range adds {
				if add != nil {
					letters[i].ID, moved[i] = add.Val(), true
				}
			}
			crashPoint("after-dead-letter")
			return nil
		})
		if err == nil {
			break
		}
		if errors.Is(err, redis.TxFailedErr) && attempt < 3 {
			continue // a marker changed: look again
		}
		for _, r := range reqs {
			w.logFailure(r.m, r.class, r.cause, 0)
		}
		w.log.Error("pelican: moving messages to the dead-letter stream failed; they stay pending", "count", len(reqs), "err", err)
		return
	}
	for i := range letters {
		if !moved[i] {
			continue
		}
		d := &letters[i]
		w.stats.deadLettered.Add(1)
		w.log.LogAttrs(ctx, slog.LevelWarn, "pelican: message failed and moved to the dead-letter stream",
			slog.String("id", d.OriginalID), slog.Int64("deliveries", d.Deliveries),
			slog.Int("max_deliveries", w.cfg.MaxDeliveries), slog.String("class", d.Class), slog.String("err", d.Error),
			slog.String("dlq", w.cfg.DeadLetterStream), slog.String("dlq_id", d.ID))
		if w.cfg.OnDeadLetter != nil {
			d.Values = userValues(reqs[i].m.Values)
			w.cfg.OnDeadLetter(ctx, *d)
		}
	}
}

// deadLetterEntry returns the description of a dead letter (without its
// Values, which only the OnDeadLetter hook needs) and the fields of its
// entry in the dead-letter stream: the message's own fields, then the
// metadata.
// nowMs is now in Unix ms.
func (w *Worker) deadLetterEntry(r deadRequest, now time.Time, nowMs any) (DeadLetter, []any) {
	m := r.m
	d := DeadLetter{
		OriginalID: m.ID, Stream: w.cfg.Stream, Group: w.cfg.Group, Consumer: w.cfg.Consumer,
		Deliveries: m.Deliveries, FirstFailure: now, LastFailure: now,
		Error: errText(r.cause), Class: r.class,
	}
	if m.failure != nil {
		d.FirstFailure = m.failure.First
		if r.class == ClassMaxDeliveries {
			d.LastFailure, d.Class = m.failure.Last, m.failure.Class
		}
	}
	if v, ok := m.Values[FieldRedrives]; ok {
		d.Redrives, _ = strconv.ParseInt(v, 10, 64)
	}
	keys := make([]string, 0, len(m.Values))
	for k := range m.Values {
		if !strings.HasPrefix(k, ReservedPrefix) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	fields := make([]any, 0, 2*len(keys)+22)
	for _, k := range keys {
		fields = append(fields, k, m.Values[k])
	}
	first, last := nowMs, nowMs
	if !d.FirstFailure.Equal(now) {
		first = d.FirstFailure.UnixMilli()
	}
	if !d.LastFailure.Equal(now) {
		last = d.LastFailure.UnixMilli()
	}
	fields = append(fields,
		FieldOriginalID, d.OriginalID,
		FieldOriginalStream, w.boxed.stream,
		FieldGroup, w.boxed.group,
		FieldConsumer, w.boxed.consumer,
		FieldDeliveries, d.Deliveries,
		FieldFirstFailure, first,
		FieldLastFailure, last,
		FieldError, d.Error,
		FieldErrorClass, d.Class,
		FieldRedrives, d.Redrives,
		FieldDeadAt, nowMs,
	)
	return d, fields
}

// userValues returns values without the fields under ReservedPrefix.
func userValues(values map[string]string) map[string]string {
	out := make(map[string]string, len(values))
	for k, v := range values {
		if !strings.HasPrefix(k, ReservedPrefix) {
			out[k] = v
		}
	}
	return out
}
