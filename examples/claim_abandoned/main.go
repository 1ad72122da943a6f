// Command claim_abandoned shows how messages held by a consumer that
// crashed are recovered. A consumer read three messages and died without
// acknowledging them: they sit in the group's Pending Entries List under
// its name. Once they have been idle for ClaimMinIdle, any Pelican worker
// of the group claims them (XREADGROUP ... CLAIM where the server has it,
// XAUTOCLAIM otherwise) and processes them; each claim counts as a
// delivery.
//
//	go run ./examples/claim_abandoned                  # embedded engine
//	go run ./examples/claim_abandoned -redis 127.0.0.1:6379
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pelicanhq/pelican"
	"github.com/pelicanhq/pelican/embedded"
)

const (
	stream       = "examples:jobs"
	group        = "renderers"
	claimMinIdle = 500 * time.Millisecond // real deployments use minutes
)

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

	// Consumer "renderer-1" reads three jobs with plain XREADGROUP, then
	// "crashes": it never acknowledges them.
	if err := rdb.XGroupCreateMkStream(ctx, stream, group, "0").Err(); err != nil {
		return err
	}
	for _, job := range []string{"a", "b", "c"} {
		if _, err := c.Publish(ctx, stream, map[string]string{"job": job}, nil); err != nil {
			return err
		}
	}
	// Redis counts idle time in whole milliseconds from the delivery, which
	// happens just after this.
	crashedAt := time.Now().Truncate(time.Millisecond)
	read, err := rdb.XReadGroup(ctx, &redis.XReadGroupArgs{
		Group: group, Consumer: "renderer-1", Streams: []string{stream, ">"}, Count: 10, Block: -1,
	}).Result()
	if err != nil {
		return err
	}
	fmt.Printf("renderer-1 read %d jobs and crashed\n", len(read[0].Messages))
	if err := printPending(ctx, rdb); err != nil {
		return err
	}

	// Worker renderer-2 joins the group. Until the jobs have been idle for
	// ClaimMinIdle it leaves them alone: renderer-1 might only be slow
	// (a live Pelican worker's heartbeats keep its slow messages).
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	var rendered, asExpected atomic.Int64
	w, err := c.NewWorker(pelican.WorkerConfig{
		Stream: stream, Group: group, Consumer: "renderer-2",
		Handler: pelican.HandlerFunc(func(ctx context.Context, m *pelican.Message) error {
			since := time.Since(crashedAt)
			fmt.Printf("renderer-2 renders job %s (%s), delivery %d, %v after the crash\n",
				m.Values["job"], m.ID, m.Deliveries, since.Round(100*time.Millisecond))
			if m.Deliveries == 2 && since >= claimMinIdle {
				asExpected.Add(1)
			}
			if rendered.Add(1) == 3 {
				stop() // all done: shut the worker down
			}
			return nil
		}),
		ClaimMinIdle: claimMinIdle,
		Block:        100 * time.Millisecond, // how long a read waits; it bounds shutdown too
	})
	if err != nil {
		return err
	}
	if err := w.Run(runCtx); err != nil {
		return err
	}

	// Check the outcome: all three jobs were rendered on their second
	// delivery, no earlier than ClaimMinIdle after the crash, and
	// acknowledged.
	if err := printPending(ctx, rdb); err != nil {
		return err
	}
	pending, err := rdb.XPending(ctx, stream, group).Result()
	if err != nil {
		return err
	}
	if asExpected.Load() != 3 || pending.Count != 0 {
		return fmt.Errorf("%d of %d jobs rendered as expected (want 3 of 3), %d pending", asExpected.Load(), rendered.Load(), pending.Count)
	}
	return nil
}

// printPending shows the group's Pending Entries List: who holds each
// message, for how long, and how many times it was delivered.
func printPending(ctx context.Context, rdb redis.UniversalClient) error {
	pending, err := rdb.XPendingExt(ctx, &redis.XPendingExtArgs{
		Stream: stream, Group: group, Start: "-", End: "+", Count: 100,
	}).Result()
	if err != nil {
		return err
	}
	fmt.Printf("XPENDING %s %s: %d entries\n", stream, group, len(pending))
	for _, p := range pending {
		fmt.Printf("  %s  held by %s, idle %v, delivered %d time(s)\n", p.ID, p.Consumer, p.Idle.Round(100*time.Millisecond), p.RetryCount)
	}
	return nil
}

// connect returns a client of the embedded engine, or of the Redis at
// addr after deleting what an earlier run left there.
func connect(ctx context.Context, addr string) (*pelican.Client, error) {
	// Pelican logs failures and dead letters; this example prints its own
	// account of them instead.
	opts := pelican.Options{Logger: slog.New(slog.DiscardHandler)}
	if addr == "" {
		return embedded.New(opts)
	}
	c := pelican.New(redis.NewClient(&redis.Options{Addr: addr}), opts)
	// The stream and Pelican's bookkeeping all have names starting with
	// the stream's.
	keys, err := c.Redis().Keys(ctx, stream+"*").Result()
	if err == nil && len(keys) > 0 {
		err = c.Redis().Del(ctx, keys...).Err()
	}
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("cleaning up %s: %w", addr, err)
	}
	return c, nil
}
