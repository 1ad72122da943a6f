// Package pelicanotel traces Pelican's messages with OpenTelemetry, so
// that one message can be followed from its publish, through its failed
// deliveries and the dead-letter stream, to a redrive and the delivery
// that succeeds: every step is a span of the same trace.
//
// It plugs into Pelican's hooks, one per step, each free when unused:
//
//	c := pelican.New(rdb, pelican.Options{
//		PublishHooks: []pelican.PublishHook{pelicanotel.PublishHook()}, // "send <stream>" spans; the trace context goes with the message
//	})
//	w, _ := c.NewWorker(pelican.WorkerConfig{
//		Stream: "orders", Group: "billing", Handler: h,
//		Middleware:   []pelican.Middleware{pelicanotel.Middleware()}, // "process <stream>" spans
//		OnDeadLetter: pelicanotel.OnDeadLetter(nil),                  // "dead_letter <stream>" spans
//	})
//	job, _ := dlq.ForStream(c, "orders").Redrive(ctx, sel, dlq.RedriveOptions{
//		OnRedrive: pelicanotel.OnRedrive(), // "redrive <stream>" spans
//	})
//
// The publisher's span context travels in the message's headers
// "traceparent" and "tracestate" (the fields pelican:h:traceparent and
// pelican:h:tracestate, see pelican.HeaderPrefix), in the W3C Trace
// Context format. A dead letter keeps them and a redrive sends them back
// with the message, so the spans of every later step are children of the
// publisher's span: the worker has no context of its own to continue, and
// the OpenTelemetry messaging conventions let a single message's process
// span take the creation context as its parent.
//
// Spans follow the messaging semantic conventions (semconv v1.43.0):
// messaging.system "redis_streams", messaging.destination.name (the
// stream), messaging.consumer.group.name, messaging.message.id,
// messaging.operation.type and .name, and the delivery count as
// messaging.redis_streams.message.delivery_count. A failed delivery's span
// has status Error, the error recorded, error.type set to its failure
// class (pelican.ClassPanic, ClassTimeout...) and pelican.outcome to what
// the worker does next (retry, dead-letter, give-back); a message
// recovered from a dead worker (claimed) gets the event
// "pelican.recovered".
//
// Applications that do not import this package do not link OpenTelemetry.
package pelicanotel

import (
	"context"
	"strings"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/pelicanhq/pelican"
)

// ScopeName is the instrumentation scope of the spans: the package's
// import path.
const ScopeName = "github.com/pelicanhq/pelican/pelicanotel"

// System is the value of messaging.system on every span: Pelican's
// messages are Redis Streams entries, and the conventions list no value
// for them.
const System = "redis_streams"

// Attribute keys the conventions do not define.
const (
	// DeliveryCountKey is a delivery's count, 1 the first time (named as
	// the conventions name the delivery counts of other systems).
	DeliveryCountKey = attribute.Key("messaging.redis_streams.message.delivery_count")
	// OutcomeKey is what the worker does with a message after a delivery:
	// "ack", "retry", "dead-letter" or "give-back" (pelican.Result).
	OutcomeKey = attribute.Key("pelican.outcome")
	// DeadLetterIDKey is a dead letter's ID in the dead-letter stream.
	DeadLetterIDKey = attribute.Key("pelican.dead_letter.id")
	// RedrivesKey is how many times a message was redriven.
	RedrivesKey = attribute.Key("pelican.redrives")
)

// Option configures the hooks of this package.
type Option func(*config)

type config struct {
	tp   trace.TracerProvider
	prop propagation.TextMapPropagator
}

// WithTracerProvider makes the spans with tp. If not given, the global
// provider (otel.GetTracerProvider) as of the hook's creation is used.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return func(c *config) { c.tp = tp }
}

// WithPropagator carries the trace context in headers with p. If not
// given, the W3C Trace Context (propagation.TraceContext) is used, whatever
// the global propagator is: a message's headers must be read by every
// consumer alike.
func WithPropagator(p propagation.TextMapPropagator) Option {
	return func(c *config) { c.prop = p }
}

func newConfig(opts []Option) (trace.Tracer, propagation.TextMapPropagator) {
	c := config{}
	for _, o := range opts {
		o(&c)
	}
	if c.tp == nil {
		c.tp = otel.GetTracerProvider()
	}
	if c.prop == nil {
		c.prop = propagation.TraceContext{}
	}
	return c.tp.Tracer(ScopeName), c.prop
}

var systemAttr = semconv.MessagingSystemKey.String(System)

// PublishHook returns a hook for pelican.Options.PublishHooks that makes
// a "send <stream>" span (kind producer) for every message published,
// a child of the span in the publisher's context, and carries its context
// in the message's headers.
func PublishHook(opts ...Option) pelican.PublishHook {
	tracer, prop := newConfig(opts)
	return func(ctx context.Context, stream string, setHeader func(name, value string)) func(string, error) {
		ctx, span := tracer.Start(ctx, "send "+stream,
			trace.WithSpanKind(trace.SpanKindProducer),
			trace.WithAttributes(systemAttr,
				semconv.MessagingDestinationName(stream),
				semconv.MessagingOperationTypeSend,
				semconv.MessagingOperationName("send")))
		prop.Inject(ctx, setCarrier(setHeader))
		return func(id string, err error) {
			if err != nil {
				span.RecordError(err)
				span.SetStatus(codes.Error, err.Error())
			} else {
				span.SetAttributes(semconv.MessagingMessageID(id))
			}
			span.End()
		}
	}
}

// Middleware returns a worker middleware that runs each delivery in a
// "process <stream>" span (kind consumer), a child of the publisher's span
// when the message carries its context. The handler's context holds the
// span, so the handler's own spans nest under it. Put it first in
// WorkerConfig.Middleware, so that its span covers the others.
func Middleware(opts ...Option) pelican.Middleware {
	tracer, prop := newConfig(opts)
	return func(next pelican.Handler) pelican.Handler {
		return pelican.HandlerFunc(func(ctx context.Context, m *pelican.Message) error {
			parent := prop.Extract(ctx, messageCarrier{m})
			sctx, span := tracer.Start(parent, "process "+m.Stream,
				trace.WithSpanKind(trace.SpanKindConsumer),
				trace.WithAttributes(systemAttr,
					semconv.MessagingDestinationName(m.Stream),
					semconv.MessagingConsumerGroupName(m.Group),
					semconv.MessagingMessageID(m.ID),
					semconv.MessagingOperationTypeProcess,
					semconv.MessagingOperationName("process"),
					DeliveryCountKey.Int64(m.Deliveries)))
			defer span.End()
			if m.Recovered() {
				span.AddEvent("pelican.recovered", trace.WithAttributes(DeliveryCountKey.Int64(m.Deliveries)))
			}
			err := next.Handle(sctx, m)
			out := pelican.OutcomeOf(ctx, m, err)
			span.SetAttributes(OutcomeKey.String(out.Result.String()))
			if err != nil {
				span.RecordError(err)
				span.SetStatus(codes.Error, err.Error())
				span.SetAttributes(semconv.ErrorTypeKey.String(out.Class))
			}
			return err
		})
	}
}

// OnDeadLetter returns a function for WorkerConfig.OnDeadLetter that
// records each move to the dead-letter stream as a "dead_letter <stream>"
// span, a child of the publisher's span, then calls next (if not nil).
func OnDeadLetter(next func(context.Context, pelican.DeadLetter), opts ...Option) func(context.Context, pelican.DeadLetter) {
	tracer, prop := newConfig(opts)
	return func(ctx context.Context, d pelican.DeadLetter) {
		parent := prop.Extract(ctx, propagation.MapCarrier(d.Headers))
		_, span := tracer.Start(parent, "dead_letter "+d.Stream,
			trace.WithTimestamp(d.DeadAt),
			trace.WithAttributes(systemAttr,
				semconv.MessagingDestinationName(d.Stream),
				semconv.MessagingConsumerGroupName(d.Group),
				semconv.MessagingMessageID(d.OriginalID),
				DeliveryCountKey.Int64(d.Deliveries),
				DeadLetterIDKey.String(d.ID),
				semconv.ErrorTypeKey.String(d.Class)))
		span.SetStatus(codes.Error, d.Error)
		span.End()
		if next != nil {
			next(ctx, d)
		}
	}
}

// OnRedrive returns a function for dlq.RedriveOptions.OnRedrive that
// records each message a redrive sends back to its stream as a "redrive
// <stream>" span, a child of the publisher's span, covering the batch's
// transaction.
func OnRedrive(opts ...Option) func(context.Context, pelican.DeadLetter) func(string, error) {
	tracer, prop := newConfig(opts)
	return func(ctx context.Context, d pelican.DeadLetter) func(string, error) {
		parent := prop.Extract(ctx, propagation.MapCarrier(d.Headers))
		_, span := tracer.Start(parent, "redrive "+d.Stream,
			trace.WithAttributes(systemAttr,
				semconv.MessagingDestinationName(d.Stream),
				semconv.MessagingConsumerGroupName(d.Group),
				DeadLetterIDKey.String(d.ID),
				RedrivesKey.Int64(d.Redrives+1)))
		return func(id string, err error) {
			if err != nil {
				span.RecordError(err)
				span.SetStatus(codes.Error, err.Error())
			} else {
				span.SetAttributes(semconv.MessagingMessageID(id))
			}
			span.End()
		}
	}
}

// setCarrier writes a trace context into the headers of a message being
// published.
type setCarrier func(name, value string)

func (s setCarrier) Get(string) string      { return "" }
func (s setCarrier) Set(name, value string) { s(name, value) }
func (s setCarrier) Keys() []string         { return nil }

// messageCarrier reads a trace context from a message's headers.
type messageCarrier struct{ m *pelican.Message }

func (c messageCarrier) Get(key string) string { return c.m.Header(key) }
func (messageCarrier) Set(string, string)      {}

// Keys returns the names of the message's headers.
func (c messageCarrier) Keys() []string {
	var keys []string
	for k := range c.m.Values {
		if name, ok := strings.CutPrefix(k, pelican.HeaderPrefix); ok {
			keys = append(keys, name)
		}
	}
	return keys
}
