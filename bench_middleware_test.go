package pelican_test

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/pelicanhq/pelican"
	"github.com/pelicanhq/pelican/monitor"
	"github.com/pelicanhq/pelican/pelicanotel"
)

// BenchmarkWorkerCost measures what each way of observing the worker
// costs per message, side by side (go test -count alternates the
// sub-benchmarks), on BenchmarkWorkerAck's workload:
//
//   - none: no middleware, as BenchmarkWorkerAck;
//   - middleware: one middleware that only calls the next handler (the
//     chain's own cost, recoverPanics included);
//   - tracing: pelicanotel's middleware with the SDK's tracer provider,
//     sampling every span and handing it to a batch processor over an
//     exporter that drops it; the messages carry a trace context, as
//     published through pelicanotel.PublishHook;
//   - metrics: a monitor.WorkerCollector registered in a Prometheus
//     registry that is gathered every 10 ms while the worker runs.
func BenchmarkWorkerCost(b *testing.B) {
	ack := func(ctx context.Context, m *pelican.Message) error { return nil }
	processed := func(s pelican.WorkerStats) int64 { return s.Processed }
	b.Run("none", func(b *testing.B) {
		benchWorkerWith(b, pelican.Options{}, pelican.WorkerConfig{Handler: pelican.HandlerFunc(ack)}, nil, processed)
	})
	b.Run("middleware", func(b *testing.B) {
		pass := func(next pelican.Handler) pelican.Handler {
			return pelican.HandlerFunc(func(ctx context.Context, m *pelican.Message) error { return next.Handle(ctx, m) })
		}
		benchWorkerWith(b, pelican.Options{}, pelican.WorkerConfig{Handler: pelican.HandlerFunc(ack), Middleware: []pelican.Middleware{pass}}, nil, processed)
	})
	b.Run("tracing", func(b *testing.B) {
		tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(tracetest.NewNoopExporter()))
		defer tp.Shutdown(context.Background())
		with := pelicanotel.WithTracerProvider(tp)
		opts := pelican.Options{PublishHooks: []pelican.PublishHook{pelicanotel.PublishHook(with)}}
		cfg := pelican.WorkerConfig{Handler: pelican.HandlerFunc(ack), Middleware: []pelican.Middleware{pelicanotel.Middleware(with)}}
		benchWorkerWith(b, opts, cfg, nil, processed)
	})
	b.Run("metrics", func(b *testing.B) {
		scrape := func(ctx context.Context, w *pelican.Worker) {
			reg := prometheus.NewRegistry()
			reg.MustRegister(monitor.NewWorkerCollector(w))
			t := time.NewTicker(10 * time.Millisecond)
			defer t.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-t.C:
					if _, err := reg.Gather(); err != nil {
						b.Error(err)
						return
					}
				}
			}
		}
		benchWorkerWith(b, pelican.Options{}, pelican.WorkerConfig{Handler: pelican.HandlerFunc(ack)}, scrape, processed)
	})
}

// benchWorkerWith is benchWorker with the client options and worker
// configuration given (cfg's stream, group, consumer, concurrency and
// batch size are set here), and beside, if not nil, run alongside the
// worker until it is done.
func benchWorkerWith(b *testing.B, opts pelican.Options, cfg pelican.WorkerConfig, beside func(context.Context, *pelican.Worker), count func(pelican.WorkerStats) int64) {
	c := openBench(b, b.N, opts)
	cfg.Stream, cfg.Group, cfg.Consumer = "bench", "g", "bench"
	cfg.Concurrency, cfg.BatchSize = benchLanes, benchBatch
	w, err := c.NewWorker(cfg)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := c.Capabilities(context.Background()); err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	besideDone := make(chan struct{})
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := processCPU(b)
	go func() { done <- w.Run(ctx) }()
	go func() {
		defer close(besideDone)
		if beside != nil {
			beside(ctx, w)
		}
	}()
	waitDrainedB(b, c.Redis(), int64(b.N), func() int64 { return count(w.Stats()) })
	b.StopTimer()
	reportCPU(b, cpu0)
	cancel()
	if err := <-done; err != nil {
		b.Fatal(err)
	}
	<-besideDone
}
