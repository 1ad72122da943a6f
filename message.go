package pelican

import (
	"context"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// Message is one stream entry delivered to a handler.
type Message struct {
	// ID is the entry's stream ID.
	ID string
	// Stream and Group are where it was delivered from.
	Stream, Group string
	// Values are the entry's fields.
	Values map[string]string
	// Deliveries counts the deliveries of this message, this one included:
	// 1 the first time.
	Deliveries int64
	// MaxDeliveries is the worker's limit: after that many failed
	// deliveries the message goes to the dead-letter stream.
	MaxDeliveries int

	tx      redis.Pipeliner // exactly-once mode: where the handler queues its writes
	codec   Codec           // what Decode decodes with: the worker's codec
	failure *failureRecord  // its failure record, when known
	// hctx is the context its handler runs under, allocated with its
	// read's batch (nil: allocated when the handler starts).
	hctx *handlerContext
	// batch is the read it came with, if it is owned with it, and owned
	// whether it is owned (see inFlight); guarded by inFlight.mu.
	batch *readBatch
	owned bool
	// ticket is set for a retry queued but not yet claimed (see
	// retrier.claimTicket); its other fields but ID and failure are unset.
	ticket *ticket
	// claimIdle is, for a message a read claimed (XREADGROUP CLAIM), the
	// idle time of its pending entry in ms; -1 for a new one.
	claimIdle int64
	// suspect is set for a message recovered from a worker that may have
	// died handling it (see recover.go); crashMarked once its crash record
	// is written, prevFailure holding the record it had before.
	suspect, crashMarked bool
	prevFailure          *failureRecord
}

// IdempotencyKey identifies this message in this group, the same on every
// redelivery: a handler with side effects outside Redis can use it to make
// them happen once.
func (m *Message) IdempotencyKey() string { return m.Stream + "/" + m.Group + "/" + m.ID }

// Tx returns the transaction an exactly-once handler queues its Redis
// writes on. They are applied, with the record that the message was
// processed and its acknowledgement, in one MULTI/EXEC when the handler
// returns nil, and discarded otherwise. It is nil in at-least-once mode.
func (m *Message) Tx() redis.Pipeliner { return m.tx }

// Decode decodes the message's payload, as published with PublishValue,
// into v, with the worker's codec (WorkerConfig.Codec). A message whose
// FieldContentType names another format, or whose payload does not decode
// into v, gives a *DecodeError: a permanent failure, which the handler can
// return as it is. A message without FieldContentType is decoded as if it
// were in the codec's format.
func (m *Message) Decode(v any) error {
	c := m.codec
	if c == nil {
		c = JSONCodec{}
	}
	return decodeValues(c, m.Values, v)
}

// ContentType returns the content type its publisher recorded for the
// message's payload (FieldContentType), "" if none: a handler of a stream
// with payloads in several formats can pick the codec to decode with.
func (m *Message) ContentType() string { return m.Values[FieldContentType] }

// Handler processes messages. Handle's error decides what happens to the
// message (see ErrPermanent, ErrUnavailable, RetryAfter); its context ends
// at the worker's handler time limit or shutdown.
type Handler interface {
	Handle(ctx context.Context, m *Message) error
}

// HandlerFunc adapts a function to the Handler interface.
type HandlerFunc func(ctx context.Context, m *Message) error

// Handle calls f(ctx, m).
func (f HandlerFunc) Handle(ctx context.Context, m *Message) error { return f(ctx, m) }

// toStrings converts go-redis's stream values.
func toStrings(v map[string]any) map[string]string {
	out := make(map[string]string, len(v))
	for k, x := range v {
		switch x := x.(type) {
		case string:
			out[k] = x
		default:
			out[k] = fmt.Sprint(x)
		}
	}
	return out
}
