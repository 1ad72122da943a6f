package pelicanotel_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/pelicanhq/pelican"
	"github.com/pelicanhq/pelican/dlq"
	"github.com/pelicanhq/pelican/internal/await"
	"github.com/pelicanhq/pelican/internal/backendtest"
	"github.com/pelicanhq/pelican/pelicanotel"
)

// TestTraceFollowsAFailingOrder follows one order on every backend, in
// the in-memory exporter: published inside the caller's span, it fails
// three deliveries, is dead-lettered, redriven once its cause is fixed,
// and succeeds. Every step is a span of the caller's trace, under the
// publisher's span.
func TestTraceFollowsAFailingOrder(t *testing.T) {
	for _, b := range backendtest.Backends {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			exp := tracetest.NewInMemoryExporter()
			tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
			defer tp.Shutdown(context.Background())
			with := pelicanotel.WithTracerProvider(tp)
			c := b.Open(t, pelican.Options{PublishHooks: []pelican.PublishHook{pelicanotel.PublishHook(with)}})
			ctx := context.Background()

			// The order, published while the caller handles a request.
			reqCtx, req := tp.Tracer("shop").Start(ctx, "checkout")
			id, err := c.Publish(reqCtx, "orders", map[string]string{"order": "13"}, nil)
			req.End()
			if err != nil {
				t.Fatal(err)
			}
			traceID := req.SpanContext().TraceID()

			var fixed atomic.Bool
			var deadLettered atomic.Int64
			w, err := c.NewWorker(pelican.WorkerConfig{
				Stream: "orders", Group: "billing", Consumer: "b1",
				Handler: pelican.HandlerFunc(func(ctx context.Context, m *pelican.Message) error {
					if !trace.SpanContextFromContext(ctx).IsValid() {
						t.Error("the handler's context holds no span")
					}
					if !fixed.Load() {
						return errors.New("product 7781 not found")
					}
					return nil
				}),
				Middleware:    []pelican.Middleware{pelicanotel.Middleware(with)},
				OnDeadLetter:  pelicanotel.OnDeadLetter(func(context.Context, pelican.DeadLetter) { deadLettered.Add(1) }, with),
				MaxDeliveries: 3,
				Block:         50 * time.Millisecond, Backoff: pelican.Delays{20 * time.Millisecond}, RetryInterval: 20 * time.Millisecond,
				HeartbeatInterval: 50 * time.Millisecond, ClaimMinIdle: time.Second,
			})
			if err != nil {
				t.Fatal(err)
			}
			runCtx, stop := context.WithCancel(ctx)
			done := make(chan error, 1)
			go func() { done <- w.Run(runCtx) }()
			defer func() {
				stop()
				if err := <-done; err != nil {
					t.Errorf("Run: %v", err)
				}
			}()
			await.True(t, "the order is dead-lettered", func() bool { return deadLettered.Load() == 1 })

			// The cause is fixed: redrive it.
			fixed.Store(true)
			q := dlq.ForStream(c, "orders")
			job, err := q.Redrive(ctx, dlq.Selector{All: true}, dlq.RedriveOptions{OnRedrive: pelicanotel.OnRedrive(with)})
			if err != nil {
				t.Fatal(err)
			}
			if p, err := job.Wait(ctx); err != nil || p.Moved != 1 {
				t.Fatalf("redrive: %+v, %v; want 1 moved", p, err)
			}
			await.True(t, "the redriven order is processed", func() bool { return w.Stats().Processed == 1 })

			spans := exp.GetSpans()
			slices.SortStableFunc(spans, func(a, b tracetest.SpanStub) int { return a.StartTime.Compare(b.StartTime) })
			var send tracetest.SpanStub
			for _, s := range spans {
				if s.Name == "send orders" {
					send = s
				}
			}
			type step struct {
				Name       string
				Kind       trace.SpanKind
				Deliveries int64
				Outcome    string
				Error      bool
			}
			var got []step
			for _, s := range spans {
				if s.SpanContext.TraceID() != traceID {
					t.Errorf("span %q is on trace %s, want the caller's %s", s.Name, s.SpanContext.TraceID(), traceID)
				}
				switch s.Name {
				case "checkout":
					continue
				case "send orders":
					if s.Parent.SpanID() != req.SpanContext().SpanID() {
						t.Errorf("the send span's parent is %s, want the caller's span", s.Parent.SpanID())
					}
					if v := attr(s, "messaging.message.id"); v != id {
						t.Errorf("the send span's message ID is %q, want %q", v, id)
					}
				default:
					if s.Parent.SpanID() != send.SpanContext.SpanID() {
						t.Errorf("span %q's parent is %s, want the send span %s", s.Name, s.Parent.SpanID(), send.SpanContext.SpanID())
					}
				}
				n, _ := attrValue(s, "messaging.redis_streams.message.delivery_count")
				got = append(got, step{s.Name, s.SpanKind, n.AsInt64(), attr(s, "pelican.outcome"), s.Status.Code == codes.Error})
			}
			want := []step{
				{"send orders", trace.SpanKindProducer, 0, "", false},
				{"process orders", trace.SpanKindConsumer, 1, "retry", true},
				{"process orders", trace.SpanKindConsumer, 2, "retry", true},
				{"process orders", trace.SpanKindConsumer, 3, "dead-letter", true},
				{"dead_letter orders", trace.SpanKindInternal, 3, "", true},
				{"redrive orders", trace.SpanKindInternal, 0, "", false},
				{"process orders", trace.SpanKindConsumer, 1, "ack", false},
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("the order's trace (-want +got):\n%s", diff)
			}
			for _, s := range spans {
				if s.Name != "process orders" {
					continue
				}
				for k, v := range map[string]string{
					"messaging.system": "redis_streams", "messaging.destination.name": "orders",
					"messaging.consumer.group.name": "billing", "messaging.operation.type": "process",
				} {
					if got := attr(s, k); got != v {
						t.Errorf("process span: %s = %q, want %q", k, got, v)
					}
				}
				if got := attr(s, "messaging.message.id"); got == "" {
					t.Error("process span without messaging.message.id")
				}
			}
		})
	}
}

// TestPublishBatchInjectsEachMessage checks that every message of a batch
// gets its own send span and trace context, and that a client without
// hooks adds no header.
func TestPublishBatchInjectsEachMessage(t *testing.T) {
	backendtest.Each(t, func(t *testing.T, plain *pelican.Client) {
		ctx := context.Background()
		ids, err := plain.PublishBatch(ctx, "events", []map[string]string{{"n": "0"}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		msgs, err := plain.Redis().XRange(ctx, "events", ids[0], ids[0]).Result()
		if err != nil || len(msgs) != 1 {
			t.Fatalf("XRANGE: %v, %v", msgs, err)
		}
		for k := range msgs[0].Values {
			if strings.HasPrefix(k, pelican.ReservedPrefix) {
				t.Errorf("a client without hooks added %s", k)
			}
		}

		exp := tracetest.NewInMemoryExporter()
		tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
		defer tp.Shutdown(ctx)
		c := pelican.New(plain.Redis(), pelican.Options{Logger: backendtest.Quiet(),
			PublishHooks: []pelican.PublishHook{pelicanotel.PublishHook(pelicanotel.WithTracerProvider(tp))}})
		batch := make([]map[string]string, 3)
		for i := range batch {
			batch[i] = map[string]string{"n": fmt.Sprint(i)}
		}
		ids, err = c.PublishBatch(ctx, "events", batch, nil)
		if err != nil {
			t.Fatal(err)
		}
		spans := exp.GetSpans()
		if len(spans) != 3 {
			t.Fatalf("%d spans, want 3", len(spans))
		}
		for i, id := range ids {
			msgs, err := c.Redis().XRange(ctx, "events", id, id).Result()
			if err != nil || len(msgs) != 1 {
				t.Fatalf("XRANGE: %v, %v", msgs, err)
			}
			tp, _ := msgs[0].Values[pelican.HeaderPrefix+"traceparent"].(string)
			if want := spans[i].SpanContext.SpanID().String(); !strings.Contains(tp, want) {
				t.Errorf("message %d: traceparent %q, want its span %s", i, tp, want)
			}
			if got := attr(spans[i], "messaging.message.id"); got != id {
				t.Errorf("span %d: message ID %q, want %q", i, got, id)
			}
		}
	})
}

func attrValue(s tracetest.SpanStub, key string) (attribute.Value, bool) {
	for _, kv := range s.Attributes {
		if string(kv.Key) == key {
			return kv.Value, true
		}
	}
	return attribute.Value{}, false
}

func attr(s tracetest.SpanStub, key string) string {
	v, _ := attrValue(s, key)
	return v.String()
}
