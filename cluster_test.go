package pelican_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/pelicanhq/pelican"
	"github.com/pelicanhq/pelican/internal/await"
	"github.com/pelicanhq/pelican/internal/backendtest"
	"github.com/pelicanhq/pelican/internal/redistest"
)

// TestRedisCluster runs the atomic steps on a real three-node Redis
// Cluster: with a hash-tagged stream name, the dead-letter move, the
// exactly-once commit and deduplicated publishing (Redis 7's WATCH-based
// fallback) each touch keys of one slot.
func TestRedisCluster(t *testing.T) {
	cl := redistest.StartCluster(t, 3)
	rdb := redis.NewClusterClient(&redis.ClusterOptions{Addrs: cl.Addrs})
	c := pelican.New(rdb, pelican.Options{Logger: backendtest.Quiet()})
	defer c.Close()
	ctx := context.Background()

	var calls atomic.Int64
	cfg := fastConfig("{orders}", pelican.HandlerFunc(func(ctx context.Context, m *pelican.Message) error {
		calls.Add(1)
		if m.Values["fail"] == "1" {
			return errors.New("cannot charge")
		}
		m.Tx().IncrBy(ctx, "{orders}:charged", 1)
		return nil
	}))
	cfg.ExactlyOnce = true
	w, stop := runWorker(t, c, cfg)
	for i := 0; i < 5; i++ {
		if _, err := c.Publish(ctx, "{orders}", map[string]string{"n": "x"}, &pelican.PublishOptions{IdempotencyKey: "same"}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.Publish(ctx, "{orders}", map[string]string{"fail": "1"}, nil); err != nil {
		t.Fatal(err)
	}
	await.True(t, "one success and one dead letter", func() bool {
		s := w.Stats()
		return s.Processed == 1 && s.DeadLettered == 1
	})
	stop()
	if n, _ := rdb.XLen(ctx, "{orders}").Result(); n != 2 {
		t.Errorf("the stream holds %d messages, want 2 (five deduplicated publishes and one more)", n)
	}
	if got, _ := rdb.Get(ctx, "{orders}:charged").Int(); got != 1 {
		t.Errorf("charged %d times, want 1", got)
	}
	if n, _ := rdb.XLen(ctx, "{orders}:dlq").Result(); n != 1 {
		t.Errorf("dead-letter stream holds %d, want 1", n)
	}
}
