package pelican

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
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

// deadLetter moves m to the dead-letter stream: in one MULTI/EXEC it adds
// the message with its metadata to the dead-letter stream, acknowledges it
// in its group, drops its failure record and sets a marker, all under
// WATCH of the marker, so that a crash leaves the message in exactly one
// place and two workers racing on it move it once.
func (w *Worker) deadLetter(ctx context.Context, m *Message, class string, cause error) {
	now := w.c.clock.Now()
	d := DeadLetter{
		OriginalID: m.ID, Stream: w.cfg.Stream, Group: w.cfg.Group, Consumer: w.cfg.Consumer,
		Deliveries: m.Deliveries, FirstFailure: now, LastFailure: now,
		Error: errText(cause), Class: class, Values: map[string]string{},
	}
	if m.failure != nil {
		d.FirstFailure = m.failure.First
		if class == ClassMaxDeliveries {
			d.LastFailure, d.Class = m.failure.Last, m.failure.Class
		}
	}
	for k, v := range m.Values {
		if strings.HasPrefix(k, ReservedPrefix) {
			if k == FieldRedrives {
				d.Redrives, _ = strconv.ParseInt(v, 10, 64)
			}
			continue
		}
		d.Values[k] = v
	}
	fields := flatten(d.Values)
	fields = append(fields,
		FieldOriginalID, d.OriginalID,
		FieldOriginalStream, d.Stream,
		FieldGroup, d.Group,
		FieldConsumer, d.Consumer,
		FieldDeliveries, d.Deliveries,
		FieldFirstFailure, d.FirstFailure.UnixMilli(),
		FieldLastFailure, d.LastFailure.UnixMilli(),
		FieldError, d.Error,
		FieldErrorClass, d.Class,
		FieldRedrives, d.Redrives,
		FieldDeadAt, now.UnixMilli(),
	)
	// The dead-letter marker makes the move happen once; in exactly-once
	// mode the done marker is watched too, so that a message another
	// worker processed meanwhile is not also dead-lettered.
	marker := w.keys.deadMarker(m.ID)
	watched := []string{marker}
	if w.cfg.ExactlyOnce {
		watched = append(watched, w.keys.doneMarker(m.ID))
	}
	moved := false
	for attempt := 0; attempt < 3; attempt++ {
		err := w.c.rdb.Watch(ctx, func(tx *redis.Tx) error {
			n, err := tx.Exists(ctx, watched...).Result()
			if err != nil {
				return err
			}
			if n > 0 {
				// Another worker moved it (or, in exactly-once mode,
				// processed it): only make sure it is acknowledged.
				return tx.XAck(ctx, w.cfg.Stream, w.cfg.Group, m.ID).Err()
			}
			var add *redis.StringCmd
			crashPoint("before-dead-letter")
			_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
				add = p.XAdd(ctx, &redis.XAddArgs{Stream: w.cfg.DeadLetterStream, Values: fields})
				p.XAck(ctx, w.cfg.Stream, w.cfg.Group, m.ID)
				p.HDel(ctx, w.keys.failures(), m.ID)
				p.Set(ctx, marker, "1", deadMarkerTTL)
				return nil
			})
			if err == nil {
				d.ID, moved = add.Val(), true
				crashPoint("after-dead-letter")
			}
			return err
		}, watched...)
		if errors.Is(err, redis.TxFailedErr) {
			continue // the marker changed: look again
		}
		if err != nil {
			w.log.Error("pelican: moving a message to the dead-letter stream failed; it stays pending", "id", m.ID, "deliveries", m.Deliveries, "err", err)
			return
		}
		break
	}
	if !moved {
		return
	}
	w.stats.deadLettered.Add(1)
	w.log.Warn("pelican: message moved to the dead-letter stream", "id", m.ID, "deliveries", m.Deliveries, "dlq", w.cfg.DeadLetterStream, "dlq_id", d.ID, "class", d.Class, "err", d.Error)
	if w.cfg.OnDeadLetter != nil {
		w.cfg.OnDeadLetter(ctx, d)
	}
}
