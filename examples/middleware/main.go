// Command middleware shows worker middleware: a chain of
// func(pelican.Handler) pelican.Handler, as net/http has, set per worker
// in WorkerConfig.Middleware, the first outermost. Two are written here,
// as a user would write them:
//
//   - rateLimit holds one handler to a rate with golang.org/x/time/rate
//     (the API it calls allows 50 calls a second); a message that cannot
//     get a token before its time limit is given back without spending an
//     attempt (pelican.Unavailable);
//
//   - outcomes counts what becomes of every delivery with
//     pelican.OutcomeOf: the worker's own decision (ack, retry,
//     dead-letter, give-back) and failure class. A handler that panics
//     reaches it as an error of class panic.
//
//     go run ./examples/middleware                  # embedded engine
//     go run ./examples/middleware -redis 127.0.0.1:6379
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"golang.org/x/time/rate"

	"github.com/pelicanhq/pelican"
	"github.com/pelicanhq/pelican/embedded"
)

const stream = "examples:shipping"

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

// rateLimit returns a middleware that lets the handler run at most as
// often as l allows. A message that cannot get a token before its
// handler's time limit goes back to the group without spending an
// attempt: the limit is not the message's fault.
func rateLimit(l *rate.Limiter) pelican.Middleware {
	return func(next pelican.Handler) pelican.Handler {
		return pelican.HandlerFunc(func(ctx context.Context, m *pelican.Message) error {
			if err := l.Wait(ctx); err != nil {
				return pelican.Unavailable(fmt.Errorf("rate limit: %w", err))
			}
			return next.Handle(ctx, m)
		})
	}
}

// tally counts outcomes by "result/class".
type tally struct {
	mu sync.Mutex
	n  map[string]int
}

// outcomes returns a middleware that counts the outcome of every delivery
// in t.
func outcomes(t *tally) pelican.Middleware {
	return func(next pelican.Handler) pelican.Handler {
		return pelican.HandlerFunc(func(ctx context.Context, m *pelican.Message) error {
			err := next.Handle(ctx, m)
			o := pelican.OutcomeOf(ctx, m, err)
			key := o.Result.String()
			if o.Class != "" {
				key += "/" + o.Class
			}
			t.mu.Lock()
			t.n[key]++
			t.mu.Unlock()
			return err
		})
	}
}

func run(ctx context.Context, addr string) error {
	c, err := connect(ctx, addr)
	if err != nil {
		return err
	}
	defer c.Close()

	// 30 parcels to label. Parcel 7's label printer jams once (a panic);
	// parcel 12 has no address and never will.
	const parcels = 30
	batch := make([]map[string]string, parcels)
	for i := range batch {
		batch[i] = map[string]string{"parcel": strconv.Itoa(i)}
	}
	if _, err := c.PublishBatch(ctx, stream, batch, nil); err != nil {
		return err
	}

	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	counts := &tally{n: map[string]int{}}
	var mu sync.Mutex
	labelled := 0
	limit := rate.NewLimiter(50, 5) // 50 labels a second, bursts of 5
	w, err := c.NewWorker(pelican.WorkerConfig{
		Stream: stream, Group: "labels", Consumer: "labels-1",
		Handler: pelican.HandlerFunc(func(ctx context.Context, m *pelican.Message) error {
			switch m.Values["parcel"] {
			case "7":
				if m.Deliveries == 1 {
					panic("label printer jammed")
				}
			case "12":
				return pelican.Permanent(errors.New("parcel has no address"))
			}
			mu.Lock()
			labelled++
			mu.Unlock()
			return nil
		}),
		// outcomes is outermost: it sees what the rate limit returns too.
		Middleware:  []pelican.Middleware{outcomes(counts), rateLimit(limit)},
		Concurrency: 4,
		Backoff:     pelican.Delays{50 * time.Millisecond},
		Block:       100 * time.Millisecond,
	})
	if err != nil {
		return err
	}
	start := time.Now()
	done := make(chan error, 1)
	go func() { done <- w.Run(runCtx) }()
	for {
		s := w.Stats()
		if s.Processed == parcels-1 && s.DeadLettered == 1 {
			break
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("not all parcels were settled: %+v", s)
		case <-time.After(10 * time.Millisecond):
		}
	}
	took := time.Since(start)
	stop()
	if err := <-done; err != nil {
		return err
	}

	fmt.Printf("%d parcels labelled in %v at no more than 50 a second (bursts of 5)\n", labelled, took.Round(10*time.Millisecond))
	fmt.Println("outcomes seen by the middleware:")
	for _, k := range slices.Sorted(maps.Keys(counts.n)) {
		fmt.Printf("  %-22s %d\n", k, counts.n[k])
	}

	// 31 handler runs (parcel 7 twice) through a limiter of 50 a second
	// with 5 in the bucket: at least (31-5)/50 s.
	if least := 26 * time.Second / 50; took < least {
		return fmt.Errorf("took %v, want at least %v: the rate limit did not hold", took, least)
	}
	want := map[string]int{"ack": parcels - 1, "retry/panic": 1, "dead-letter/permanent": 1}
	if labelled != parcels-1 || !maps.Equal(counts.n, want) {
		return fmt.Errorf("labelled %d (want %d), outcomes %v (want %v)", labelled, parcels-1, counts.n, want)
	}
	return nil
}

// connect returns a client of the embedded engine, or of the Redis at
// addr after deleting what an earlier run left there.
func connect(ctx context.Context, addr string) (*pelican.Client, error) {
	// Pelican logs the panic and the dead letter; this example prints its
	// own account instead.
	opts := pelican.Options{Logger: slog.New(slog.DiscardHandler)}
	if addr == "" {
		return embedded.New(opts)
	}
	c := pelican.New(redis.NewClient(&redis.Options{Addr: addr}), opts)
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
