package pelican_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pelicanhq/pelican"
	"github.com/pelicanhq/pelican/internal/await"
	"github.com/pelicanhq/pelican/internal/backendtest"
)

// chargeCard stands for the user's code a handler calls; it panics.
func chargeCard(m *pelican.Message) {
	var cards map[string]int
	cards[m.ID]++ // assignment to entry in nil map
}

// A panic's stack is logged, and its start kept with the dead letter; the
// dead letter's error is the panic's own text.
func TestPanicStackIsLoggedAndKept(t *testing.T) {
	log, buf := capture()
	backendtest.EachWith(t, pelican.Options{Logger: log}, func(t *testing.T, c *pelican.Client) {
		ctx := context.Background()
		cfg := fastConfig("s", pelican.HandlerFunc(func(ctx context.Context, m *pelican.Message) error {
			chargeCard(m)
			return nil
		}))
		cfg.MaxDeliveries = 2
		w, stop := runWorker(t, c, cfg)
		publishN(t, c, "s", 1)
		await.True(t, "the message is dead-lettered", func() bool { return w.Stats().DeadLettered == 1 })
		stop()
		if !strings.Contains(buf.String(), "pelican_test.chargeCard") {
			t.Errorf("the log has no stack naming the panicking function:\n%s", buf)
		}
		dead, err := c.Redis().XRange(ctx, "s:dlq", "-", "+").Result()
		if err != nil || len(dead) != 1 {
			t.Fatalf("dead letters %v, %v", dead, err)
		}
		v := dead[0].Values
		if got, want := v[pelican.FieldError], "assignment to entry in nil map"; got != want {
			t.Errorf("dead letter's error %q, want %q", got, want)
		}
		if v[pelican.FieldErrorClass] != pelican.ClassPanic {
			t.Errorf("dead letter's class %q, want %q", v[pelican.FieldErrorClass], pelican.ClassPanic)
		}
		stack, _ := v[pelican.FieldStack].(string)
		if !strings.Contains(stack, "pelican_test.chargeCard") || len(stack) > 4096 {
			t.Errorf("dead letter's stack (%d bytes) does not start at the panic:\n%s", len(stack), stack)
		}
		if i := strings.Index(stack, "chargeCard"); i < 0 || strings.Contains(stack[:i], "runtime/debug.Stack") {
			t.Errorf("the stack kept starts before the panicking frame:\n%s", stack)
		}
	})
}

// The error kept with a dead letter is the handler's own, without the
// marks of Permanent, Unavailable or RetryAfter, so that failures group
// by cause.
func TestDeadLetterErrorIsTheHandlersOwn(t *testing.T) {
	backendtest.Each(t, func(t *testing.T, c *pelican.Client) {
		ctx := context.Background()
		var n atomic.Int64
		cfg := fastConfig("s", pelican.HandlerFunc(func(ctx context.Context, m *pelican.Message) error {
			switch n.Add(1) {
			case 1:
				return pelican.RetryAfter(time.Millisecond, errors.New("card declined"))
			default:
				return pelican.Permanent(errors.New("card declined"))
			}
		}))
		w, stop := runWorker(t, c, cfg)
		publishN(t, c, "s", 1)
		await.True(t, "the message is dead-lettered", func() bool { return w.Stats().DeadLettered == 1 })
		stop()
		dead, err := c.Redis().XRange(ctx, "s:dlq", "-", "+").Result()
		if err != nil || len(dead) != 1 {
			t.Fatalf("dead letters %v, %v", dead, err)
		}
		if got := dead[0].Values[pelican.FieldError]; got != "card declined" {
			t.Errorf("dead letter's error %q, want %q", got, "card declined")
		}
		if _, ok := dead[0].Values[pelican.FieldStack]; ok {
			t.Error("a dead letter that did not panic has a stack")
		}
	})
}

// A handler that ignores its context and never returns is abandoned past
// its time limit: its message fails like a timeout, heartbeats stop
// covering it, it is retried and dead-lettered on time, the other
// messages flow past it, the abandoned goroutine is logged, and shutdown
// takes no longer than ShutdownGrace.
func TestHandlerThatNeverReturns(t *testing.T) {
	log, buf := capture()
	backendtest.EachWith(t, pelican.Options{Logger: log}, func(t *testing.T, c *pelican.Client) {
		ctx := context.Background()
		ids := publishN(t, c, "s", 20)
		stuck := ids[0]
		forever := make(chan struct{}) // never closed while the test runs
		t.Cleanup(func() { close(forever) })
		cfg := fastConfig("s", pelican.HandlerFunc(func(ctx context.Context, m *pelican.Message) error {
			if m.ID == stuck {
				<-forever
			}
			return nil
		}))
		cfg.HandlerTimeout, cfg.MaxDeliveries, cfg.Concurrency = 500*time.Millisecond, 2, 4
		cfg.Backoff = pelican.Delays{700 * time.Millisecond}
		cfg.ClaimMinIdle = 5 * time.Second
		cfg.ShutdownGrace = time.Second
		w, err := c.NewWorker(cfg)
		if err != nil {
			t.Fatal(err)
		}
		runCtx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		start := time.Now()
		go func() { done <- w.Run(runCtx) }()
		await.True(t, "the other messages are processed", func() bool { return w.Stats().Processed == 19 })
		await.True(t, "the stuck handler is abandoned", func() bool { return w.Stats().Abandoned == 1 })
		// Abandoned, its message is no longer the worker's to keep alive:
		// its idle time grows past the heartbeats until its retry.
		await.Within(t, time.Second, "the abandoned message's idle time grows past three heartbeats", func() bool {
			p, err := c.Redis().XPendingExt(ctx, &redis.XPendingExtArgs{Stream: "s", Group: "g", Start: stuck, End: stuck, Count: 1}).Result()
			return err == nil && len(p) == 1 && p[0].Idle > 3*cfg.HeartbeatInterval
		})
		// Two attempts of 500ms and a bit, and a backoff of 700ms.
		await.Within(t, 4*time.Second, "the stuck message is dead-lettered", func() bool { return w.Stats().DeadLettered == 1 })
		if took := time.Since(start); took < 1700*time.Millisecond {
			t.Errorf("dead-lettered after %v, before two attempts and the backoff could pass", took)
		}
		st := w.Stats()
		if st.Abandoned != 2 || st.Failed != 2 {
			t.Errorf("stats %+v: want 2 abandoned handlers and 2 failed attempts", st)
		}
		dead, _ := c.Redis().XRange(ctx, "s:dlq", "-", "+").Result()
		if len(dead) != 1 || dead[0].Values[pelican.FieldErrorClass] != pelican.ClassTimeout || dead[0].Values[pelican.FieldOriginalID] != stuck {
			t.Errorf("dead letters %v: want the stuck message, class timeout", dead)
		}
		if !strings.Contains(buf.String(), "abandoned a handler that did not return") {
			t.Errorf("the abandoned handler was not logged:\n%s", buf)
		}
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(cfg.ShutdownGrace + 500*time.Millisecond):
			t.Fatal("Run did not return within ShutdownGrace")
		}
	})
}

// Shutdown never waits longer than ShutdownGrace for a handler that
// ignores its context: its message goes back to the group.
func TestShutdownIsBoundedByTheGracePeriod(t *testing.T) {
	backendtest.Each(t, func(t *testing.T, c *pelican.Client) {
		ctx := context.Background()
		forever := make(chan struct{})
		t.Cleanup(func() { close(forever) })
		entered := make(chan struct{}, 1)
		cfg := fastConfig("s", pelican.HandlerFunc(func(ctx context.Context, m *pelican.Message) error {
			entered <- struct{}{}
			<-forever
			return nil
		}))
		// A grace of 2 s leaves the last writes (giving the message back)
		// a tenth of it, 200 ms, enough on a loaded machine.
		cfg.HandlerTimeout, cfg.ShutdownGrace = time.Minute, 2*time.Second
		w, err := c.NewWorker(cfg)
		if err != nil {
			t.Fatal(err)
		}
		runCtx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- w.Run(runCtx) }()
		publishN(t, c, "s", 1)
		<-entered
		start := time.Now()
		cancel()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatal("Run did not return")
		}
		if took := time.Since(start); took > cfg.ShutdownGrace+200*time.Millisecond {
			t.Errorf("shutdown took %v, ShutdownGrace is %v", took, cfg.ShutdownGrace)
		}
		if st := w.Stats(); st.Abandoned != 1 || st.GivenBack != 1 || st.Failed != 0 {
			t.Errorf("stats %+v: want the handler abandoned and its message given back, not failed", st)
		}
	})
}
