package pelican

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pelicanhq/pelican/embedded"
	"github.com/pelicanhq/pelican/internal/redistest"
)

// A lane that is slow to take a batch it has read in hand (descheduled,
// say) leaves its messages pending and unowned meanwhile. The retry scan,
// which runs every millisecond with a backoff of a millisecond, must not
// take them for failed messages and run them too: each message runs its
// handler once, on every backend.
func TestRetryScanLeavesReadMessagesToTheirLane(t *testing.T) {
	db := embedded.Open(embedded.Config{})
	defer db.Close()
	r := redistest.StartRedis(t)
	servers := []struct {
		name      string
		open      func() redis.UniversalClient
		fallbacks bool
	}{
		{"embedded", func() redis.UniversalClient { return db.NewClient(&redis.Options{}) }, false},
		{"embedded-fallbacks", func() redis.UniversalClient { return db.NewClient(&redis.Options{}) }, true},
		{"redis7", func() redis.UniversalClient { return redis.NewClient(&redis.Options{Addr: r.Addr}) }, false},
	}
	for _, srv := range servers {
		t.Run(srv.name, func(t *testing.T) {
			c := New(srv.open(), Options{ForceFallbacks: srv.fallbacks, Logger: slog.New(slog.DiscardHandler)})
			defer c.Close()
			stream := "slow-lane-" + srv.name
			var mu sync.Mutex
			runs := map[string]int{}
			w, err := c.NewWorker(WorkerConfig{
				Stream: stream, Group: "g", Consumer: "w1", Concurrency: 1, BatchSize: 16,
				Backoff: Delays{time.Millisecond}, RetryInterval: time.Millisecond,
				Handler: HandlerFunc(func(ctx context.Context, m *Message) error {
					mu.Lock()
					runs[m.ID]++
					mu.Unlock()
					return nil
				}),
			})
			if err != nil {
				t.Fatal(err)
			}
			w.afterRead = func() { time.Sleep(20 * time.Millisecond) } // slow to take the batch in hand
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- w.Run(ctx) }()
			const n = 100
			batch := make([]map[string]string, n)
			for i := range batch {
				batch[i] = map[string]string{"n": fmt.Sprint(i)}
			}
			ids, err := c.PublishBatch(ctx, stream, batch, nil)
			if err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(10 * time.Second)
			for w.Stats().Processed < n {
				if time.Now().After(deadline) {
					t.Fatalf("processed %d of %d", w.Stats().Processed, n)
				}
				time.Sleep(5 * time.Millisecond)
			}
			cancel()
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			mu.Lock()
			defer mu.Unlock()
			for _, id := range ids {
				if runs[id] != 1 {
					t.Errorf("message %s ran its handler %d times, want once", id, runs[id])
				}
			}
			if got := w.Stats().Redeliveries; got != 0 {
				t.Errorf("Redeliveries = %d, want 0", got)
			}
		})
	}
}
