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

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill-redisstream/pkg/redisstream"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/redis/go-redis/v9"

	"github.com/pelicanhq/pelican/internal/cputime"
)

const (
	wmTopic = "bench"
	wmGroup = "g"
)

// watermillPublish empties the database and publishes n messages whose
// payload is their number, from 32 goroutines.
func watermillPublish(ctx context.Context, addr string, n int) error {
	rdb := redis.NewClient(&redis.Options{Addr: addr, PoolSize: 40})
	defer rdb.Close()
	if err := rdb.FlushAll(ctx).Err(); err != nil {
		return err
	}
	pub, err := redisstream.NewPublisher(redisstream.PublisherConfig{Client: rdb}, watermill.NopLogger{})
	if err != nil {
		return err
	}
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
				m := message.NewMessage(watermill.NewUUID(), []byte(strconv.FormatInt(i, 10)))
				if err := pub.Publish(wmTopic, m); err != nil {
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

// subscribe starts c subscriptions of one subscriber (each reads and
// handles one message at a time) and hands every message to handle.
func subscribe(ctx context.Context, cfg redisstream.SubscriberConfig, c int, handle func(*message.Message)) (*redisstream.Subscriber, error) {
	sub, err := redisstream.NewSubscriber(cfg, watermill.NopLogger{})
	if err != nil {
		return nil, err
	}
	for i := 0; i < c; i++ {
		ch, err := sub.Subscribe(ctx, wmTopic)
		if err != nil {
			return nil, err
		}
		go func() {
			for m := range ch {
				handle(m)
			}
		}()
	}
	return sub, nil
}

func watermillConsume(args []string) error {
	fs := flag.NewFlagSet("watermill-consume", flag.ExitOnError)
	addr := fs.String("addr", "127.0.0.1:6379", "server address")
	n := fs.Int("n", 200000, "messages")
	c := fs.Int("c", 16, "subscriptions (each handles one message at a time)")
	serverPID := fs.Int("server-pid", 0, "PID of the server, to report its CPU time")
	fs.Parse(args)
	ctx := context.Background()
	if err := watermillPublish(ctx, *addr, *n); err != nil {
		return fmt.Errorf("publishing: %w", err)
	}
	rdb := redis.NewClient(&redis.Options{Addr: *addr, PoolSize: 2**c + 8})
	check := redis.NewClient(&redis.Options{Addr: *addr})
	defer check.Close()
	var done atomic.Int64
	cpu0, srv0 := cputime.Self(), cputime.Of(*serverPID)
	start := time.Now()
	sub, err := subscribe(ctx, redisstream.SubscriberConfig{Client: rdb, ConsumerGroup: wmGroup, Consumer: "bench"}, *c,
		func(m *message.Message) {
			done.Add(1)
			m.Ack()
		})
	if err != nil {
		return err
	}
	if err := watermillWait(ctx, check, int64(*n), done.Load, start.Add(5*time.Minute)); err != nil {
		return err
	}
	elapsed := time.Since(start)
	cpu, srvCPU := cputime.Self()-cpu0, cputime.Of(*serverPID)-srv0
	go sub.Close() // it waits for blocked reads; nothing to wait for here
	report(*n, elapsed, cpu, srvCPU)
	return nil
}

// watermillWait polls until count reports n and the group's PEL is empty.
func watermillWait(ctx context.Context, check *redis.Client, n int64, count func() int64, deadline time.Time) error {
	for {
		if count() >= n {
			p, err := check.XPending(ctx, wmTopic, wmGroup).Result()
			if err != nil {
				return err
			}
			if p.Count == 0 {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not drained: %d of %d", count(), n)
		}
		time.Sleep(time.Millisecond)
	}
}

// watermillRecover measures how long a subscriber takes to process the
// messages of a subscriber process that was killed while handling them.
// Without flags the rescuer has watermill's defaults (MaxIdleTime 60s,
// ClaimInterval 5s, ClaimBatchSize 100).
func watermillRecover(args []string) error {
	fs := flag.NewFlagSet("watermill-recover", flag.ExitOnError)
	addr := fs.String("addr", "127.0.0.1:6379", "server address")
	n := fs.Int("n", 1000, "messages")
	c := fs.Int("c", 10, "the rescuer's subscriptions")
	minIdle := fs.Duration("min-idle", 0, "the rescuer's MaxIdleTime (0: watermill's default)")
	claimInterval := fs.Duration("claim-interval", 0, "the rescuer's ClaimInterval (0: watermill's default)")
	timeout := fs.Duration("timeout", 5*time.Minute, "how long to wait for the recovery")
	settle := fs.Duration("settle", 600*time.Millisecond, "how long the rescuer runs before the holder dies")
	fs.Parse(args)
	ctx := context.Background()
	if err := watermillPublish(ctx, *addr, *n); err != nil {
		return fmt.Errorf("publishing: %w", err)
	}
	check := redis.NewClient(&redis.Options{Addr: *addr})
	defer check.Close()

	exe, err := os.Executable()
	if err != nil {
		return err
	}
	// Each subscription holds up to three messages: one in its handler,
	// one in its read channel, one in its reader.
	cmd := exec.Command(exe, "watermill-hold", "-addr", *addr, "-c", strconv.Itoa(*n/2))
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return err
	}
	defer cmd.Process.Kill()
	for deadline := time.Now().Add(30 * time.Second); ; {
		p, err := check.XPending(ctx, wmTopic, wmGroup).Result()
		if err != nil && err != redis.Nil && !isNoGroup(err) {
			return err
		}
		if err == nil && p.Consumers["holder"] == int64(*n) {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the holder did not take %d messages", *n)
		}
		time.Sleep(5 * time.Millisecond)
	}

	var mu sync.Mutex
	rec := recovery{seen: map[int]int{}}
	rdb := redis.NewClient(&redis.Options{Addr: *addr, PoolSize: 2**c + 8})
	sub, err := subscribe(ctx, redisstream.SubscriberConfig{
		Client: rdb, ConsumerGroup: wmGroup, Consumer: "rescuer",
		MaxIdleTime: *minIdle, ClaimInterval: *claimInterval,
	}, *c, func(m *message.Message) {
		i, _ := strconv.Atoi(string(m.Payload))
		now := time.Now()
		mu.Lock()
		rec.seen[i]++
		rec.last = now
		mu.Unlock()
		m.Ack()
	})
	if err != nil {
		return err
	}
	defer func() { go sub.Close() }()
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

func isNoGroup(err error) bool {
	return len(err.Error()) >= 7 && err.Error()[:7] == "NOGROUP"
}

// watermillHold holds messages in subscriptions that never acknowledge,
// until killed.
func watermillHold(args []string) error {
	fs := flag.NewFlagSet("watermill-hold", flag.ExitOnError)
	addr := fs.String("addr", "127.0.0.1:6379", "server address")
	c := fs.Int("c", 500, "subscriptions")
	fs.Parse(args)
	rdb := redis.NewClient(&redis.Options{Addr: *addr, PoolSize: 2**c + 8})
	_, err := subscribe(context.Background(), redisstream.SubscriberConfig{Client: rdb, ConsumerGroup: wmGroup, Consumer: "holder"}, *c,
		func(m *message.Message) { select {} })
	if err != nil {
		return err
	}
	select {}
}
