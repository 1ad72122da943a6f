// Command trim_on_publish shows how a stream is kept from growing forever
// by trimming it as messages are published (XADD's MAXLEN and MINID).
// MaxLen keeps the newest N entries; MinID drops the entries older than an
// ID, such as one made from a time ("<unix ms>-0") to keep the last hour.
// Approx ("~") removes only whole nodes of the stream (by default 100
// entries each), so a few more entries than asked for may stay; it costs
// much less, and is what a busy stream should use.
//
//	go run ./examples/trim_on_publish                  # embedded engine
//	go run ./examples/trim_on_publish -redis 127.0.0.1:6379
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pelicanhq/pelican"
	"github.com/pelicanhq/pelican/embedded"
)

const stream = "examples:events"

func main() {
	addr := flag.String("redis", "", "use the Redis at `host:port` instead of the embedded engine")
	flag.Parse()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second) // a safety net
	err := run(ctx, *addr)
	cancel()
	if err != nil {
		fmt.Println("FAILED:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, addr string) error {
	c, err := connect(ctx, addr)
	if err != nil {
		return err
	}
	defer c.Close()
	rdb := c.Redis()

	// 1000 events, published in one round trip, without trimming.
	batch := make([]map[string]string, 1000)
	for i := range batch {
		batch[i] = map[string]string{"event": "page-view", "n": fmt.Sprint(i)}
	}
	ids, err := c.PublishBatch(ctx, stream, batch, nil)
	if err != nil {
		return err
	}
	n, err := rdb.XLen(ctx, stream).Result()
	if err != nil {
		return err
	}
	fmt.Printf("published 1000 events without trimming: XLEN %d\n", n)

	// Each step publishes one more event with trimming options and checks
	// the length against what they promise: exactly the limit, or for
	// Approx at least the limit and less than before.
	steps := []struct {
		what string
		opts pelican.PublishOptions
		want func(before, after int64) bool
		why  string
	}{
		{"MaxLen 500, Approx (XADD MAXLEN ~ 500)", pelican.PublishOptions{MaxLen: 500, Approx: true},
			func(before, after int64) bool { return after >= 500 && after <= before },
			"whole nodes of 100 went; one more would have left fewer than 500"},
		{"MaxLen 500, exact (XADD MAXLEN 500)", pelican.PublishOptions{MaxLen: 500},
			func(before, after int64) bool { return after == 500 },
			"exactly the 500 newest"},
		{"MinID = event 950, Approx (XADD MINID ~ id)", pelican.PublishOptions{MinID: ids[950], Approx: true},
			func(before, after int64) bool { return after >= 50+3 && after <= before },
			"events 900 to 949 stay: they share a node with event 950"},
		{"MinID = event 950, exact (XADD MINID id)", pelican.PublishOptions{MinID: ids[950]},
			func(before, after int64) bool { return after == 50+4 },
			"events 950 to 999 and the 4 published by these steps"},
	}
	for _, s := range steps {
		before, err := rdb.XLen(ctx, stream).Result()
		if err != nil {
			return err
		}
		if _, err := c.Publish(ctx, stream, map[string]string{"event": "page-view"}, &s.opts); err != nil {
			return err
		}
		after, err := rdb.XLen(ctx, stream).Result()
		if err != nil {
			return err
		}
		fmt.Printf("publish with %s: XLEN %d before, %d after\n  (%s)\n", s.what, before, after, s.why)
		if !s.want(before, after) {
			return fmt.Errorf("XLEN %d after publishing with %s", after, s.what)
		}
	}

	// The oldest entry left is event 950: exact MINID kept nothing older.
	first, err := rdb.XRangeN(ctx, stream, "-", "+", 1).Result()
	if err != nil {
		return err
	}
	fmt.Printf("the oldest entry left is event %v (%s)\n", first[0].Values["n"], first[0].ID)
	if first[0].ID != ids[950] {
		return fmt.Errorf("the oldest entry is %s, want %s", first[0].ID, ids[950])
	}
	return nil
}

// connect returns a client of the embedded engine, or of the Redis at
// addr after deleting what an earlier run left there.
func connect(ctx context.Context, addr string) (*pelican.Client, error) {
	if addr == "" {
		return embedded.New(pelican.Options{})
	}
	c := pelican.New(redis.NewClient(&redis.Options{Addr: addr}), pelican.Options{})
	if err := c.Redis().Del(ctx, stream).Err(); err != nil {
		c.Close()
		return nil, fmt.Errorf("cleaning up %s: %w", addr, err)
	}
	return c, nil
}
