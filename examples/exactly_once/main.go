// Command exactly_once shows exactly-once processing of side effects kept
// in Redis. With WorkerConfig.ExactlyOnce the handler does not write to
// Redis itself: it queues its writes on m.Tx(), and Pelican applies them
// together with a marker ("this message is done") and the
// acknowledgement, in one MULTI/EXEC. A failed attempt's writes are
// discarded; a redelivered message whose marker exists is acknowledged
// without running the handler again.
//
//	go run ./examples/exactly_once                  # embedded engine
//	go run ./examples/exactly_once -redis 127.0.0.1:6379
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pelicanhq/pelican"
	"github.com/pelicanhq/pelican/embedded"
)

const (
	stream  = "examples:deposits"
	balance = stream + ":balance" // the side effect: a running total
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

	for _, amount := range []string{"10", "20", "30"} {
		if _, err := c.Publish(ctx, stream, map[string]string{"amount": amount}, nil); err != nil {
			return err
		}
	}

	w, err := c.NewWorker(pelican.WorkerConfig{
		Stream: stream, Group: "ledger", Consumer: "ledger-1",
		ExactlyOnce: true,
		Handler: pelican.HandlerFunc(func(ctx context.Context, m *pelican.Message) error {
			amount, err := strconv.ParseInt(m.Values["amount"], 10, 64)
			if err != nil {
				return pelican.Permanent(err)
			}
			fmt.Printf("deposit of %d (delivery %d): adding it to the balance\n", amount, m.Deliveries)
			// Queued, not yet applied: it happens only if the handler
			// returns nil.
			m.Tx().IncrBy(ctx, balance, amount)
			if amount == 20 && m.Deliveries == 1 {
				fmt.Println("deposit of 20: failing after queuing the write; the write is discarded")
				return errors.New("ledger service timed out")
			}
			return nil
		}),
		// Short delays so that the example ends quickly.
		Backoff: pelican.Delays{100 * time.Millisecond},
		Block:   100 * time.Millisecond, // how long a read waits; it bounds shutdown too
	})
	if err != nil {
		return err
	}
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	done := make(chan error, 1)
	go func() { done <- w.Run(runCtx) }()
	if err := waitFor(ctx, "three deposits are processed", func() bool { return w.Stats().Processed == 3 }); err != nil {
		return err
	}
	before, err := rdb.Get(ctx, balance).Int64()
	if err != nil {
		return err
	}
	fmt.Printf("all three deposits processed: balance %d\n", before)

	// Rewind the group to the start of the stream: every message is
	// delivered again, as after a crash between processing and
	// acknowledging, or an operator's replay. Their markers exist, so
	// the handler does not run and the balance does not change.
	fmt.Println("XGROUP SETID ledger 0: every deposit is delivered again")
	if err := rdb.XGroupSetID(ctx, stream, "ledger", "0").Err(); err != nil {
		return err
	}
	if err := waitFor(ctx, "three redeliveries are seen", func() bool { return w.Stats().Duplicates == 3 }); err != nil {
		return err
	}
	stop()
	if err := <-done; err != nil {
		return err
	}
	after, err := rdb.Get(ctx, balance).Int64()
	if err != nil {
		return err
	}
	s := w.Stats()
	fmt.Printf("redeliveries recognised as done: %d; balance %d\n", s.Duplicates, after)

	pending, err := rdb.XPending(ctx, stream, "ledger").Result()
	if err != nil {
		return err
	}
	if before != 60 || after != 60 || s.Processed != 3 || s.Failed != 1 || pending.Count != 0 {
		return fmt.Errorf("balance %d then %d (want 60), %d pending (want 0), stats %+v", before, after, pending.Count, s)
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
	// The stream, the balance and Pelican's bookkeeping (such as the
	// markers) all have names starting with the stream's.
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

// waitFor polls cond until it holds, and fails if ctx ends first.
func waitFor(ctx context.Context, what string, cond func() bool) error {
	for !cond() {
		if ctx.Err() != nil {
			return fmt.Errorf("timed out waiting until %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return nil
}
