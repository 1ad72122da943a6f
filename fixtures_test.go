package pelican_test

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pelicanhq/pelican"
	"github.com/pelicanhq/pelican/internal/syncbuf"
)

// fastConfig is a worker configuration with short intervals, so tests
// see retries and claims within a second.
func fastConfig(stream string, h pelican.Handler) pelican.WorkerConfig {
	return pelican.WorkerConfig{
		Stream:            stream,
		Group:             "g",
		Consumer:          "w1",
		Handler:           h,
		Block:             50 * time.Millisecond,
		Backoff:           pelican.Delays{50 * time.Millisecond},
		RetryInterval:     20 * time.Millisecond,
		ClaimMinIdle:      400 * time.Millisecond,
		ClaimInterval:     50 * time.Millisecond,
		HeartbeatInterval: 50 * time.Millisecond,
		ShutdownGrace:     2 * time.Second,
	}
}

// runWorker starts a worker and returns it with a function that stops it
// and waits for Run to return.
func runWorker(t *testing.T, c *pelican.Client, cfg pelican.WorkerConfig) (*pelican.Worker, func()) {
	t.Helper()
	w, err := c.NewWorker(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Run: %v", err)
				}
			case <-time.After(10 * time.Second):
				t.Error("the worker did not stop")
			}
		})
	}
	t.Cleanup(stop)
	return w, stop
}

// pendingCount returns the size of a group's PEL.
func pendingCount(t *testing.T, rdb redis.UniversalClient, stream, group string) int64 {
	t.Helper()
	p, err := rdb.XPending(context.Background(), stream, group).Result()
	if err != nil {
		t.Fatal(err)
	}
	return p.Count
}

// publishN publishes n messages with field n = 0..n-1.
// heldByGhost publishes n messages to stream, creates group "g" from its
// start and has consumer "ghost", which then dies, read them all: they
// stay pending to it.
func heldByGhost(t *testing.T, c *pelican.Client, stream string, n int) {
	t.Helper()
	ctx := context.Background()
	rdb := c.Redis()
	if err := rdb.XGroupCreateMkStream(ctx, stream, "g", "0").Err(); err != nil {
		t.Fatal(err)
	}
	publishN(t, c, stream, n)
	res, err := rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "g", Consumer: "ghost", Streams: []string{stream, ">"}, Count: int64(n), Block: -1}).Result()
	if err != nil || len(res) != 1 || len(res[0].Messages) != n {
		t.Fatalf("the ghost read %v, %v; want %d messages", res, err, n)
	}
}

func publishN(t *testing.T, c *pelican.Client, stream string, n int) []string {
	t.Helper()
	batch := make([]map[string]string, n)
	for i := range batch {
		batch[i] = map[string]string{"n": fmt.Sprint(i)}
	}
	ids, err := c.PublishBatch(context.Background(), stream, batch, nil)
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// capture returns a logger writing text to a new buffer.
func capture() (*slog.Logger, *syncbuf.Buffer) {
	b := new(syncbuf.Buffer)
	return slog.New(slog.NewTextHandler(b, nil)), b
}
