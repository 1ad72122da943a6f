package pelican_test

import (
	"context"
	"os"
	"runtime"
	"strconv"
	"testing"

	"github.com/pelicanhq/pelican"
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
	c, err := pelican.NewEmbedded(pelican.Options{Logger: quietLogger()})
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
			eventually(t, "the backlog shrinks", func() bool { return w.Stats().Processed >= int64(published-backlog+batch) })
		}
	}
	publish(total / 4) // warm up: buffers, pools and the stream reach their size
	eventually(t, "every message is processed", func() bool { return w.Stats().Processed == int64(published) })
	before := liveHeap()
	publish(total)
	eventually(t, "every message is processed", func() bool { return w.Stats().Processed == int64(published) })
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
