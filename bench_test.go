package pelican_test

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pelicanhq/pelican"
	"github.com/pelicanhq/pelican/embedded"
	"github.com/pelicanhq/pelican/internal/cputime"
)

// The worker's hot path on the embedded engine: b.N messages are
// published before the timer starts, then consumed. Each benchmark
// reports per message; allocations and cpu-ns/op (user and system CPU time
// of the process, which a busy machine inflates less than wall time) count
// every goroutine of the process, the engine's included. BenchmarkReadAckLoop is the floor: a hand-written
// go-redis loop doing the same reads and acknowledgements with no library
// around it. bench/library.sh measures the same over TCP.

const (
	benchLanes = 4
	benchBatch = 64
)

// openBench returns an embedded client holding n messages in stream
// "bench" with group "g" created at 0.
func openBench(b *testing.B, n int, opts pelican.Options) *pelican.Client {
	b.Helper()
	opts.Logger = slog.New(slog.DiscardHandler)
	c, err := embedded.New(opts)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	ctx := context.Background()
	batch := make([]map[string]string, 0, 1000)
	for i := 0; i < n; i++ {
		batch = append(batch, map[string]string{"n": strconv.Itoa(i), "payload": "xxxxxxxxxxxxxxxx"})
		if len(batch) == cap(batch) || i == n-1 {
			if _, err := c.PublishBatch(ctx, "bench", batch, nil); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	if err := c.Redis().XGroupCreateMkStream(ctx, "bench", "g", "0").Err(); err != nil {
		b.Fatal(err)
	}
	return c
}

// processCPU returns the CPU time the process has used.
func processCPU(b *testing.B) time.Duration {
	cpu := cputime.Self()
	if cpu == 0 {
		b.Fatal("cannot read the process's CPU time")
	}
	return cpu
}

// reportCPU reports the CPU time used since cpu0 per operation.
func reportCPU(b *testing.B, cpu0 time.Duration) {
	b.ReportMetric(float64(processCPU(b)-cpu0)/float64(b.N), "cpu-ns/op")
}

// waitDrainedB polls until count reaches n and the group's PEL is empty.
func waitDrainedB(b *testing.B, rdb redis.UniversalClient, n int64, count func() int64) {
	b.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		if count() >= n {
			p, err := rdb.XPending(context.Background(), "bench", "g").Result()
			if err != nil {
				b.Fatal(err)
			}
			if p.Count == 0 {
				return
			}
		}
		if time.Now().After(deadline) {
			b.Fatalf("not drained: %d of %d", count(), n)
		}
		time.Sleep(100 * time.Microsecond)
	}
}

// benchWorker consumes b.N preloaded messages with a worker running h and
// waits until count reports them all and nothing is pending.
func benchWorker(b *testing.B, opts pelican.Options, h pelican.HandlerFunc, count func(pelican.WorkerStats) int64) {
	c := openBench(b, b.N, opts)
	w, err := c.NewWorker(pelican.WorkerConfig{
		Stream: "bench", Group: "g", Consumer: "bench", Handler: h,
		Concurrency: benchLanes, BatchSize: benchBatch,
	})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := c.Capabilities(context.Background()); err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := processCPU(b)
	go func() { done <- w.Run(ctx) }()
	waitDrainedB(b, c.Redis(), int64(b.N), func() int64 { return count(w.Stats()) })
	b.StopTimer()
	reportCPU(b, cpu0)
	cancel()
	if err := <-done; err != nil {
		b.Fatal(err)
	}
}

func BenchmarkWorkerAck(b *testing.B) {
	benchWorker(b, pelican.Options{}, func(ctx context.Context, m *pelican.Message) error { return nil },
		func(s pelican.WorkerStats) int64 { return s.Processed })
}

// BenchmarkWorkerAckFallbacks is BenchmarkWorkerAck on the Redis 7
// commands: reads without CLAIM.
func BenchmarkWorkerAckFallbacks(b *testing.B) {
	benchWorker(b, pelican.Options{ForceFallbacks: true}, func(ctx context.Context, m *pelican.Message) error { return nil },
		func(s pelican.WorkerStats) int64 { return s.Processed })
}

func BenchmarkWorkerDeadLetter(b *testing.B) {
	fail := errors.New("always fails")
	benchWorker(b, pelican.Options{}, func(ctx context.Context, m *pelican.Message) error { return pelican.Permanent(fail) },
		func(s pelican.WorkerStats) int64 { return s.DeadLettered })
}

func BenchmarkReadAckLoop(b *testing.B) {
	benchLoop(b, false, func(ctx context.Context, p redis.Pipeliner, msgs []redis.XMessage, ids []string) {
		p.XAck(ctx, "bench", "g", ids...)
	})
}

// BenchmarkDeadLetterLoop is the floor for BenchmarkWorkerDeadLetter: a
// loop that moves each read batch to the dead-letter stream, with the same
// metadata, and acknowledges it in one MULTI/EXEC, with no protection
// against two consumers moving a message twice.
func BenchmarkDeadLetterLoop(b *testing.B) {
	benchLoop(b, true, func(ctx context.Context, p redis.Pipeliner, msgs []redis.XMessage, ids []string) {
		now := time.Now().UnixMilli()
		for _, m := range msgs {
			fields := make([]any, 0, 2*len(m.Values)+22)
			for k, v := range m.Values {
				fields = append(fields, k, v)
			}
			fields = append(fields,
				pelican.FieldOriginalID, m.ID, pelican.FieldOriginalStream, "bench", pelican.FieldGroup, "g",
				pelican.FieldConsumer, "bench", pelican.FieldDeliveries, 1, pelican.FieldFirstFailure, now,
				pelican.FieldLastFailure, now, pelican.FieldError, "always fails",
				pelican.FieldErrorClass, pelican.ClassPermanent, pelican.FieldRedrives, 0, pelican.FieldDeadAt, now)
			p.XAdd(ctx, &redis.XAddArgs{Stream: "bench:dlq", Values: fields})
		}
		p.XAck(ctx, "bench", "g", ids...)
	})
}

// benchLoop consumes b.N preloaded messages with benchLanes hand-written
// go-redis loops, each settling every read batch with the commands settle
// queues: in one MULTI/EXEC when tx is set, else in one pipeline.
func benchLoop(b *testing.B, tx bool, settle func(ctx context.Context, p redis.Pipeliner, msgs []redis.XMessage, ids []string)) {
	c := openBench(b, b.N, pelican.Options{})
	rdb := c.Redis()
	ctx, cancel := context.WithCancel(context.Background())
	var mu sync.Mutex
	done := int64(0)
	var wg sync.WaitGroup
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := processCPU(b)
	for i := 0; i < benchLanes; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ids := make([]string, 0, benchBatch)
			for ctx.Err() == nil {
				res, err := rdb.XReadGroup(ctx, &redis.XReadGroupArgs{
					Group: "g", Consumer: "bench", Streams: []string{"bench", ">"}, Count: benchBatch, Block: 100 * time.Millisecond,
				}).Result()
				if err != nil {
					continue
				}
				msgs := res[0].Messages
				ids = ids[:0]
				for _, m := range msgs {
					ids = append(ids, m.ID)
				}
				var cmds []redis.Cmder
				if len(msgs) > 0 {
					queue := func(p redis.Pipeliner) error {
						settle(ctx, p, msgs, ids)
						return nil
					}
					if tx {
						cmds, err = rdb.TxPipelined(ctx, queue)
					} else {
						cmds, err = rdb.Pipelined(ctx, queue)
					}
				}
				if err != nil || len(cmds) == 0 {
					continue
				}
				mu.Lock()
				done += int64(len(ids))
				mu.Unlock()
			}
		}()
	}
	waitDrainedB(b, rdb, int64(b.N), func() int64 {
		mu.Lock()
		defer mu.Unlock()
		return done
	})
	b.StopTimer()
	reportCPU(b, cpu0)
	cancel()
	wg.Wait()
}
