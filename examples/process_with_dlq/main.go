// Command process_with_dlq shows the dead-letter queue pattern: a message
// whose handler keeps failing is delivered again after a backoff, and once
// it has failed MaxDeliveries times Pelican moves it, with metadata saying
// what happened, to the stream "<stream>:dlq". A message that can never
// succeed (pelican.Permanent) goes there at once.
//
//	go run ./examples/process_with_dlq                  # embedded engine
//	go run ./examples/process_with_dlq -redis 127.0.0.1:6379
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pelicanhq/pelican"
	"github.com/pelicanhq/pelican/embedded"
)

const stream = "examples:orders" // its dead letters go to "examples:orders:dlq"

func main() {
	addr := flag.String("redis", "", "use the Redis at `host:port` instead of the embedded engine")
	flag.Parse()
	// A safety net: whatever happens, give up after 10 seconds.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
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

	// Order 13 refers to a product that does not exist yet: every attempt
	// fails. Order 14 is malformed: no retry can fix it.
	for _, order := range []string{"11", "12", "13", "14"} {
		if _, err := c.Publish(ctx, stream, map[string]string{"order": order}, nil); err != nil {
			return err
		}
	}

	// The worker runs until both failing orders are dead letters.
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	var deadLetters atomic.Int64 // OnDeadLetter may be called from several goroutines
	w, err := c.NewWorker(pelican.WorkerConfig{
		Stream: stream, Group: "billing", Consumer: "billing-1",
		Handler: pelican.HandlerFunc(func(ctx context.Context, m *pelican.Message) error {
			switch order := m.Values["order"]; order {
			case "13":
				fmt.Printf("order 13: delivery %d of %d fails\n", m.Deliveries, m.MaxDeliveries)
				return errors.New("product 7781 not found")
			case "14":
				fmt.Println("order 14: malformed, failing permanently")
				return pelican.Permanent(errors.New("order has no customer"))
			default:
				fmt.Printf("order %s: billed\n", order)
				return nil
			}
		}),
		MaxDeliveries: 3,
		// Short delays so that the example ends quickly; real ones are
		// seconds to minutes.
		Backoff: pelican.Delays{100 * time.Millisecond, 200 * time.Millisecond},
		Block:   100 * time.Millisecond, // how long a read waits; it bounds shutdown too
		OnDeadLetter: func(ctx context.Context, d pelican.DeadLetter) {
			fmt.Printf("order %s: moved to %s at delivery %d (class %s)\n", d.Values["order"], stream+":dlq", d.Deliveries, d.Class)
			if deadLetters.Add(1) == 2 {
				stop()
			}
		},
	})
	if err != nil {
		return err
	}
	if err := w.Run(runCtx); err != nil {
		return err
	}

	// The dead-letter stream is an ordinary stream: read it with XRANGE.
	// Each entry holds the message's own fields and Pelican's metadata,
	// whose names start with "pelican:".
	rdb := c.Redis()
	dead, err := rdb.XRange(ctx, stream+":dlq", "-", "+").Result()
	if err != nil {
		return err
	}
	fmt.Printf("\n%s holds %d dead letters:\n", stream+":dlq", len(dead))
	for _, e := range dead {
		fmt.Println(e.ID)
		names := make([]string, 0, len(e.Values))
		for k := range e.Values {
			names = append(names, k)
		}
		slices.Sort(names)
		for _, k := range names {
			fmt.Printf("  %-26s %v\n", k, e.Values[k])
		}
	}

	// Check the outcome: nothing is left pending; order 14 went first,
	// without retries, and order 13 after three deliveries.
	pending, err := rdb.XPending(ctx, stream, "billing").Result()
	if err != nil {
		return err
	}
	var got []string
	for _, e := range dead {
		got = append(got, fmt.Sprintf("order %v: %v after %v", e.Values["order"], e.Values[pelican.FieldErrorClass], e.Values[pelican.FieldDeliveries]))
	}
	want := []string{"order 14: permanent after 1", "order 13: handler after 3"}
	if pending.Count != 0 || !slices.Equal(got, want) {
		return fmt.Errorf("%d messages pending (want 0), dead letters %q (want %q)", pending.Count, got, want)
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
	// The stream, its dead letters and Pelican's bookkeeping all have
	// names starting with the stream's.
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
