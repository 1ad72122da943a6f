// Command trim_guard shows safe trimming: a stream read by two consumer
// groups, one of them behind, is trimmed to its newest 200 entries. A
// plain trim (XTRIM MAXLEN 200) removes messages the slow group has not
// processed yet; its report says how many, and they are gone for good.
// A safe trim removes only what every group has been delivered and
// acknowledged, reports what a plain trim would have lost, and the slow
// group processes everything afterwards.
//
// On a server with XTRIM's ACKED option (Redis 8.2, Pelican's engine)
// the server skips what a group still needs; on Redis 7 Pelican trims
// with MINID at a floor computed from every group. Pass -fallbacks to
// see the Redis 7 path on the embedded engine.
//
//	go run ./examples/trim_guard                  # embedded engine
//	go run ./examples/trim_guard -redis 127.0.0.1:6379
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pelicanhq/pelican"
	"github.com/pelicanhq/pelican/embedded"
	"github.com/pelicanhq/pelican/trim"
)

// The two streams get the same history; one is trimmed plainly, the
// other safely.
const (
	plainStream = "examples:audit:plain"
	safeStream  = "examples:audit:safe"
)

func main() {
	addr := flag.String("redis", "", "use the Redis at `host:port` instead of the embedded engine")
	fallbacks := flag.Bool("fallbacks", false, "use only Redis 7 commands (the MINID floor) on the embedded engine")
	flag.Parse()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second) // a safety net
	err := run(ctx, *addr, *fallbacks)
	cancel()
	if err != nil {
		fmt.Println("FAILED:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, addr string, fallbacks bool) error {
	c, err := connect(ctx, addr, fallbacks)
	if err != nil {
		return err
	}
	defer c.Close()

	for _, s := range []string{plainStream, safeStream} {
		if err := history(ctx, c, s); err != nil {
			return err
		}
	}
	fmt.Println("1000 audit events; \"billing\" processed them all; \"analytics\" read 600 and acknowledged 550")

	// A plain trim: what XADD MAXLEN or XTRIM MAXLEN would do.
	plain, err := trim.Run(ctx, c, trim.Policy{Stream: plainStream, MaxLen: 200})
	if err != nil {
		return err
	}
	fmt.Printf("\nplain trim to 200 entries: removed %d, %d of them unprocessed (lost: %d)\n", plain.Removed, plain.Unprocessed, plain.Lost)
	fmt.Printf("  analytics now holds %d pending messages whose entries are gone (ghosts)\n", plain.Ghosts)

	// A safe trim with the same policy.
	safe, err := trim.Run(ctx, c, trim.Policy{Stream: safeStream, MaxLen: 200, Safe: true})
	if err != nil {
		return err
	}
	fmt.Printf("\nsafe trim to 200 entries (mode %s, floor %s): removed %d, length %d\n", safe.Mode, safe.Floor, safe.Removed, safe.LengthAfter)
	fmt.Printf("  a plain trim would have removed %d unprocessed messages; all kept (lost: %d)\n", safe.Unprocessed, safe.Lost)

	// Analytics catches up on both streams: its pending messages first,
	// then the ones it was never delivered.
	plainDone, err := catchUp(ctx, c, plainStream)
	if err != nil {
		return err
	}
	safeDone, err := catchUp(ctx, c, safeStream)
	if err != nil {
		return err
	}
	fmt.Printf("\nanalytics catches up: %d of its 450 outstanding messages after the plain trim, %d after the safe one\n", plainDone, safeDone)

	// The totals monitoring sees (pelican_trim_*_total).
	for _, s := range []string{plainStream, safeStream} {
		n, err := trim.ReadCounters(ctx, c, s)
		if err != nil {
			return err
		}
		fmt.Printf("%s: removed %d, lost %d, prevented %d\n", trim.CountersKey(s), n.Removed, n.Lost, n.Prevented)
	}

	// The outcome: the plain trim lost the 50 pending and 200 undelivered
	// messages; the safe one removed only the 550 everyone had processed.
	if plain.Removed != 800 || plain.Lost != 250 || plain.Ghosts != 50 || plainDone != 200 {
		return fmt.Errorf("plain trim: %+v, analytics processed %d; want 800 removed, 250 lost, 50 ghosts, 200 processed", plain, plainDone)
	}
	if safe.Removed != 550 || safe.Lost != 0 || safe.Unprocessed != 250 || safeDone != 450 {
		return fmt.Errorf("safe trim: %+v, analytics processed %d; want 550 removed, 250 kept, 450 processed", safe, safeDone)
	}
	return nil
}

// history publishes 1000 events; group "billing" reads and acknowledges
// them all, group "analytics" reads the first 600 and acknowledges 550.
func history(ctx context.Context, c *pelican.Client, stream string) error {
	rdb := c.Redis()
	batch := make([]map[string]string, 1000)
	for i := range batch {
		batch[i] = map[string]string{"event": "login", "n": fmt.Sprint(i + 1)}
	}
	ids, err := c.PublishBatch(ctx, stream, batch, nil)
	if err != nil {
		return err
	}
	for _, g := range []struct {
		name      string
		read, ack int
	}{{"billing", 1000, 1000}, {"analytics", 600, 550}} {
		if err := rdb.XGroupCreate(ctx, stream, g.name, "0").Err(); err != nil {
			return err
		}
		if err := rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: g.name, Consumer: g.name + "-1", Streams: []string{stream, ">"}, Count: int64(g.read)}).Err(); err != nil {
			return err
		}
		if err := rdb.XAck(ctx, stream, g.name, ids[:g.ack]...).Err(); err != nil {
			return err
		}
	}
	return nil
}

// catchUp has analytics process what it still can: its pending messages
// whose entries are still there, then the rest of the stream. It returns
// how many messages it processed.
func catchUp(ctx context.Context, c *pelican.Client, stream string) (int, error) {
	rdb := c.Redis()
	done := 0
	for _, start := range []string{"0", ">"} {
		res, err := rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "analytics", Consumer: "analytics-1", Streams: []string{stream, start}, Count: 10000, Block: -1}).Result()
		if err != nil && err != redis.Nil {
			return done, err
		}
		for _, s := range res {
			for _, m := range s.Messages {
				if m.Values == nil {
					continue // a ghost: its entry was trimmed
				}
				if err := rdb.XAck(ctx, stream, "analytics", m.ID).Err(); err != nil {
					return done, err
				}
				done++
			}
		}
	}
	return done, nil
}

// connect returns a client of the embedded engine, or of the Redis at
// addr after deleting what an earlier run left there.
func connect(ctx context.Context, addr string, fallbacks bool) (*pelican.Client, error) {
	opts := pelican.Options{Logger: slog.New(slog.DiscardHandler), ForceFallbacks: fallbacks}
	if addr == "" {
		return embedded.New(opts)
	}
	c := pelican.New(redis.NewClient(&redis.Options{Addr: addr}), opts)
	keys, err := c.Redis().Keys(ctx, "examples:audit*").Result()
	if err == nil && len(keys) > 0 {
		err = c.Redis().Del(ctx, keys...).Err()
	}
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("cleaning up %s: %w", addr, err)
	}
	return c, nil
}
