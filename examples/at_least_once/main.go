// Command at_least_once shows at-least-once delivery: a worker
// acknowledges a message only after its handler succeeded, so a worker
// that dies mid-batch loses nothing. Its messages stay pending, and the
// restarted worker (same consumer name) processes them first. Some had
// been processed before the crash and are processed again, which is why
// an at-least-once handler must be idempotent.
//
//	go run ./examples/at_least_once                  # embedded engine
//	go run ./examples/at_least_once -redis 127.0.0.1:6379
package main

import (
	"context"
	"errors"
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
	stream  = "examples:payments"
	charged = stream + ":charged" // the set of charged payments: the side effect
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
	// Each worker gets a connection of its own, so that the first one can
	// be cut off as if its process had been killed.
	open, closeAll, err := connector(ctx, addr)
	if err != nil {
		return err
	}
	defer closeAll()
	// Pelican logs what goes wrong, such as the first worker losing its
	// connection; this example prints its own account instead.
	opts := pelican.Options{Logger: slog.New(slog.DiscardHandler)}
	c := pelican.New(open(), opts)
	batch := make([]map[string]string, 6)
	for i := range batch {
		batch[i] = map[string]string{"payment": fmt.Sprint(i + 1)}
	}
	if _, err := c.PublishBatch(ctx, stream, batch, nil); err != nil {
		return err
	}

	// First run of worker "payments-1": it reads all six in one batch,
	// charges payments 1 to 3, then dies while charging payment 4.
	conn := open()
	ctx1, kill := context.WithCancel(ctx)
	defer kill()
	w1, err := pelican.New(conn, opts).NewWorker(config(func(ctx context.Context, m *pelican.Message) error {
		if m.Values["payment"] != "4" {
			return charge(ctx, conn, m)
		}
		fmt.Println("payment 4: the worker dies while charging it")
		// Pull the plug: from now on nothing the worker does reaches the
		// server (no acknowledgement, no giving back), as after kill -9.
		// Then stop the worker, and this handler once it is told to.
		conn.Close()
		kill()
		<-ctx.Done()
		return ctx.Err()
	}))
	if err != nil {
		return err
	}
	if err := w1.Run(ctx1); err != nil {
		return err
	}

	// Payments 1 to 3 were charged but not acknowledged: a worker
	// acknowledges its successes in bulk, with its next read or once it has
	// nothing else to do, and neither came.
	pending, err := c.Redis().XPendingExt(ctx, &redis.XPendingExtArgs{
		Stream: stream, Group: "payments", Start: "-", End: "+", Count: 100,
	}).Result()
	if err != nil {
		return err
	}
	fmt.Printf("after the crash, %d messages are pending:\n", len(pending))
	for _, p := range pending {
		fmt.Printf("  %s  consumer %s, delivered %d time(s)\n", p.ID, p.Consumer, p.RetryCount)
	}

	// The restarted worker keeps its consumer name. Before reading new
	// messages it processes the ones it held, one at a time (any of them
	// may be what killed the worker): each is delivered again.
	//
	// A worker restarted after kill -9 is a new process and takes its name
	// at once. Here the "dead" worker was in this very process, which is
	// still alive, so its name stays taken until its last heartbeat
	// expires (three heartbeat intervals): Run says so with
	// ErrConsumerInUse, and the example waits.
	ctx2, stop := context.WithCancel(ctx)
	defer stop()
	var handled, redelivered atomic.Int64
	w2Handler := func(ctx context.Context, m *pelican.Message) error {
		if m.Deliveries > 1 {
			redelivered.Add(1)
		}
		if handled.Add(1) == 6 {
			stop() // all done: shut the worker down
		}
		return charge(ctx, c.Redis(), m)
	}
	w2, err := c.NewWorker(config(w2Handler))
	if err != nil {
		return err
	}
	for {
		err := w2.Run(ctx2)
		if !errors.Is(err, pelican.ErrConsumerInUse) {
			if err != nil {
				return err
			}
			break
		}
		time.Sleep(200 * time.Millisecond)
		if w2, err = c.NewWorker(config(w2Handler)); err != nil {
			return err
		}
	}

	// Check the outcome: nothing pending, every payment charged once, all
	// six messages delivered a second time.
	left, err := c.Redis().XPending(ctx, stream, "payments").Result()
	if err != nil {
		return err
	}
	n, err := c.Redis().SCard(ctx, charged).Result()
	if err != nil {
		return err
	}
	fmt.Printf("done: %d pending, %d payments charged, %d messages redelivered\n", left.Count, n, redelivered.Load())
	if left.Count != 0 || n != 6 || redelivered.Load() != 6 {
		return errors.New("want 0 pending, 6 charged and 6 redelivered")
	}
	return nil
}

// charge is the idempotent side effect: SADD reports whether the payment
// was already in the set, so a redelivered payment is not charged twice.
func charge(ctx context.Context, rdb redis.UniversalClient, m *pelican.Message) error {
	added, err := rdb.SAdd(ctx, charged, m.Values["payment"]).Result()
	if err != nil {
		return err
	}
	what := "charged"
	if added == 0 {
		what = "already charged, nothing to do"
	}
	fmt.Printf("payment %s (delivery %d): %s\n", m.Values["payment"], m.Deliveries, what)
	return nil
}

func config(h pelican.HandlerFunc) pelican.WorkerConfig {
	return pelican.WorkerConfig{
		Stream: stream, Group: "payments", Consumer: "payments-1", Handler: h,
		Block:             100 * time.Millisecond, // how long a read waits for new messages
		ShutdownGrace:     100 * time.Millisecond, // how long shutdown waits for handlers
		HeartbeatInterval: 100 * time.Millisecond, // a dead worker's name is free after three
	}
}

// connector returns a function opening a new connection to an embedded
// engine, or to the Redis at addr (after deleting what an earlier run left
// there), and a function closing them all.
func connector(ctx context.Context, addr string) (open func() redis.UniversalClient, closeAll func(), err error) {
	if addr == "" {
		db, err := embedded.Open(embedded.Config{})
		if err != nil {
			return nil, nil, err
		}
		return func() redis.UniversalClient { return db.NewClient(nil) }, func() { db.Close() }, nil
	}
	var conns []*redis.Client
	open = func() redis.UniversalClient {
		conns = append(conns, redis.NewClient(&redis.Options{Addr: addr}))
		return conns[len(conns)-1]
	}
	closeAll = func() {
		for _, r := range conns {
			r.Close()
		}
	}
	keys, err := open().Keys(ctx, stream+"*").Result()
	if err == nil && len(keys) > 0 {
		err = conns[0].Del(ctx, keys...).Err()
	}
	if err != nil {
		closeAll()
		return nil, nil, fmt.Errorf("cleaning up %s: %w", addr, err)
	}
	return open, closeAll, nil
}
