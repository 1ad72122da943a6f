package pelican_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pelicanhq/pelican"
	"github.com/pelicanhq/pelican/engine"
	"github.com/pelicanhq/pelican/internal/await"
	"github.com/pelicanhq/pelican/internal/pelicantest"
	"github.com/pelicanhq/pelican/internal/redistest"
)

const oomReply = "OOM command not allowed when used memory > 'maxmemory'."

// checkOutOfMemory fails unless err is the library's out-of-memory error
// wrapping the server's reply.
func checkOutOfMemory(t *testing.T, err error) {
	t.Helper()
	if !errors.Is(err, pelican.ErrOutOfMemory) {
		t.Fatalf("publishing over maxmemory: %v, want an error matching ErrOutOfMemory", err)
	}
	if !errors.Is(err, pelican.ErrUnavailable) {
		t.Errorf("%v does not match ErrUnavailable", err)
	}
	var rerr redis.Error
	if !errors.As(err, &rerr) || !strings.HasSuffix(rerr.Error(), oomReply) {
		t.Errorf("%v does not wrap the server's OOM reply", err)
	}
}

// startFullServer serves an engine with a maxmemory of 256 KB and returns
// a client of it and the library over that client.
func startFullServer(t *testing.T) (*redis.Client, *pelican.Client) {
	t.Helper()
	srv := pelicantest.StartPelican(t, engine.Config{MaxMemory: 256 << 10})
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr})
	t.Cleanup(func() { rdb.Close() })
	return rdb, pelican.New(rdb, pelican.Options{})
}

// fillUntilOutOfMemory publishes 4 KB messages to stream until the server
// refuses one for maxmemory, and returns the IDs of those it took.
func fillUntilOutOfMemory(t *testing.T, c *pelican.Client, stream string) []string {
	t.Helper()
	payload := map[string]string{"body": strings.Repeat("x", 4096)}
	var published []string
	for {
		id, err := c.Publish(context.Background(), stream, payload, nil)
		if errors.Is(err, pelican.ErrOutOfMemory) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if len(published) > 5000 {
			t.Fatalf("%d messages of 4 KB fit in maxmemory 256 KB", len(published))
		}
		published = append(published, id)
	}
	t.Logf("%d messages published before maxmemory was reached", len(published))
	return published
}

// TestPublishOverMaxmemoryDrains runs a producer against pelican server
// with a small maxmemory while the consumers are held back, until
// publishing fails with ErrOutOfMemory; then lets two workers consume,
// acknowledge and delete while the producer keeps publishing, retrying
// each refused message after a backoff. Every published message must be
// processed exactly once, and the producer must get through once the
// backlog has drained.
func TestPublishOverMaxmemoryDrains(t *testing.T) {
	rdb, c := startFullServer(t)
	ctx := context.Background()
	const stream = "jobs"

	gate := make(chan struct{})
	var mu sync.Mutex
	processed := map[string]int{}
	handler := pelican.HandlerFunc(func(ctx context.Context, m *pelican.Message) error {
		select {
		case <-gate:
		case <-ctx.Done():
			return ctx.Err()
		}
		mu.Lock()
		processed[m.ID]++
		mu.Unlock()
		// Deleting is what frees the memory; the worker acknowledges.
		return rdb.XDel(ctx, stream, m.ID).Err()
	})
	for _, name := range []string{"w1", "w2"} {
		cfg := fastConfig(stream, handler)
		cfg.Consumer, cfg.BatchSize, cfg.Concurrency = name, 4, 2
		runWorker(t, c, cfg)
	}
	await.True(t, "the workers' group", func() bool {
		groups, err := rdb.XInfoGroups(ctx, stream).Result()
		return err == nil && len(groups) == 1
	})

	payload := map[string]string{"body": strings.Repeat("x", 1024)}
	var published []string
	var refusal error
	for refusal == nil {
		id, err := c.Publish(ctx, stream, payload, nil)
		switch {
		case err != nil:
			refusal = err
		case len(published) > 5000:
			t.Fatalf("%d messages of 1 KB fit in maxmemory 256 KB", len(published))
		default:
			published = append(published, id)
		}
	}
	checkOutOfMemory(t, refusal)
	if _, err := c.PublishBatch(ctx, stream, []map[string]string{payload, payload}, nil); err != nil {
		checkOutOfMemory(t, err)
	} else {
		t.Fatal("PublishBatch over maxmemory succeeded")
	}
	full := len(published)
	t.Logf("%d messages published before maxmemory was reached", full)

	// Consumers go; the producer publishes as many again, retrying each
	// message refused for memory after a short backoff.
	close(gate)
	retries := 0
	deadline := time.Now().Add(30 * time.Second)
	for len(published) < 2*full {
		id, err := c.Publish(ctx, stream, payload, nil)
		if errors.Is(err, pelican.ErrOutOfMemory) {
			if time.Now().After(deadline) {
				t.Fatalf("still out of memory after 30s; %d processed of %d", len(processed), len(published))
			}
			retries++
			time.Sleep(2 * time.Millisecond)
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		published = append(published, id)
	}
	t.Logf("%d messages published in all, %d refusals retried", len(published), retries)

	await.Within(t, 30*time.Second, "every message processed", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(processed) >= len(published)
	})
	mu.Lock()
	defer mu.Unlock()
	for _, id := range published {
		if processed[id] != 1 {
			t.Errorf("message %s processed %d times", id, processed[id])
		}
	}
	if len(processed) != len(published) {
		t.Errorf("%d messages processed, %d published", len(processed), len(published))
	}
	await.True(t, "the stream emptied and nothing pending", func() bool {
		n, err1 := rdb.XLen(ctx, stream).Result()
		p, err2 := rdb.XPending(ctx, stream, "g").Result()
		return err1 == nil && err2 == nil && n == 0 && p.Count == 0
	})
}

// TestPublishOutOfMemoryOnRedis checks that Redis's refusal reaches the
// publisher as the same error, through each way of publishing: plain,
// batched, and idempotent (a marker in a transaction on Redis 7).
func TestPublishOutOfMemoryOnRedis(t *testing.T) {
	r := redistest.StartRedis(t)
	rdb := redis.NewClient(&redis.Options{Addr: r.Addr})
	t.Cleanup(func() { rdb.Close() })
	ctx := context.Background()
	c := pelican.New(rdb, pelican.Options{ProducerID: "p"})
	values := map[string]string{"body": "x"}
	if _, err := c.Publish(ctx, "s", values, nil); err != nil {
		t.Fatal(err)
	}
	if err := rdb.ConfigSet(ctx, "maxmemory", "1").Err(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rdb.ConfigSet(context.Background(), "maxmemory", "0") })
	_, err := c.Publish(ctx, "s", values, nil)
	checkOutOfMemory(t, err)
	_, err = c.PublishBatch(ctx, "s", []map[string]string{values, values}, nil)
	checkOutOfMemory(t, err)
	_, err = c.Publish(ctx, "s", values, &pelican.PublishOptions{IdempotencyKey: "k1"})
	if !errors.Is(err, pelican.ErrOutOfMemory) {
		t.Fatalf("idempotent publish over maxmemory: %v, want ErrOutOfMemory", err)
	}
	if err := rdb.ConfigSet(ctx, "maxmemory", "0").Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Publish(ctx, "s", values, &pelican.PublishOptions{IdempotencyKey: "k1"}); err != nil {
		t.Fatalf("publishing once the limit is lifted: %v", err)
	}
}

// TestWorkersOverMaxmemory starts workers on a server already over its
// maxmemory, whose group exists: they must start (XGROUP CREATE and the
// first beat are refused for memory) and process each message once. Once
// the limit is lifted, their beats are written.
func TestWorkersOverMaxmemory(t *testing.T) {
	rdb, c := startFullServer(t)
	ctx := context.Background()
	const stream = "jobs"
	if err := rdb.XGroupCreateMkStream(ctx, stream, "g", "0").Err(); err != nil {
		t.Fatal(err)
	}
	published := fillUntilOutOfMemory(t, c, stream)

	var mu sync.Mutex
	processed := map[string]int{}
	handler := pelican.HandlerFunc(func(ctx context.Context, m *pelican.Message) error {
		// Slow enough that messages stay pending for longer than a
		// stale beat would be trusted.
		time.Sleep(100 * time.Millisecond)
		mu.Lock()
		processed[m.ID]++
		mu.Unlock()
		return nil // acknowledged, not deleted: the server stays full
	})
	for _, name := range []string{"w1", "w2"} {
		cfg := fastConfig(stream, handler)
		cfg.Consumer, cfg.BatchSize, cfg.Concurrency = name, 2, 2
		runWorker(t, c, cfg)
	}
	await.Within(t, 30*time.Second, "every message processed", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(processed) >= len(published)
	})
	mu.Lock()
	for _, id := range published {
		if processed[id] != 1 {
			t.Errorf("message %s processed %d times", id, processed[id])
		}
	}
	mu.Unlock()

	if err := rdb.ConfigSet(ctx, "maxmemory", "0").Err(); err != nil {
		t.Fatal(err)
	}
	await.True(t, "both workers' beats written again", func() bool {
		ws, err := c.Workers(ctx, stream, "g")
		if err != nil || len(ws) != 2 {
			return false
		}
		return ws[0].Alive && ws[1].Alive
	})
}

// TestHeartbeatsRefusedOverMaxmemory runs a worker that wrote its beat
// before the server went over its maxmemory and holds many messages,
// then starts a second, idle one during the overload. The first one's
// beat goes stale because the server refuses it, not because the worker
// died: the second must not take it for dead and claim the messages it
// is working on.
func TestHeartbeatsRefusedOverMaxmemory(t *testing.T) {
	rdb, c := startFullServer(t)
	ctx := context.Background()
	const stream = "jobs"
	gate := make(chan struct{})
	var mu sync.Mutex
	processed := map[string]int{}
	handler := pelican.HandlerFunc(func(ctx context.Context, m *pelican.Message) error {
		select {
		case <-gate:
		case <-ctx.Done():
			return ctx.Err()
		}
		time.Sleep(20 * time.Millisecond)
		mu.Lock()
		processed[m.ID]++
		mu.Unlock()
		return nil // acknowledged, not deleted: the server stays full
	})
	cfg := fastConfig(stream, handler)
	cfg.Consumer, cfg.BatchSize, cfg.Concurrency = "w1", 100, 1
	runWorker(t, c, cfg)
	await.True(t, "w1's beat", func() bool {
		ws, err := c.Workers(ctx, stream, "g")
		return err == nil && len(ws) == 1 && ws[0].Alive
	})
	published := fillUntilOutOfMemory(t, c, stream)
	await.True(t, "w1 holding messages", func() bool {
		return pendingCount(t, rdb, stream, "g") > 0
	})
	cfg2 := fastConfig(stream, handler)
	cfg2.Consumer = "w2"
	runWorker(t, c, cfg2)
	// Well past the time after which a dead worker's messages are
	// claimed (a beat's lifetime is three intervals and a second).
	time.Sleep(2500 * time.Millisecond)
	close(gate)
	await.Within(t, 30*time.Second, "every message processed", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(processed) >= len(published)
	})
	mu.Lock()
	defer mu.Unlock()
	for _, id := range published {
		if processed[id] != 1 {
			t.Errorf("message %s processed %d times", id, processed[id])
		}
	}
}
