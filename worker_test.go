package pelican_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pelicanhq/pelican"
	"github.com/pelicanhq/pelican/internal/await"
	"github.com/pelicanhq/pelican/internal/backendtest"
)

func TestCapabilities(t *testing.T) {
	want := map[string]pelican.Capabilities{
		"embedded":           {ClaimRead: true, Nack: true, Idempotent: true, AckDel: true, RefPolicies: true, Scripting: true},
		"embedded-fallbacks": {},
		"redis7":             {Scripting: true},
	}
	for _, b := range backendtest.Backends {
		t.Run(b.Name, func(t *testing.T) {
			got, err := b.Open(t, pelican.Options{}).Capabilities(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if got != want[b.Name] {
				t.Errorf("Capabilities() = %+v, want %+v", got, want[b.Name])
			}
		})
	}
}

func TestEveryMessageIsProcessedAndAcknowledged(t *testing.T) {
	backendtest.Each(t, func(t *testing.T, c *pelican.Client) {
		const n = 500
		var mu sync.Mutex
		seen := map[string]int{}
		cfg := fastConfig("orders", pelican.HandlerFunc(func(ctx context.Context, m *pelican.Message) error {
			mu.Lock()
			seen[m.Values["n"]]++
			mu.Unlock()
			if m.Deliveries != 1 {
				t.Errorf("message %s delivered %d times", m.ID, m.Deliveries)
			}
			return nil
		}))
		cfg.Concurrency = 3
		w, stop := runWorker(t, c, cfg)
		publishN(t, c, "orders", n)
		await.True(t, "every message is processed", func() bool { return w.Stats().Processed == n })
		stop()
		if got := pendingCount(t, c.Redis(), "orders", "g"); got != 0 {
			t.Errorf("%d messages still pending", got)
		}
		for i := 0; i < n; i++ {
			if seen[strconv.Itoa(i)] != 1 {
				t.Errorf("message %d handled %d times", i, seen[strconv.Itoa(i)])
			}
		}
	})
}

func TestFailingMessageIsRetriedThenDeadLettered(t *testing.T) {
	backendtest.Each(t, func(t *testing.T, c *pelican.Client) {
		var calls atomic.Int64
		var dead []pelican.DeadLetter
		var mu sync.Mutex
		cfg := fastConfig("orders", pelican.HandlerFunc(func(ctx context.Context, m *pelican.Message) error {
			if got, want := m.Deliveries, calls.Add(1); got != want {
				t.Errorf("delivery %d reported as %d", want, got)
			}
			return errors.New("order 88214 not found")
		}))
		cfg.OnDeadLetter = func(ctx context.Context, d pelican.DeadLetter) {
			mu.Lock()
			dead = append(dead, d)
			mu.Unlock()
		}
		w, stop := runWorker(t, c, cfg)
		id, err := c.Publish(context.Background(), "orders", map[string]string{"order": "88214"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		await.True(t, "the message is dead-lettered", func() bool { return w.Stats().DeadLettered == 1 })
		stop()
		if got := calls.Load(); got != 3 {
			t.Errorf("handler called %d times, want MaxDeliveries = 3", got)
		}
		entries, err := c.Redis().XRange(context.Background(), "orders:dlq", "-", "+").Result()
		if err != nil || len(entries) != 1 {
			t.Fatalf("dead-letter stream holds %d entries (%v), want 1", len(entries), err)
		}
		v := entries[0].Values
		checks := map[string]string{
			"order":                     "88214",
			pelican.FieldOriginalID:     id,
			pelican.FieldOriginalStream: "orders",
			pelican.FieldGroup:          "g",
			pelican.FieldConsumer:       "w1",
			pelican.FieldDeliveries:     "3",
			pelican.FieldError:          "order 88214 not found",
			pelican.FieldErrorClass:     pelican.ClassHandler,
			pelican.FieldRedrives:       "0",
		}
		for k, want := range checks {
			if v[k] != want {
				t.Errorf("dead letter field %s = %v, want %q", k, v[k], want)
			}
		}
		first, _ := strconv.ParseInt(v[pelican.FieldFirstFailure].(string), 10, 64)
		last, _ := strconv.ParseInt(v[pelican.FieldLastFailure].(string), 10, 64)
		if first == 0 || last < first {
			t.Errorf("failure times first=%d last=%d", first, last)
		}
		if got := pendingCount(t, c.Redis(), "orders", "g"); got != 0 {
			t.Errorf("%d messages still pending after the move", got)
		}
		if n, _ := c.Redis().HLen(context.Background(), "orders:pelican:failures:g").Result(); n != 0 {
			t.Errorf("%d failure records left", n)
		}
		if len(dead) != 1 || dead[0].OriginalID != id || dead[0].Deliveries != 3 {
			t.Errorf("OnDeadLetter got %+v", dead)
		}
	})
}

func TestPermanentFailureIsDeadLetteredAtOnce(t *testing.T) {
	backendtest.Each(t, func(t *testing.T, c *pelican.Client) {
		var calls atomic.Int64
		w, stop := runWorker(t, c, fastConfig("s", pelican.HandlerFunc(func(ctx context.Context, m *pelican.Message) error {
			calls.Add(1)
			return pelican.Permanent(errors.New("malformed order"))
		})))
		publishN(t, c, "s", 1)
		await.True(t, "the message is dead-lettered", func() bool { return w.Stats().DeadLettered == 1 })
		stop()
		if calls.Load() != 1 {
			t.Errorf("handler called %d times, want 1", calls.Load())
		}
		e, _ := c.Redis().XRange(context.Background(), "s:dlq", "-", "+").Result()
		if len(e) != 1 || e[0].Values[pelican.FieldErrorClass] != pelican.ClassPermanent {
			t.Errorf("dead letters: %v", e)
		}
	})
}

func TestUnavailableGivesTheMessageBackWithoutSpendingAnAttempt(t *testing.T) {
	backendtest.Each(t, func(t *testing.T, c *pelican.Client) {
		var calls atomic.Int64
		w, stop := runWorker(t, c, fastConfig("s", pelican.HandlerFunc(func(ctx context.Context, m *pelican.Message) error {
			if m.Deliveries != 1 {
				t.Errorf("call %d sees %d deliveries, want 1: giving back must not spend attempts", calls.Load()+1, m.Deliveries)
			}
			if calls.Add(1) <= 5 {
				return pelican.Unavailable(errors.New("database down"))
			}
			return nil
		})))
		publishN(t, c, "s", 1)
		await.True(t, "the message is processed", func() bool { return w.Stats().Processed == 1 })
		stop()
		if got := w.Stats().GivenBack; got != 5 {
			t.Errorf("given back %d times, want 5", got)
		}
		if w.Stats().DeadLettered != 0 {
			t.Error("a message that was only given back was dead-lettered")
		}
	})
}

func TestPanicAndRetryAfter(t *testing.T) {
	backendtest.Each(t, func(t *testing.T, c *pelican.Client) {
		var calls atomic.Int64
		var retryGap atomic.Int64
		var last atomic.Int64
		w, stop := runWorker(t, c, fastConfig("s", pelican.HandlerFunc(func(ctx context.Context, m *pelican.Message) error {
			now := time.Now().UnixMilli()
			switch calls.Add(1) {
			case 1:
				last.Store(now)
				panic("boom")
			case 2:
				last.Store(now)
				return pelican.RetryAfter(300*time.Millisecond, errors.New("rate limited"))
			default:
				retryGap.Store(now - last.Load())
				return nil
			}
		})))
		publishN(t, c, "s", 1)
		await.True(t, "the message is processed", func() bool { return w.Stats().Processed == 1 })
		stop()
		if got := w.Stats().Failed; got != 2 {
			t.Errorf("%d failures recorded, want 2 (a panic and a RetryAfter)", got)
		}
		if gap := retryGap.Load(); gap < 300 {
			t.Errorf("retried %d ms after RetryAfter(300ms)", gap)
		}
	})
}

// TestAbandonedMessagesAreClaimed leaves messages pending to a consumer
// that never acknowledges them, as a crashed worker would, and checks that
// a worker claims and processes them once they are idle for ClaimMinIdle.
func TestAbandonedMessagesAreClaimed(t *testing.T) {
	backendtest.Each(t, func(t *testing.T, c *pelican.Client) {
		ctx := context.Background()
		rdb := c.Redis()
		rdb.XGroupCreateMkStream(ctx, "s", "g", "0")
		publishN(t, c, "s", 10)
		if err := rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "g", Consumer: "crashed", Streams: []string{"s", ">"}, Count: 10, Block: -1}).Err(); err != nil {
			t.Fatal(err)
		}
		var deliveries sync.Map
		start := time.Now()
		w, stop := runWorker(t, c, fastConfig("s", pelican.HandlerFunc(func(ctx context.Context, m *pelican.Message) error {
			deliveries.Store(m.ID, m.Deliveries)
			return nil
		})))
		await.True(t, "the abandoned messages are processed", func() bool { return w.Stats().Processed == 10 })
		stop()
		if el := time.Since(start); el < 400*time.Millisecond {
			t.Errorf("claimed after %v, before ClaimMinIdle", el)
		}
		deliveries.Range(func(k, v any) bool {
			if v.(int64) != 2 {
				t.Errorf("%v claimed with %d deliveries, want 2", k, v)
			}
			return true
		})
		if got := pendingCount(t, rdb, "s", "g"); got != 0 {
			t.Errorf("%d still pending", got)
		}
	})
}

// TestRestartedWorkerReplaysItsOwnPending checks that a worker first
// processes what it held before a restart, counting the attempt as a
// delivery; that a message whose attempts on record (here: three, the
// last by a run that died during it, as its crash record says) reach the
// limit is dead-lettered without running the handler (no crash loop);
// and that a message delivered as often but never seen to fail (no
// record: it waited behind the crasher) gets its attempt.
func TestRestartedWorkerReplaysItsOwnPending(t *testing.T) {
	backendtest.Each(t, func(t *testing.T, c *pelican.Client) {
		ctx := context.Background()
		rdb := c.Redis()
		rdb.XGroupCreateMkStream(ctx, "s", "g", "0")
		ids := publishN(t, c, "s", 4)
		// The previous run of w1 read them and died; the third message
		// had already been attempted 3 times (it crashed the worker), the
		// fourth delivered as often, by reads, without being tried.
		rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "g", Consumer: "w1", Streams: []string{"s", ">"}, Count: 4, Block: -1})
		rdb.Do(ctx, "XCLAIM", "s", "g", "w1", 0, ids[2], ids[3], "RETRYCOUNT", 3)
		now := time.Now().UnixMilli()
		rdb.HSet(ctx, "s:pelican:failures:g", ids[2], fmt.Sprintf("1|%d|%d|%d|crash|the worker stopped", now, now, now))
		var handled sync.Map
		w, stop := runWorker(t, c, fastConfig("s", pelican.HandlerFunc(func(ctx context.Context, m *pelican.Message) error {
			handled.Store(m.ID, m.Deliveries)
			return nil
		})))
		await.True(t, "the replay ends", func() bool { s := w.Stats(); return s.Processed == 3 && s.DeadLettered == 1 })
		stop()
		for i, want := range []int64{2, 2, 0, 4} {
			n, ok := handled.Load(ids[i])
			switch {
			case want == 0 && ok:
				t.Errorf("%s, past MaxDeliveries on record, reached the handler", ids[i])
			case want != 0 && (!ok || n.(int64) != want):
				t.Errorf("%s replayed with deliveries %v, want %d", ids[i], n, want)
			}
		}
		if got := w.Stats().Recovered; got != 4 {
			t.Errorf("Recovered = %d, want 4", got)
		}
	})
}

func TestGracefulShutdownGivesUnfinishedMessagesBack(t *testing.T) {
	backendtest.Each(t, func(t *testing.T, c *pelican.Client) {
		started := make(chan struct{}, 10)
		cfg := fastConfig("s", pelican.HandlerFunc(func(ctx context.Context, m *pelican.Message) error {
			started <- struct{}{}
			<-ctx.Done() // a handler that only stops when told
			return ctx.Err()
		}))
		cfg.ShutdownGrace = time.Second // handlers return at once when told; the margin is for a loaded machine
		cfg.BatchSize = 5
		publishN(t, c, "s", 5) // before the worker starts: one read takes all five
		w, stop := runWorker(t, c, cfg)
		<-started
		stop()
		s := w.Stats()
		if s.GivenBack != 5 || s.Failed != 0 {
			t.Errorf("after shutdown: %+v, want all 5 given back and no failure", s)
		}
		// Any worker can take them at once, with no attempt spent.
		var deliveries []int64
		var mu sync.Mutex
		cfg2 := fastConfig("s", pelican.HandlerFunc(func(ctx context.Context, m *pelican.Message) error {
			mu.Lock()
			deliveries = append(deliveries, m.Deliveries)
			mu.Unlock()
			return nil
		}))
		cfg2.Consumer = "w2"
		w2, stop2 := runWorker(t, c, cfg2)
		await.True(t, "another worker processes them", func() bool { return w2.Stats().Processed == 5 })
		stop2()
		for _, d := range deliveries {
			if d != 1 {
				t.Errorf("a given-back message came back with %d deliveries, want 1", d)
			}
		}
	})
}

// TestHeartbeatsKeepSlowMessages checks that a handler running three
// times longer than ClaimMinIdle keeps its message: no other worker
// claims it.
func TestHeartbeatsKeepSlowMessages(t *testing.T) {
	backendtest.Each(t, func(t *testing.T, c *pelican.Client) {
		var calls atomic.Int64
		h := pelican.HandlerFunc(func(ctx context.Context, m *pelican.Message) error {
			calls.Add(1)
			time.Sleep(1500 * time.Millisecond) // the slow work itself
			return nil
		})
		cfg := fastConfig("s", h)
		// Heartbeats every 50ms keep a message whose handler takes three
		// times ClaimMinIdle; the margin absorbs scheduling stalls.
		cfg.ClaimMinIdle = 500 * time.Millisecond
		w1, stop1 := runWorker(t, c, cfg)
		cfg.Consumer = "w2"
		w2, stop2 := runWorker(t, c, cfg)
		publishN(t, c, "s", 1)
		await.True(t, "the message is processed", func() bool { return w1.Stats().Processed+w2.Stats().Processed == 1 })
		stop1()
		stop2()
		if got := calls.Load(); got != 1 {
			t.Errorf("handler called %d times, want 1: the slow message was claimed away", got)
		}
	})
}

func TestDeadConsumersAreRemovedWithoutLosingMessages(t *testing.T) {
	backendtest.Each(t, func(t *testing.T, c *pelican.Client) {
		ctx := context.Background()
		heldByGhost(t, c, "s", 4)
		cfg := fastConfig("s", pelican.HandlerFunc(func(ctx context.Context, m *pelican.Message) error { return nil }))
		cfg.ClaimMinIdle = time.Hour // only the janitor may take the ghost's messages
		cfg.HeartbeatInterval = 50 * time.Millisecond
		cfg.DeadConsumerAfter = 300 * time.Millisecond
		cfg.ClaimInterval = 50 * time.Millisecond
		w, stop := runWorker(t, c, cfg)
		await.True(t, "the ghost's messages are processed", func() bool { return w.Stats().Processed == 4 })
		await.True(t, "the ghost is removed", func() bool {
			infos, err := c.Workers(ctx, "s", "g")
			if err != nil {
				t.Fatal(err)
			}
			for _, i := range infos {
				if i.Name == "ghost" {
					return false
				}
			}
			return true
		})
		stop()
	})
}

func TestExactlyOnceSideEffects(t *testing.T) {
	backendtest.Each(t, func(t *testing.T, c *pelican.Client) {
		ctx := context.Background()
		var calls atomic.Int64
		cfg := fastConfig("s", pelican.HandlerFunc(func(ctx context.Context, m *pelican.Message) error {
			calls.Add(1)
			m.Tx().IncrBy(ctx, "s:total", 1)
			return nil
		}))
		cfg.ExactlyOnce = true
		w, stop := runWorker(t, c, cfg)
		publishN(t, c, "s", 20)
		await.True(t, "every message is processed", func() bool { return w.Stats().Processed == 20 })
		// Deliver everything again, as a crash between commit and
		// acknowledgement (or a group reset) would.
		if err := c.Redis().XGroupSetID(ctx, "s", "g", "0").Err(); err != nil {
			t.Fatal(err)
		}
		await.True(t, "the redeliveries are recognised", func() bool { return w.Stats().Duplicates == 20 })
		stop()
		if got, _ := c.Redis().Get(ctx, "s:total").Int(); got != 20 {
			t.Errorf("side effect applied %d times, want 20", got)
		}
		if calls.Load() != 20 {
			t.Errorf("handler ran %d times, want 20", calls.Load())
		}
	})
}

// A message redriven for group "billing" (FieldRedriveGroup) is processed
// by billing's workers only; the workers of other groups reading the same
// stream acknowledge it without running their handlers.
func TestRedrivenMessageIsForItsGroupOnly(t *testing.T) {
	backendtest.Each(t, func(t *testing.T, c *pelican.Client) {
		ctx := context.Background()
		var billing, shipping atomic.Int64
		cfg := fastConfig("orders", pelican.HandlerFunc(func(ctx context.Context, m *pelican.Message) error {
			billing.Add(1)
			if m.Values[pelican.FieldRedrives] != "1" {
				t.Errorf("billing got redrives %q, want 1", m.Values[pelican.FieldRedrives])
			}
			return nil
		}))
		cfg.Group = "billing"
		wb, stopB := runWorker(t, c, cfg)
		cfg2 := fastConfig("orders", pelican.HandlerFunc(func(ctx context.Context, m *pelican.Message) error {
			shipping.Add(1)
			return nil
		}))
		cfg2.Group = "shipping"
		ws, stopS := runWorker(t, c, cfg2)
		// Written as the redrive writes it: Publish refuses reserved fields.
		if err := c.Redis().XAdd(ctx, &redis.XAddArgs{Stream: "orders", Values: []any{
			"order", "42", pelican.FieldRedriveGroup, "billing", pelican.FieldRedrives, "1",
		}}).Err(); err != nil {
			t.Fatal(err)
		}
		await.True(t, "billing processes it and shipping skips it", func() bool {
			return wb.Stats().Processed == 1 && ws.Stats().NotOurs == 1
		})
		stopB()
		stopS()
		if billing.Load() != 1 || shipping.Load() != 0 {
			t.Errorf("handlers ran: billing %d, shipping %d; want 1, 0", billing.Load(), shipping.Load())
		}
		for _, g := range []string{"billing", "shipping"} {
			if got := pendingCount(t, c.Redis(), "orders", g); got != 0 {
				t.Errorf("group %s: %d pending", g, got)
			}
		}
	})
}

// Workers reports each worker's counters as of its last heartbeat.
func TestWorkersReportCounters(t *testing.T) {
	backendtest.Each(t, func(t *testing.T, c *pelican.Client) {
		w, stop := runWorker(t, c, fastConfig("orders", pelican.HandlerFunc(func(ctx context.Context, m *pelican.Message) error {
			if m.Deliveries == 1 && m.Values["n"] == "0" {
				return errors.New("first attempt fails")
			}
			return nil
		})))
		defer stop()
		publishN(t, c, "orders", 5)
		await.True(t, "the counters reach the workers hash", func() bool {
			infos, err := c.Workers(context.Background(), "orders", "g")
			if err != nil || len(infos) != 1 {
				return false
			}
			s := infos[0].Stats
			return s.Processed == 5 && s.Failed == 1 && s.Redeliveries == 1
		})
		if s := w.Stats(); s.Processed != 5 || s.Failed != 1 || s.Redeliveries != 1 {
			t.Errorf("worker stats %+v", s)
		}
	})
}

// A stopping worker records its final counters: what it did after its
// last heartbeat is not lost to the monitors.
func TestWorkerRecordsFinalCountersOnStop(t *testing.T) {
	backendtest.Each(t, func(t *testing.T, c *pelican.Client) {
		cfg := fastConfig("orders", pelican.HandlerFunc(func(ctx context.Context, m *pelican.Message) error { return nil }))
		cfg.HeartbeatInterval = time.Hour // only the first beat, at start
		cfg.ClaimMinIdle = 2 * time.Hour
		w, stop := runWorker(t, c, cfg)
		publishN(t, c, "orders", 3)
		await.True(t, "the messages are processed", func() bool { return w.Stats().Processed == 3 })
		stop()
		infos, err := c.Workers(context.Background(), "orders", "g")
		if err != nil {
			t.Fatal(err)
		}
		if len(infos) != 1 || infos[0].Stats.Processed != 3 {
			t.Errorf("Workers() = %+v, want one worker with Processed 3", infos)
		}
	})
}
