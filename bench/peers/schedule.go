package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/pelicanhq/pelican"
)

// The scheduled-messages measurement: n messages are scheduled (from 32
// goroutines, one publish or enqueue each) for due times spread evenly
// over [T+lead, T+lead+spread]; a consumer with concurrency c handles
// them with a no-op handler that records its lateness, the time from
// the message's due time to its handler's call. With -spread 0 every
// message is due at once: the run then measures how fast due messages
// are moved (and handled). It prints one line:
//
//	moved/s  handled/s  p50 ms  p99 ms  max ms
//
// moved/s is n over the time from the first due time until the due-time
// index was empty (polled every millisecond), handled/s n over the time
// until the last handler call, and the lateness quantiles are over every
// message.

// scheduleFlags are the flags both sides share.
type scheduleFlags struct {
	addr          string
	n, c          int
	lead, spread  time.Duration
	checkInterval time.Duration
}

func (f *scheduleFlags) parse(name string, args []string) {
	fs := flag.NewFlagSet(name, flag.ExitOnError)
	fs.StringVar(&f.addr, "addr", "127.0.0.1:6379", "server address")
	fs.IntVar(&f.n, "n", 100000, "messages")
	fs.IntVar(&f.c, "c", 16, "handler concurrency")
	fs.DurationVar(&f.lead, "lead", 5*time.Second, "time from the start to the first due time (scheduling must finish within it)")
	fs.DurationVar(&f.spread, "spread", 10*time.Second, "time over which the due times are spread (0: all at once)")
	fs.DurationVar(&f.checkInterval, "check-interval", 0, "asynq: DelayedTaskCheckInterval; pelican: ScheduleInterval (0: the library's default)")
	fs.Parse(args)
}

// due returns message i's due time.
func (f *scheduleFlags) due(start time.Time, i int) time.Time {
	if f.spread == 0 || f.n < 2 {
		return start.Add(f.lead)
	}
	return start.Add(f.lead + time.Duration(int64(f.spread)*int64(i)/int64(f.n-1)))
}

// lateness records each message's lateness, by number.
type lateness struct {
	late []time.Duration
	seen []atomic.Bool
	n    atomic.Int64
	last atomic.Int64 // Unix ns of the last handler call
}

func newLateness(n int) *lateness {
	return &lateness{late: make([]time.Duration, n), seen: make([]atomic.Bool, n)}
}

// record notes the call for payload "<i>|<due Unix ms>".
func (l *lateness) record(payload string) error {
	now := time.Now()
	is, ds, _ := strings.Cut(payload, "|")
	i, err1 := strconv.Atoi(is)
	due, err2 := strconv.ParseInt(ds, 10, 64)
	if err1 != nil || err2 != nil || i < 0 || i >= len(l.late) {
		return fmt.Errorf("bad payload %q", payload)
	}
	if l.seen[i].Swap(true) {
		return nil // a duplicate: the first call counts
	}
	l.late[i] = now.Sub(time.UnixMilli(due))
	l.n.Add(1)
	l.last.Store(now.UnixNano())
	return nil
}

// report prints the result line.
func (l *lateness) report(n int, firstDue time.Time, emptied time.Time) {
	sorted := slices.Clone(l.late)
	slices.Sort(sorted)
	q := func(p float64) float64 { return float64(sorted[int(p*float64(len(sorted)-1))]) / 1e6 }
	last := time.Unix(0, l.last.Load())
	fmt.Printf("%.0f %.0f %.1f %.1f %.1f\n", float64(n)/emptied.Sub(firstDue).Seconds(), float64(n)/last.Sub(firstDue).Seconds(),
		q(0.5), q(0.99), q(1))
}

// scheduleAll calls add for every message from 32 goroutines, and fails if
// it did not finish before the first due time.
func scheduleAll(f *scheduleFlags, start time.Time, add func(i int, due time.Time) error) error {
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, 32)
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= f.n {
					return
				}
				if err := add(i, f.due(start, i)); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	if time.Now().After(start.Add(f.lead)) {
		return fmt.Errorf("scheduling took %v, more than -lead %v", time.Since(start), f.lead)
	}
	return nil
}

// waitEmpty polls key's ZCARD every millisecond until it is 0 and returns
// when it saw it so, then waits for every message to be handled.
func waitEmpty(ctx context.Context, rdb *redis.Client, key string, l *lateness, n int, deadline time.Time) (time.Time, error) {
	var emptied time.Time
	for {
		if emptied.IsZero() {
			k, err := rdb.ZCard(ctx, key).Result()
			if err != nil {
				return emptied, err
			}
			if k == 0 {
				emptied = time.Now()
			}
		}
		if !emptied.IsZero() && l.n.Load() >= int64(n) {
			return emptied, nil
		}
		if time.Now().After(deadline) {
			return emptied, fmt.Errorf("not done: %d of %d handled", l.n.Load(), n)
		}
		time.Sleep(time.Millisecond)
	}
}

func pelicanSchedule(args []string) error {
	var f scheduleFlags
	f.parse("pelican-schedule", args)
	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: f.addr, PoolSize: 64})
	defer rdb.Close()
	if err := rdb.FlushAll(ctx).Err(); err != nil {
		return err
	}
	c := pelican.New(rdb, pelican.Options{Logger: slog.New(slog.DiscardHandler)})
	const stream = "sched"
	l := newLateness(f.n)
	w, err := c.NewWorker(pelican.WorkerConfig{
		Stream: stream, Group: "g", Concurrency: f.c, ScheduleInterval: f.checkInterval,
		Handler: pelican.HandlerFunc(func(ctx context.Context, m *pelican.Message) error {
			return l.record(m.Values["p"])
		}),
	})
	if err != nil {
		return err
	}
	wctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- w.Run(wctx) }()
	start := time.Now()
	err = scheduleAll(&f, start, func(i int, due time.Time) error {
		_, err := c.Publish(ctx, stream, map[string]string{"p": strconv.Itoa(i) + "|" + strconv.FormatInt(due.UnixMilli(), 10)}, &pelican.PublishOptions{At: due})
		return err
	})
	if err != nil {
		stop()
		return err
	}
	check := redis.NewClient(&redis.Options{Addr: f.addr})
	defer check.Close()
	first := f.due(start, 0)
	emptied, err := waitEmpty(ctx, check, stream+":pelican:scheduled", l, f.n, first.Add(f.spread+5*time.Minute))
	stop()
	if werr := <-done; err == nil {
		err = werr
	}
	if err != nil {
		return err
	}
	l.report(f.n, first, emptied)
	return nil
}

func asynqSchedule(args []string) error {
	var f scheduleFlags
	f.parse("asynq-schedule", args)
	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: f.addr, PoolSize: 64})
	defer rdb.Close()
	if err := rdb.FlushAll(ctx).Err(); err != nil {
		return err
	}
	l := newLateness(f.n)
	srv := asynq.NewServerFromRedisClient(rdb, asynq.Config{Concurrency: f.c, Logger: nopLogger{}, LogLevel: asynq.FatalLevel,
		DelayedTaskCheckInterval: f.checkInterval})
	if err := srv.Start(asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
		return l.record(string(t.Payload()))
	})); err != nil {
		return err
	}
	defer srv.Shutdown()
	client := asynq.NewClientFromRedisClient(rdb)
	start := time.Now()
	err := scheduleAll(&f, start, func(i int, due time.Time) error {
		p := strconv.Itoa(i) + "|" + strconv.FormatInt(due.UnixMilli(), 10)
		_, err := client.EnqueueContext(ctx, asynq.NewTask("noop", []byte(p)), asynq.ProcessAt(due))
		return err
	})
	if err != nil {
		return err
	}
	check := redis.NewClient(&redis.Options{Addr: f.addr})
	defer check.Close()
	first := f.due(start, 0)
	emptied, err := waitEmpty(ctx, check, "asynq:{default}:scheduled", l, f.n, first.Add(f.spread+5*time.Minute))
	if err != nil {
		return err
	}
	l.report(f.n, first, emptied)
	return nil
}
