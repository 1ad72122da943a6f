package pelican_test

import (
	"context"
	"errors"
	"os"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/pelicanhq/pelican"
	"github.com/pelicanhq/pelican/embedded"
	"github.com/pelicanhq/pelican/internal/await"
	"github.com/pelicanhq/pelican/internal/backendtest"
)

// A worker that runs for long does not grow: after a warm-up, pushing many
// more messages through a single lane (the case where every read finds the
// group's earlier deliveries all acknowledged) leaves the process's live
// heap where it was. The stream is trimmed on publish, so only leaks can
// grow. 200k messages in CI; 2M with PELICAN_LONG set.
//
// It is not parallel: it measures the whole process's heap.
func TestWorkerMemoryStaysFlat(t *testing.T) {
	total, maxGrowth := 200_000, uint64(4<<20)
	if os.Getenv("PELICAN_LONG") != "" {
		total = 2_000_000
	}
	c, err := embedded.New(pelican.Options{Logger: backendtest.Quiet()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w, err := c.NewWorker(pelican.WorkerConfig{
		Stream: "soak", Group: "g", Consumer: "w1", Concurrency: 1, BatchSize: 64,
		Handler: pelican.HandlerFunc(func(ctx context.Context, m *pelican.Message) error { return nil }),
	})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()

	const batch, backlog = 1000, 5000
	published := 0
	// publish adds messages until n are published, keeping at most backlog
	// of them unprocessed, so that trimming to backlog never takes a
	// message before it is read.
	publish := func(n int) {
		values := make([]map[string]string, batch)
		for published < n {
			for i := range values {
				values[i] = map[string]string{"n": strconv.Itoa(published + i), "payload": "0123456789abcdef"}
			}
			if _, err := c.PublishBatch(ctx, "soak", values, &pelican.PublishOptions{MaxLen: backlog, Approx: true}); err != nil {
				t.Fatal(err)
			}
			published += batch
			await.True(t, "the backlog shrinks", func() bool { return w.Stats().Processed >= int64(published-backlog+batch) })
		}
	}
	publish(total / 4) // warm up: buffers, pools and the stream reach their size
	await.True(t, "every message is processed", func() bool { return w.Stats().Processed == int64(published) })
	before := liveHeap()
	publish(total)
	await.True(t, "every message is processed", func() bool { return w.Stats().Processed == int64(published) })
	after := liveHeap()
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	t.Logf("live heap %.1f MB after %d messages, %.1f MB after %d", float64(before)/(1<<20), total/4, float64(after)/(1<<20), total)
	if after > before+maxGrowth {
		t.Errorf("live heap grew from %d to %d bytes over %d messages; want growth under %d", before, after, total-total/4, maxGrowth)
	}
}

// liveHeap returns the bytes of live heap objects, after a collection.
func liveHeap() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// Two workers of one group, handlers failing in every way but a crash
// (dependency down once, retry-after once, permanently), messages
// published one by one with idempotency keys onto a trimmed stream: with
// no crash and no stall, every message either succeeds exactly once or is
// dead-lettered exactly once, and nothing stays pending. 20k messages per
// backend in CI; 500k with PELICAN_LONG set.
func TestMixedOutcomesSoak(t *testing.T) {
	total := 20_000
	if os.Getenv("PELICAN_LONG") != "" {
		total = 500_000
	}
	backendtest.Each(t, func(t *testing.T, c *pelican.Client) {
		ctx := context.Background()
		var (
			mu        sync.Mutex
			succeeded = make([]int, total)
			unavail   = make([]bool, total)
			later     = make([]bool, total)
		)
		h := pelican.HandlerFunc(func(ctx context.Context, m *pelican.Message) error {
			n, err := strconv.Atoi(m.Values["n"])
			if err != nil || n < 0 || n >= total {
				t.Errorf("message %s has n %q", m.ID, m.Values["n"])
				return nil
			}
			mu.Lock()
			defer mu.Unlock()
			switch {
			case n%97 == 0 && !unavail[n]:
				unavail[n] = true
				return pelican.Unavailable(errors.New("a dependency is down"))
			case n%101 == 0 && !later[n]:
				later[n] = true
				return pelican.RetryAfter(time.Millisecond, errors.New("try again shortly"))
			case n%1009 == 0:
				return pelican.Permanent(errors.New("this one cannot be processed"))
			}
			succeeded[n]++
			return nil
		})
		var workers []*pelican.Worker
		for _, name := range []string{"w1", "w2"} {
			cfg := fastConfig("mixed", h)
			cfg.Consumer, cfg.Concurrency, cfg.BatchSize = name, 2, 64
			cfg.Backoff, cfg.RetryInterval = pelican.Delays{time.Millisecond}, 5*time.Millisecond
			cfg.ClaimMinIdle = time.Minute // nothing is abandoned here
			w, _ := runWorker(t, c, cfg)
			workers = append(workers, w)
		}
		settled := func() int64 {
			var n int64
			for _, w := range workers {
				st := w.Stats()
				n += st.Processed + st.DeadLettered
			}
			return n
		}
		for n := 0; n < total; n++ {
			values := map[string]string{"n": strconv.Itoa(n), "payload": "0123456789abcdef"}
			opts := &pelican.PublishOptions{MaxLen: 5000, Approx: true, IdempotencyKey: "order-" + strconv.Itoa(n)}
			if _, err := c.Publish(ctx, "mixed", values, opts); err != nil {
				t.Fatal(err)
			}
			if n%1000 == 999 {
				// Keep the backlog under the trimming threshold.
				await.True(t, "the backlog shrinks", func() bool { return settled() >= int64(n+1-2000) })
			}
		}
		await.True(t, "every message is settled", func() bool { return settled() >= int64(total) })
		await.True(t, "nothing is pending", func() bool { return pendingCount(t, c.Redis(), "mixed", "g") == 0 })
		dead, err := c.Redis().XLen(ctx, "mixed:dlq").Result()
		if err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		defer mu.Unlock()
		wantDead, twice, missing := 0, 0, 0
		for n := 0; n < total; n++ {
			if n%1009 == 0 {
				wantDead++
				if succeeded[n] != 0 {
					t.Errorf("message %d succeeded but should have been dead-lettered", n)
				}
				continue
			}
			switch {
			case succeeded[n] == 0:
				missing++
			case succeeded[n] > 1:
				twice++
			}
		}
		if missing > 0 || twice > 0 {
			t.Errorf("of %d messages, %d never succeeded and %d succeeded more than once", total, missing, twice)
		}
		if dead != int64(wantDead) {
			t.Errorf("the dead-letter stream holds %d entries, want %d", dead, wantDead)
		}
	})
}
