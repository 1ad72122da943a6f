// Command tracing follows one failing order through Pelican with
// OpenTelemetry (package pelicanotel): published inside a checkout
// request's span, it fails three deliveries, is moved to the dead-letter
// stream, is redriven once the bug is fixed, and succeeds. Every step is a
// span of the checkout's trace, which this program prints from the SDK's
// in-memory exporter; a real service would export to its collector
// instead.
//
//	go run ./examples/tracing                  # embedded engine
//	go run ./examples/tracing -redis 127.0.0.1:6379
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/pelicanhq/pelican"
	"github.com/pelicanhq/pelican/dlq"
	"github.com/pelicanhq/pelican/embedded"
	"github.com/pelicanhq/pelican/pelicanotel"
)

const stream = "examples:checkout"

func main() {
	addr := flag.String("redis", "", "use the Redis at `host:port` instead of the embedded engine")
	flag.Parse()
	// A safety net: whatever happens, give up after 10 seconds.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	err := run(ctx, *addr)
	cancel()
	if err != nil {
		fmt.Println("FAILED:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, addr string) error {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	defer tp.Shutdown(context.Background())
	with := pelicanotel.WithTracerProvider(tp) // without it, the global provider

	// The publisher: its hook makes a "send" span per message and puts
	// the span's context in the message's headers.
	c, err := connect(ctx, addr, pelican.Options{
		Logger:       slog.New(slog.DiscardHandler),
		PublishHooks: []pelican.PublishHook{pelicanotel.PublishHook(with)},
	})
	if err != nil {
		return err
	}
	defer c.Close()
	reqCtx, req := tp.Tracer("shop").Start(ctx, "POST /checkout")
	_, err = c.Publish(reqCtx, stream, map[string]string{"order": "13"}, nil)
	req.End()
	if err != nil {
		return err
	}

	// The consumer: the middleware makes a "process" span per delivery,
	// OnDeadLetter a "dead_letter" span when the order gives up.
	var fixed atomic.Bool
	var deadLettered atomic.Bool
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	w, err := c.NewWorker(pelican.WorkerConfig{
		Stream: stream, Group: "billing", Consumer: "billing-1",
		Handler: pelican.HandlerFunc(func(ctx context.Context, m *pelican.Message) error {
			// ctx holds the process span: the handler's own spans nest
			// under it.
			_, span := tp.Tracer("billing").Start(ctx, "charge card")
			defer span.End()
			if !fixed.Load() {
				return errors.New("product 7781 not found")
			}
			return nil
		}),
		Middleware:    []pelican.Middleware{pelicanotel.Middleware(with)},
		OnDeadLetter:  pelicanotel.OnDeadLetter(func(context.Context, pelican.DeadLetter) { deadLettered.Store(true) }, with),
		MaxDeliveries: 3,
		Backoff:       pelican.Delays{50 * time.Millisecond},
		Block:         100 * time.Millisecond,
	})
	if err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() { done <- w.Run(runCtx) }()
	if err := waitFor(ctx, deadLettered.Load); err != nil {
		return fmt.Errorf("the order was not dead-lettered: %w", err)
	}

	// The bug is fixed: redrive the dead letters, with a "redrive" span
	// each.
	fixed.Store(true)
	job, err := dlq.ForStream(c, stream).Redrive(ctx, dlq.Selector{All: true}, dlq.RedriveOptions{OnRedrive: pelicanotel.OnRedrive(with)})
	if err != nil {
		return err
	}
	if _, err := job.Wait(ctx); err != nil {
		return err
	}
	if err := waitFor(ctx, func() bool { return w.Stats().Processed == 1 }); err != nil {
		return fmt.Errorf("the redriven order was not processed: %w", err)
	}
	stop()
	if err := <-done; err != nil {
		return err
	}

	spans := exp.GetSpans()
	fmt.Printf("trace %s:\n", req.SpanContext().TraceID())
	printTree(spans, req.SpanContext().SpanID(), 1)

	var names []string
	for _, s := range spans {
		if s.SpanContext.TraceID() != req.SpanContext().TraceID() {
			return fmt.Errorf("span %q is on another trace", s.Name)
		}
		names = append(names, s.Name)
	}
	slices.Sort(names)
	want := []string{"POST /checkout", "charge card", "charge card", "charge card", "charge card",
		"dead_letter " + stream, "process " + stream, "process " + stream, "process " + stream, "process " + stream,
		"redrive " + stream, "send " + stream}
	if !slices.Equal(names, want) {
		return fmt.Errorf("spans %q, want %q", names, want)
	}
	return nil
}

// printTree prints the children of span parent, oldest first, indented
// by depth, with what each says about the message.
func printTree(spans tracetest.SpanStubs, parent trace.SpanID, depth int) {
	var kids tracetest.SpanStubs
	for _, s := range spans {
		if s.Parent.SpanID() == parent {
			kids = append(kids, s)
		}
	}
	slices.SortFunc(kids, func(a, b tracetest.SpanStub) int { return a.StartTime.Compare(b.StartTime) })
	for _, s := range kids {
		var notes []string
		for _, kv := range s.Attributes {
			switch kv.Key {
			case "messaging.redis_streams.message.delivery_count", "pelican.outcome", "error.type", "pelican.redrives":
				notes = append(notes, short(kv))
			}
		}
		if s.Status.Description != "" {
			notes = append(notes, "error="+s.Status.Description)
		}
		fmt.Println(strings.TrimRight(strings.Repeat("  ", depth)+s.Name+" "+strings.Join(notes, " "), " "))
		printTree(spans, s.SpanContext.SpanID(), depth+1)
	}
}

// short renders an attribute with the last part of its key.
func short(kv attribute.KeyValue) string {
	k := string(kv.Key)
	return k[strings.LastIndexByte(k, '.')+1:] + "=" + kv.Value.String()
}

// waitFor polls cond until it holds or ctx ends.
func waitFor(ctx context.Context, cond func() bool) error {
	for !cond() {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
	return nil
}

// connect returns a client of the embedded engine, or of the Redis at
// addr after deleting what an earlier run left there.
func connect(ctx context.Context, addr string, opts pelican.Options) (*pelican.Client, error) {
	if addr == "" {
		return embedded.New(opts)
	}
	c := pelican.New(redis.NewClient(&redis.Options{Addr: addr}), opts)
	keys, err := c.Redis().Keys(ctx, stream+"*").Result()
	if err == nil && len(keys) > 0 {
		err = c.Redis().Del(ctx, keys...).Err()
	}
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("cleaning up %s: %w", addr, err)
	}
	return c, nil
}
