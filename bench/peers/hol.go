package main

import (
	"context"
	"flag"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill-redisstream/pkg/redisstream"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
)

// holFlags are the flags of the head-of-line measurement, the same as
// libbench hol's: of n messages, every slowEvery-th one's handler sleeps
// for slow and the others return at once.
type holFlags struct {
	addr      string
	n, c      int
	slowEvery int
	slow      time.Duration
}

func (f *holFlags) parse(name, concurrency string, args []string) {
	fs := flag.NewFlagSet(name, flag.ExitOnError)
	fs.StringVar(&f.addr, "addr", "127.0.0.1:6379", "server address")
	fs.IntVar(&f.n, "n", 2000, "messages")
	fs.IntVar(&f.c, "c", 4, concurrency)
	fs.IntVar(&f.slowEvery, "slow-every", 100, "every slow-every-th message is slow (0: none)")
	fs.DurationVar(&f.slow, "slow", 200*time.Millisecond, "how long a slow message's handler sleeps")
	fs.Parse(args)
}

// handle is the handler's work for message number i: a sleep if it is
// slow, then a record of its end.
func (f *holFlags) handle(ctx context.Context, t *holTally, i int) error {
	isSlow := f.slowEvery > 0 && i%f.slowEvery == f.slowEvery-1
	if isSlow {
		select {
		case <-time.After(f.slow):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	t.finished(isSlow)
	return nil
}

// holTally counts the messages whose handler returned, and when the last
// fast one did.
type holTally struct {
	start time.Time // set before the handlers run

	mu       sync.Mutex
	n        int64
	lastFast time.Time
}

func (t *holTally) finished(slow bool) {
	now := time.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	t.n++
	if !slow && now.After(t.lastFast) {
		t.lastFast = now
	}
}

func (t *holTally) count() int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.n
}

// report prints a head-of-line result, as libbench hol does: the seconds
// until every message was processed, the messages per second that makes,
// and the seconds until the last fast message was processed.
func (t *holTally) report(n int, elapsed time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	fast := 0.0
	if !t.lastFast.IsZero() {
		fast = t.lastFast.Sub(t.start).Seconds()
	}
	fmt.Printf("%.3f %.0f %.3f\n", elapsed.Seconds(), float64(n)/elapsed.Seconds(), fast)
}

// asynqHOL runs the head-of-line measurement with an asynq server of
// Concurrency c.
func asynqHOL(args []string) error {
	var f holFlags
	f.parse("asynq-hol", "asynq Config.Concurrency", args)
	ctx := context.Background()
	if err := asynqEnqueue(ctx, f.addr, f.n); err != nil {
		return fmt.Errorf("enqueueing: %w", err)
	}
	rdb := redis.NewClient(&redis.Options{Addr: f.addr, PoolSize: f.c + 8})
	check := redis.NewClient(&redis.Options{Addr: f.addr})
	defer check.Close()
	srv := asynq.NewServerFromRedisClient(rdb, asynq.Config{Concurrency: f.c, Logger: nopLogger{}, LogLevel: asynq.FatalLevel})
	var tally holTally
	tally.start = time.Now()
	if err := srv.Start(asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
		i, err := strconv.Atoi(string(t.Payload()))
		if err != nil {
			return err
		}
		return f.handle(ctx, &tally, i)
	})); err != nil {
		return err
	}
	if err := asynqWait(ctx, check, int64(f.n), tally.count, tally.start.Add(5*time.Minute)); err != nil {
		return err
	}
	elapsed := time.Since(tally.start)
	srv.Shutdown()
	tally.report(f.n, elapsed)
	return nil
}

// watermillHOL runs the head-of-line measurement with c subscriptions of
// one watermill-redisstream subscriber, each handling one message at a
// time.
func watermillHOL(args []string) error {
	var f holFlags
	f.parse("watermill-hol", "subscriptions (each handles one message at a time)", args)
	ctx := context.Background()
	if err := watermillPublish(ctx, f.addr, f.n); err != nil {
		return fmt.Errorf("publishing: %w", err)
	}
	rdb := redis.NewClient(&redis.Options{Addr: f.addr, PoolSize: 2*f.c + 8})
	check := redis.NewClient(&redis.Options{Addr: f.addr})
	defer check.Close()
	var tally holTally
	tally.start = time.Now()
	sub, err := subscribe(ctx, redisstream.SubscriberConfig{Client: rdb, ConsumerGroup: wmGroup, Consumer: "bench"}, f.c,
		func(m *message.Message) {
			i, err := strconv.Atoi(string(m.Payload))
			if err != nil || f.handle(m.Context(), &tally, i) != nil {
				m.Nack()
				return
			}
			m.Ack()
		})
	if err != nil {
		return err
	}
	if err := watermillWait(ctx, check, int64(f.n), tally.count, tally.start.Add(5*time.Minute)); err != nil {
		return err
	}
	elapsed := time.Since(tally.start)
	go sub.Close() // it waits for blocked reads; nothing to wait for here
	tally.report(f.n, elapsed)
	return nil
}
