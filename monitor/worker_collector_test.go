package monitor

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/pelicanhq/pelican"
	"github.com/pelicanhq/pelican/embedded"
	"github.com/pelicanhq/pelican/internal/await"
	"github.com/pelicanhq/pelican/internal/backendtest"
)

// workerCounters are the metrics TestWorkerCollector compares exactly.
const workerCounters = `
# HELP pelican_worker_claimed_total Messages the workers took over from other consumers of the group.
# TYPE pelican_worker_claimed_total counter
pelican_worker_claimed_total{group="g",stream="jobs"} 2
# HELP pelican_worker_dead_lettered_total Messages the workers moved to the dead-letter stream.
# TYPE pelican_worker_dead_lettered_total counter
pelican_worker_dead_lettered_total{group="g",stream="jobs"} 3
# HELP pelican_worker_deliveries_total Messages the workers took up to handle: read, retried, claimed or recovered.
# TYPE pelican_worker_deliveries_total counter
pelican_worker_deliveries_total{group="g",stream="jobs"} 15
# HELP pelican_worker_failed_total Failed deliveries at the workers (an attempt spent; retried, or dead-lettered if it was the last).
# TYPE pelican_worker_failed_total counter
pelican_worker_failed_total{group="g",stream="jobs"} 6
# HELP pelican_worker_handlers_running Handlers running now.
# TYPE pelican_worker_handlers_running gauge
pelican_worker_handlers_running{group="g",stream="jobs"} 0
# HELP pelican_worker_messages_held Messages the workers hold now: read or claimed and not yet settled, those waiting for a lane included.
# TYPE pelican_worker_messages_held gauge
pelican_worker_messages_held{group="g",stream="jobs"} 0
# HELP pelican_worker_processed_total Messages the workers processed successfully.
# TYPE pelican_worker_processed_total counter
pelican_worker_processed_total{group="g",stream="jobs"} 9
# HELP pelican_worker_recovered_total Messages the workers recovered from a worker that may have died handling them, and ran alone.
# TYPE pelican_worker_recovered_total counter
pelican_worker_recovered_total{group="g",stream="jobs"} 2
# HELP pelican_worker_redeliveries_total Messages the workers handled that had been delivered before.
# TYPE pelican_worker_redeliveries_total counter
pelican_worker_redeliveries_total{group="g",stream="jobs"} 5
`

// TestWorkerCollector runs two workers of one group on the embedded
// engine over twelve messages: a quarter fail for good (dead-lettered), a
// quarter fail once and then succeed, a quarter take 3 ms, and two were
// read by a consumer that went silent, which the workers claim. The
// collector adds the two workers up.
func TestWorkerCollector(t *testing.T) {
	c, err := embedded.New(pelican.Options{Logger: backendtest.Quiet()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rdb := c.Redis()
	do(t, rdb, "XGROUP", "CREATE", "jobs", "g", "0", "MKSTREAM")
	for n := range 12 {
		if _, err := c.Publish(ctx, "jobs", map[string]string{"n": strconv.Itoa(n)}, nil); err != nil {
			t.Fatal(err)
		}
	}
	// Messages 0 (succeeds) and 1 (fails for good), held by a consumer
	// that never acknowledges them.
	do(t, rdb, "XREADGROUP", "GROUP", "g", "silent", "COUNT", 2, "STREAMS", "jobs", ">")

	permanent := errors.New("cannot be done")
	h := pelican.HandlerFunc(func(ctx context.Context, m *pelican.Message) error {
		n, _ := strconv.Atoi(m.Values["n"])
		switch n % 4 {
		case 1:
			return pelican.Permanent(permanent)
		case 2:
			if m.Deliveries == 1 {
				return errors.New("try again")
			}
		case 3:
			time.Sleep(3 * time.Millisecond)
		}
		return nil
	})
	col := NewWorkerCollector()
	var workers []*pelican.Worker
	for _, name := range []string{"w1", "w2"} {
		w, err := c.NewWorker(pelican.WorkerConfig{
			Stream: "jobs", Group: "g", Consumer: name, Handler: h,
			Block: 50 * time.Millisecond, Backoff: pelican.Delays{20 * time.Millisecond}, RetryInterval: 20 * time.Millisecond,
			ClaimMinIdle: time.Second, ClaimInterval: 50 * time.Millisecond, HeartbeatInterval: 50 * time.Millisecond,
		})
		if err != nil {
			t.Fatal(err)
		}
		col.Add(w)
		workers = append(workers, w)
	}
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(col)
	done := make(chan error, len(workers))
	for _, w := range workers {
		go func() { done <- w.Run(ctx) }()
	}
	defer func() {
		cancel()
		for range workers {
			if err := <-done; err != nil {
				t.Errorf("Run: %v", err)
			}
		}
	}()

	await.True(t, "every message settled", func() bool {
		var processed, dead int64
		var held int
		for _, w := range workers {
			m := w.Metrics()
			processed += m.Stats.Processed
			dead += m.Stats.DeadLettered
			held += m.Held + m.HandlersRunning
		}
		return processed == 9 && dead == 3 && held == 0
	})
	names := []string{"pelican_worker_claimed_total", "pelican_worker_dead_lettered_total", "pelican_worker_deliveries_total",
		"pelican_worker_failed_total", "pelican_worker_handlers_running", "pelican_worker_messages_held",
		"pelican_worker_processed_total", "pelican_worker_recovered_total", "pelican_worker_redeliveries_total"}
	if err := testutil.GatherAndCompare(reg, strings.NewReader(workerCounters), names...); err != nil {
		t.Error(err)
	}

	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	if len(mfs) != len(workerDescs) {
		t.Errorf("%d metric families, want %d", len(mfs), len(workerDescs))
	}
	for _, mf := range mfs {
		if mf.GetName() != "pelican_worker_handler_duration_seconds" {
			continue
		}
		if len(mf.GetMetric()) != 1 {
			t.Fatalf("%d handler-duration histograms, want 1 (the workers of a group add up)", len(mf.GetMetric()))
		}
		hist := mf.GetMetric()[0].GetHistogram()
		// Fifteen handler runs: twelve messages, three of them twice.
		if got := hist.GetSampleCount(); got != 15 {
			t.Errorf("handler durations: %d samples, want 15", got)
		}
		if got, least := hist.GetSampleSum(), 0.009; got < least {
			t.Errorf("handler durations sum to %vs, want at least %vs (three handlers of 3 ms)", got, least)
		}
		for _, b := range hist.GetBucket() {
			if b.GetUpperBound() == 0.0025 && b.GetCumulativeCount() > 12 {
				t.Errorf("%d handlers took at most 2.5 ms, want at most 12 (three took 3 ms)", b.GetCumulativeCount())
			}
		}
	}
	problems, err := testutil.GatherAndLint(reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}
}

// TestWorkerCollectorEmpty checks that a collector without workers
// exports nothing, and describes what it would.
func TestWorkerCollectorEmpty(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(NewWorkerCollector())
	if n, err := testutil.GatherAndCount(reg); err != nil || n != 0 {
		t.Errorf("%d metrics (err %v), want none", n, err)
	}
}

// outcomeCounters are the handler outcomes TestWorkerCollectorOutcomes
// compares exactly: ok, retry, given back, dead-lettered and panic.
const outcomeCounters = `
# HELP pelican_worker_dead_lettered_total Messages the workers moved to the dead-letter stream.
# TYPE pelican_worker_dead_lettered_total counter
pelican_worker_dead_lettered_total{group="g",stream="outcomes"} 2
# HELP pelican_worker_failed_total Failed deliveries at the workers (an attempt spent; retried, or dead-lettered if it was the last).
# TYPE pelican_worker_failed_total counter
pelican_worker_failed_total{group="g",stream="outcomes"} 4
# HELP pelican_worker_given_back_total Messages the workers gave back to the group without spending an attempt.
# TYPE pelican_worker_given_back_total counter
pelican_worker_given_back_total{group="g",stream="outcomes"} 1
# HELP pelican_worker_panics_total Handlers (or middleware) that panicked at the workers; each is also a failed delivery.
# TYPE pelican_worker_panics_total counter
pelican_worker_panics_total{group="g",stream="outcomes"} 1
# HELP pelican_worker_processed_total Messages the workers processed successfully.
# TYPE pelican_worker_processed_total counter
pelican_worker_processed_total{group="g",stream="outcomes"} 3
# HELP pelican_worker_retried_total Failed deliveries the workers scheduled for another attempt.
# TYPE pelican_worker_retried_total counter
pelican_worker_retried_total{group="g",stream="outcomes"} 2
`

// TestWorkerCollectorOutcomes reads the outcomes of the handlers by class
// through a Prometheus registry, on every backend: of five messages, one
// succeeds, one panics once and then succeeds, one fails twice (retried,
// then dead-lettered), one is given back once and then succeeds, one
// fails for good.
func TestWorkerCollectorOutcomes(t *testing.T) {
	backendtest.Each(t, func(t *testing.T, c *pelican.Client) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		for n := range 5 {
			if _, err := c.Publish(ctx, "outcomes", map[string]string{"n": strconv.Itoa(n)}, nil); err != nil {
				t.Fatal(err)
			}
		}
		var gaveBack atomic.Bool
		w, err := c.NewWorker(pelican.WorkerConfig{
			Stream: "outcomes", Group: "g", MaxDeliveries: 2,
			Handler: pelican.HandlerFunc(func(ctx context.Context, m *pelican.Message) error {
				switch m.Values["n"] {
				case "1":
					if m.Deliveries == 1 {
						panic("boom")
					}
				case "2":
					return errors.New("always")
				case "3":
					if gaveBack.CompareAndSwap(false, true) {
						return pelican.Unavailable(errors.New("down"))
					}
				case "4":
					return pelican.Permanent(errors.New("never"))
				}
				return nil
			}),
			Block: 50 * time.Millisecond, Backoff: pelican.Delays{20 * time.Millisecond}, RetryInterval: 20 * time.Millisecond,
			ClaimMinIdle: time.Second, ClaimInterval: 50 * time.Millisecond, HeartbeatInterval: 50 * time.Millisecond,
		})
		if err != nil {
			t.Fatal(err)
		}
		reg := prometheus.NewPedanticRegistry()
		reg.MustRegister(NewWorkerCollector(w))
		done := make(chan error, 1)
		go func() { done <- w.Run(ctx) }()
		await.True(t, "every message settled", func() bool {
			m := w.Metrics()
			return m.Stats.Processed == 3 && m.Stats.DeadLettered == 2 && m.Held == 0
		})
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
		names := []string{"pelican_worker_dead_lettered_total", "pelican_worker_failed_total", "pelican_worker_given_back_total",
			"pelican_worker_panics_total", "pelican_worker_processed_total", "pelican_worker_retried_total"}
		if err := testutil.GatherAndCompare(reg, strings.NewReader(outcomeCounters), names...); err != nil {
			t.Error(err)
		}
	})
}
