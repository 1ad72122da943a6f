package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/pelicanhq/pelican/internal/cputime"
)

// asynq keeps a queue's waiting tasks in a list and the tasks being
// processed in another, with a lease each.
const (
	asynqPending = "asynq:{default}:pending"
	asynqActive  = "asynq:{default}:active"
)

// nopLogger silences asynq.
type nopLogger struct{}

func (nopLogger) Debug(...any) {}
func (nopLogger) Info(...any)  {}
func (nopLogger) Warn(...any)  {}
func (nopLogger) Error(...any) {}
func (nopLogger) Fatal(...any) {}

// asynqEnqueue empties the database and enqueues n tasks of type "noop"
// whose payload is their number, from 32 goroutines.
func asynqEnqueue(ctx context.Context, addr string, n int) error {
	rdb := redis.NewClient(&redis.Options{Addr: addr, PoolSize: 40})
	defer rdb.Close()
	if err := rdb.FlushAll(ctx).Err(); err != nil {
		return err
	}
	c := asynq.NewClientFromRedisClient(rdb)
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, 32)
	for g := 0; g < 32; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= int64(n) {
					return
				}
				if _, err := c.EnqueueContext(ctx, asynq.NewTask("noop", []byte(strconv.FormatInt(i, 10)))); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// asynqDrained reports whether no task waits or runs.
func asynqDrained(ctx context.Context, rdb *redis.Client) (bool, error) {
	p := rdb.Pipeline()
	a, b := p.LLen(ctx, asynqPending), p.LLen(ctx, asynqActive)
	if _, err := p.Exec(ctx); err != nil {
		return false, err
	}
	return a.Val() == 0 && b.Val() == 0, nil
}

func asynqConsume(args []string) error {
	fs := flag.NewFlagSet("asynq-consume", flag.ExitOnError)
	addr := fs.String("addr", "127.0.0.1:6379", "Redis address")
	n := fs.Int("n", 200000, "tasks")
	c := fs.Int("c", 16, "asynq Config.Concurrency")
	serverPID := fs.Int("server-pid", 0, "PID of the server, to report its CPU time")
	fs.Parse(args)
	ctx := context.Background()
	if err := asynqEnqueue(ctx, *addr, *n); err != nil {
		return fmt.Errorf("enqueueing: %w", err)
	}
	rdb := redis.NewClient(&redis.Options{Addr: *addr, PoolSize: *c + 8})
	check := redis.NewClient(&redis.Options{Addr: *addr})
	defer check.Close()
	srv := asynq.NewServerFromRedisClient(rdb, asynq.Config{Concurrency: *c, Logger: nopLogger{}, LogLevel: asynq.FatalLevel})
	var done atomic.Int64
	cpu0, srv0 := cputime.Self(), cputime.Of(*serverPID)
	start := time.Now()
	if err := srv.Start(asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
		done.Add(1)
		return nil
	})); err != nil {
		return err
	}
	if err := asynqWait(ctx, check, int64(*n), done.Load, start.Add(5*time.Minute)); err != nil {
		return err
	}
	elapsed := time.Since(start)
	cpu, srvCPU := cputime.Self()-cpu0, cputime.Of(*serverPID)-srv0
	srv.Shutdown()
	report(*n, elapsed, cpu, srvCPU)
	return nil
}

// asynqWait polls until count reports n and no task waits or runs.
func asynqWait(ctx context.Context, check *redis.Client, n int64, count func() int64, deadline time.Time) error {
	for {
		if count() >= n {
			ok, err := asynqDrained(ctx, check)
			if err != nil {
				return err
			}
			if ok {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not drained: %d of %d", count(), n)
		}
		time.Sleep(time.Millisecond)
	}
}

// asynqRecover measures how long an asynq server with default settings
// takes to process the tasks of a server process that was killed while
// running them.
func asynqRecover(args []string) error {
	fs := flag.NewFlagSet("asynq-recover", flag.ExitOnError)
	addr := fs.String("addr", "127.0.0.1:6379", "Redis address")
	n := fs.Int("n", 1000, "tasks")
	c := fs.Int("c", 10, "the rescuer's Concurrency")
	timeout := fs.Duration("timeout", 5*time.Minute, "how long to wait for the recovery")
	settle := fs.Duration("settle", 600*time.Millisecond, "how long the rescuer runs before the holder dies")
	fs.Parse(args)
	ctx := context.Background()
	if err := asynqEnqueue(ctx, *addr, *n); err != nil {
		return fmt.Errorf("enqueueing: %w", err)
	}
	check := redis.NewClient(&redis.Options{Addr: *addr})
	defer check.Close()

	exe, err := os.Executable()
	if err != nil {
		return err
	}
	cmd := exec.Command(exe, "asynq-hold", "-addr", *addr, "-c", strconv.Itoa(*n))
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return err
	}
	defer cmd.Process.Kill()
	for deadline := time.Now().Add(30 * time.Second); ; {
		a, err := check.LLen(ctx, asynqActive).Result()
		if err != nil {
			return err
		}
		if a == int64(*n) {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the holder runs %d tasks, want %d", a, *n)
		}
		time.Sleep(5 * time.Millisecond)
	}

	var mu sync.Mutex
	rec := recovery{seen: map[int]int{}}
	rdb := redis.NewClient(&redis.Options{Addr: *addr, PoolSize: *c + 8})
	srv := asynq.NewServerFromRedisClient(rdb, asynq.Config{Concurrency: *c, Logger: nopLogger{}, LogLevel: asynq.FatalLevel})
	if err := srv.Start(asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
		i, _ := strconv.Atoi(string(t.Payload()))
		now := time.Now()
		mu.Lock()
		rec.seen[i]++
		rec.last = now
		mu.Unlock()
		return nil
	})); err != nil {
		return err
	}
	defer srv.Shutdown()
	time.Sleep(*settle)
	mu.Lock()
	early := len(rec.seen)
	mu.Unlock()
	died := time.Now()
	if err := cmd.Process.Kill(); err != nil {
		return err
	}
	cmd.Wait()
	for deadline := died.Add(*timeout); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		mu.Lock()
		got := len(rec.seen)
		mu.Unlock()
		if got >= *n {
			break
		}
	}
	time.Sleep(2 * time.Second)
	mu.Lock()
	defer mu.Unlock()
	rec.result(*n, died, early)
	return nil
}

// asynqHold runs tasks whose handler never returns, until killed.
func asynqHold(args []string) error {
	fs := flag.NewFlagSet("asynq-hold", flag.ExitOnError)
	addr := fs.String("addr", "127.0.0.1:6379", "Redis address")
	c := fs.Int("c", 1000, "Concurrency: how many tasks to hold")
	fs.Parse(args)
	rdb := redis.NewClient(&redis.Options{Addr: *addr, PoolSize: 32})
	srv := asynq.NewServerFromRedisClient(rdb, asynq.Config{Concurrency: *c, Logger: nopLogger{}, LogLevel: asynq.FatalLevel})
	block := make(chan struct{})
	if err := srv.Start(asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
		<-block
		return nil
	})); err != nil {
		return err
	}
	select {}
}
