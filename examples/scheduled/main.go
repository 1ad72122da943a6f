// Command scheduled shows messages published for later: reminders
// scheduled with PublishOptions.Delay and At wait in the stream's due-time
// index, visible to the operations API (count, next due, a listing), and
// are moved into the stream as they fall due by the worker of the stream,
// which handles them then. One reminder is cancelled before it is due and
// never arrives; a Scheduler, as a process that only publishes would run,
// moves another stream's messages.
//
//	go run ./examples/scheduled                  # embedded engine
//	go run ./examples/scheduled -redis 127.0.0.1:6379
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pelicanhq/pelican"
	"github.com/pelicanhq/pelican/embedded"
)

const (
	stream = "examples:reminders"
	audit  = "examples:reminders-audit"
)

func main() {
	addr := flag.String("redis", "", "use the Redis at `host:port` instead of the embedded engine")
	flag.Parse()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second) // a safety net
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
	start := time.Now()

	// Three reminders for later, and one that is cancelled.
	for _, r := range []struct {
		text string
		opts pelican.PublishOptions
	}{
		{"stretch", pelican.PublishOptions{Delay: 300 * time.Millisecond}},
		{"drink water", pelican.PublishOptions{Delay: 600 * time.Millisecond}},
		{"stand up", pelican.PublishOptions{At: start.Add(900 * time.Millisecond)}},
	} {
		id, err := c.Publish(ctx, stream, map[string]string{"text": r.text}, &r.opts)
		if err != nil {
			return err
		}
		fmt.Printf("scheduled %-15q as %s\n", r.text, id)
	}
	cancelled, err := c.Publish(ctx, stream, map[string]string{"text": "call the bank"}, &pelican.PublishOptions{Delay: 500 * time.Millisecond})
	if err != nil {
		return err
	}
	if ok, err := c.Cancel(ctx, stream, cancelled); err != nil || !ok {
		return fmt.Errorf("cancelling %s: %v, %v", cancelled, ok, err)
	}
	fmt.Printf("cancelled %q (%s)\n", "call the bank", cancelled)

	// What waits, as an operator sees it.
	st, err := c.ScheduledStats(ctx, stream)
	if err != nil {
		return err
	}
	fmt.Printf("waiting: %d, the next due in %v\n", st.Count, time.Until(st.NextDue).Round(100*time.Millisecond))
	list, _, err := c.ListScheduled(ctx, stream, pelican.ListScheduledOptions{})
	if err != nil {
		return err
	}
	for _, m := range list {
		fmt.Printf("  due at +%v: %s\n", m.Due.Sub(start).Round(100*time.Millisecond), m.Values["text"])
	}
	if st.Count != 3 || len(list) != 3 {
		return fmt.Errorf("%d waiting and %d listed, want 3", st.Count, len(list))
	}

	// The stream's worker moves each reminder into the stream when it is
	// due, and handles it.
	var mu sync.Mutex
	var got []string
	wctx, stop := context.WithCancel(ctx)
	defer stop()
	w, err := c.NewWorker(pelican.WorkerConfig{
		Stream: stream, Group: "notifier",
		Handler: pelican.HandlerFunc(func(ctx context.Context, m *pelican.Message) error {
			fmt.Printf("+%v  reminder: %s\n", time.Since(start).Round(100*time.Millisecond), m.Values["text"])
			mu.Lock()
			defer mu.Unlock()
			if got = append(got, m.Values["text"]); len(got) == 3 {
				stop()
			}
			return nil
		}),
	})
	if err != nil {
		return err
	}
	if err := w.Run(wctx); err != nil {
		return err
	}
	if want := []string{"stretch", "drink water", "stand up"}; fmt.Sprint(got) != fmt.Sprint(want) {
		return fmt.Errorf("reminders %q, want %q", got, want)
	}
	if time.Since(start) < 900*time.Millisecond {
		return errors.New("a reminder arrived before it was due")
	}

	// A process that only publishes runs a Scheduler for its streams.
	s, err := c.NewScheduler(pelican.SchedulerConfig{Streams: []string{audit}})
	if err != nil {
		return err
	}
	if _, err := c.Publish(ctx, audit, map[string]string{"event": "nightly report"}, &pelican.PublishOptions{Delay: 200 * time.Millisecond}); err != nil {
		return err
	}
	sctx, stopScheduler := context.WithCancel(ctx)
	defer stopScheduler()
	done := make(chan error, 1)
	go func() { done <- s.Run(sctx) }()
	for {
		n, err := c.Redis().XLen(ctx, audit).Result()
		if err != nil {
			return err
		}
		if n == 1 {
			break
		}
		select {
		case <-ctx.Done():
			return errors.New("the scheduler did not move the audit event")
		case <-time.After(20 * time.Millisecond):
		}
	}
	stopScheduler()
	if err := <-done; err != nil {
		return err
	}
	fmt.Printf("the scheduler moved %d message into %s\n", s.Moved(), audit)
	return nil
}

func connect(ctx context.Context, addr string) (*pelican.Client, error) {
	if addr == "" {
		return embedded.New(pelican.Options{})
	}
	c := pelican.New(redis.NewClient(&redis.Options{Addr: addr}), pelican.Options{})
	var keys []string
	for _, s := range []string{stream, audit} {
		keys = append(keys, s, s+":pelican:scheduled", s+":pelican:scheduled:payloads")
	}
	if err := c.Redis().Del(ctx, keys...).Err(); err != nil {
		c.Close()
		return nil, fmt.Errorf("cleaning up %s: %w", addr, err)
	}
	return c, nil
}
