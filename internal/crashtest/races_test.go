package crashtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pelicanhq/pelican"
	"github.com/pelicanhq/pelican/embedded"
)

// Races the crash test once found, kept as regression tests.
//
// TestRetryScanLeavesClaimedMessages: a worker claims a message a dead
// consumer left (XAUTOCLAIM on Redis 7, XREADGROUP CLAIM on newer
// servers); if its retry scan runs before the claimed message is marked
// in flight, it finds the message pending to this very worker, failed and
// due, and claims it again. The worker must still handle it once: one
// handler call at a time, one outcome (in exactly-once mode, processed or
// dead-lettered, never both) and no failure record left behind.
//
// The tests widen the window with a hook that slows every read of the
// failures hash by 200 ms.

// slowFailureReads delays the reply of every HMGET of one hash.
type slowFailureReads struct {
	key   string
	delay time.Duration
}

func (h slowFailureReads) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h slowFailureReads) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		err := next(ctx, cmd)
		if args := cmd.Args(); cmd.Name() == "hmget" && len(args) > 1 && args[1] == h.key {
			time.Sleep(h.delay)
		}
		return err
	}
}

func (h slowFailureReads) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

// concurrency counts the handler calls running at once.
type concurrency struct {
	mu          sync.Mutex
	now, max    int
	deliveries  []int64
	calledTwice bool
}

func (c *concurrency) enter(m *pelican.Message) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now++
	c.max = max(c.max, c.now)
	c.deliveries = append(c.deliveries, m.Deliveries)
}

func (c *concurrency) leave() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now--
}

func TestRetryScanLeavesClaimedMessages(t *testing.T) {
	tests := []struct {
		name string
		// ghost is the delivery count the dead consumer left.
		ghost       int64
		exactlyOnce bool
		handle      func(ctx context.Context, m *pelican.Message) error
	}{
		{
			// Claimed at delivery 3 and succeeds after 100 ms; the retry
			// loop's copy is at delivery 4 and is dead-lettered at once.
			name: "exactly-once/processed-and-dead-lettered", ghost: 2, exactlyOnce: true,
			handle: func(ctx context.Context, m *pelican.Message) error {
				time.Sleep(100 * time.Millisecond)
				m.Tx().Incr(ctx, "effect")
				return nil
			},
		},
		{
			// Claimed at delivery 2 and fails after 300 ms; the retry
			// loop's copy (delivery 3) fails at once and is dead-lettered
			// first, so the slow copy's failure record outlives it.
			name: "at-least-once/failure-record-left", ghost: 1,
			handle: func(ctx context.Context, m *pelican.Message) error {
				if m.Deliveries == 2 {
					time.Sleep(300 * time.Millisecond)
				}
				return errors.New("failing on purpose")
			},
		},
	}
	for _, fallbacks := range []bool{false, true} {
		for _, tt := range tests {
			name := tt.name + "/claim-read"
			if fallbacks {
				name = tt.name + "/fallbacks"
			}
			t.Run(name, func(t *testing.T) {
				ctx := context.Background()
				c, err := embedded.New(pelican.Options{ForceFallbacks: fallbacks, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				rdb := c.Redis()
				failures := failuresKey("s", "g")

				// A dead consumer holds the message, idle for a minute,
				// with a failure record whose retry is due.
				must(t, rdb.XGroupCreateMkStream(ctx, "s", "g", "0").Err())
				id := rdb.XAdd(ctx, &redis.XAddArgs{Stream: "s", Values: []any{"n", "1"}}).Val()
				must(t, rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "g", Consumer: "ghost", Streams: []string{"s", ">"}, Count: 1, Block: -1}).Err())
				must(t, rdb.Do(ctx, "XCLAIM", "s", "g", "ghost", 0, id, "IDLE", 60000, "RETRYCOUNT", tt.ghost, "JUSTID").Err())
				past := time.Now().Add(-time.Minute).UnixMilli()
				must(t, rdb.HSet(ctx, failures, id, fmt.Sprintf("1|%d|%d|%d|handler|failing on purpose", past, past, past)).Err())
				rdb.AddHook(slowFailureReads{key: failures, delay: 200 * time.Millisecond})

				var conc concurrency
				w, err := c.NewWorker(pelican.WorkerConfig{
					Stream: "s", Group: "g", Consumer: "w",
					Handler: pelican.HandlerFunc(func(ctx context.Context, m *pelican.Message) error {
						conc.enter(m)
						defer conc.leave()
						return tt.handle(ctx, m)
					}),
					Block:             20 * time.Millisecond,
					Backoff:           pelican.Delays{10 * time.Millisecond},
					RetryInterval:     10 * time.Millisecond,
					ClaimMinIdle:      time.Second,
					ClaimInterval:     20 * time.Millisecond,
					HeartbeatInterval: 100 * time.Millisecond,
					DeadConsumerAfter: -1,
					ExactlyOnce:       tt.exactlyOnce,
				})
				if err != nil {
					t.Fatal(err)
				}
				runCtx, stop := context.WithCancel(ctx)
				done := make(chan error, 1)
				go func() { done <- w.Run(runCtx) }()
				deadline := time.Now().Add(10 * time.Second)
				for {
					dead := rdb.XLen(ctx, "s:dlq").Val()
					effect := rdb.Exists(ctx, "effect").Val()
					pend := rdb.XPending(ctx, "s", "g").Val()
					if dead+effect > 0 && pend != nil && pend.Count == 0 {
						break
					}
					if time.Now().After(deadline) {
						t.Fatalf("the message was not settled within 10s (dead letters %d, effect %d, pending %+v)", dead, effect, pend)
					}
					time.Sleep(5 * time.Millisecond)
				}
				// A graceful stop lets the handlers still running finish.
				stop()
				if err := <-done; err != nil {
					t.Fatal(err)
				}

				if conc.max > 1 {
					t.Errorf("the handler ran %d times at once for one message, at deliveries %v", conc.max, conc.deliveries)
				}
				dead := rdb.XLen(ctx, "s:dlq").Val()
				effect := rdb.Exists(ctx, "effect").Val()
				if tt.exactlyOnce && dead+effect != 1 {
					t.Errorf("exactly-once: side effect applied %d times and dead-lettered %d times, want one of the two once", effect, dead)
				}
				if !tt.exactlyOnce && dead != 1 {
					t.Errorf("dead-lettered %d times, want 1", dead)
				}
				if recs := rdb.HGetAll(ctx, failures).Val(); len(recs) != 0 {
					t.Errorf("failure records left behind: %v", recs)
				}
			})
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestCapabilitiesErrorIsNotKept: a first Capabilities call that fails
// for a passing reason (a worker stopped while starting, or the server not
// up yet) must not leave the client unable to run workers afterwards.
func TestCapabilitiesErrorIsNotKept(t *testing.T) {
	c, err := embedded.New(pelican.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.Capabilities(cancelled); err == nil {
		t.Fatal("Capabilities with a cancelled context succeeded")
	}
	if _, err := c.Capabilities(context.Background()); err != nil {
		t.Errorf("Capabilities after a cancelled first call: %v", err)
	}
	w, err := c.NewWorker(pelican.WorkerConfig{
		Stream: "s", Group: "g", Consumer: "w",
		Handler: pelican.HandlerFunc(func(ctx context.Context, m *pelican.Message) error { return nil }),
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer stop()
	if err := w.Run(ctx); err != nil {
		t.Errorf("Run after a cancelled first Capabilities call: %v", err)
	}
}
