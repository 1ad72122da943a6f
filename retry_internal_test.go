package pelican

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// TestIsDue states when a failed message is retried: at its record's
// retry time; with no record, once idle for the backoff of its deliveries
// and for the claim threshold (before that it is one a lane is handling).
func TestIsDue(t *testing.T) {
	now := time.UnixMilli(1_000_000)
	b := Delays{time.Second, 5 * time.Second}
	rec := &failureRecord{RetryAt: now.Add(time.Second)}
	tests := []struct {
		name    string
		rec     *failureRecord
		p       redis.XPendingExt
		now     time.Time
		minIdle time.Duration // ClaimMinIdle
		want    bool
	}{
		{"record not yet due", rec, redis.XPendingExt{Idle: time.Hour, RetryCount: 1}, now, time.Minute, false},
		{"record due", rec, redis.XPendingExt{Idle: 0, RetryCount: 1}, now.Add(time.Second), time.Minute, true},
		{"no record, idle short of the backoff", nil, redis.XPendingExt{Idle: 4 * time.Second, RetryCount: 2}, now, time.Second, false},
		{"no record, idle past the backoff", nil, redis.XPendingExt{Idle: 5 * time.Second, RetryCount: 2}, now, time.Second, true},
		{"no record, idle past the backoff, short of the claim threshold", nil, redis.XPendingExt{Idle: 5 * time.Second, RetryCount: 2}, now, time.Minute, false},
		{"no record, idle past both", nil, redis.XPendingExt{Idle: time.Minute, RetryCount: 2}, now, time.Minute, true},
	}
	for _, tt := range tests {
		if got := isDue(tt.rec, tt.p, tt.now, b, tt.minIdle); got != tt.want {
			t.Errorf("%s: isDue = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// A lane that is slow to take a batch it has read in hand (descheduled,
// say) leaves its messages pending and unowned meanwhile. The retry scan,
// which runs every millisecond with a backoff of a millisecond, must not
// take them for failed messages and run them too: each message runs its
// handler once, on every backend.
func TestRetryScanLeavesReadMessagesToTheirLane(t *testing.T) {
	open := testServers(t)
	servers := []struct {
		name      string
		open      func() redis.UniversalClient
		fallbacks bool
	}{
		{"pelican", open["pelican"], false},
		{"pelican-fallbacks", open["pelican"], true},
		{"redis7", open["redis7"], false},
	}
	for _, srv := range servers {
		t.Run(srv.name, func(t *testing.T) {
			c := New(srv.open(), Options{ForceFallbacks: srv.fallbacks, Logger: slog.New(slog.DiscardHandler)})
			defer c.Close()
			stream := "slow-lane-" + srv.name
			var mu sync.Mutex
			runs := map[string]int{}
			w, err := c.NewWorker(WorkerConfig{
				Stream: stream, Group: "g", Consumer: "w1", Concurrency: 1, BatchSize: 16,
				Backoff: Delays{time.Millisecond}, RetryInterval: time.Millisecond,
				Handler: HandlerFunc(func(ctx context.Context, m *Message) error {
					mu.Lock()
					runs[m.ID]++
					mu.Unlock()
					return nil
				}),
			})
			if err != nil {
				t.Fatal(err)
			}
			w.reader.afterRead = func() { time.Sleep(20 * time.Millisecond) } // slow to take the batch in hand
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- w.Run(ctx) }()
			const n = 100
			batch := make([]map[string]string, n)
			for i := range batch {
				batch[i] = map[string]string{"n": fmt.Sprint(i)}
			}
			ids, err := c.PublishBatch(ctx, stream, batch, nil)
			if err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(10 * time.Second)
			for w.Stats().Processed < n {
				if time.Now().After(deadline) {
					t.Fatalf("processed %d of %d", w.Stats().Processed, n)
				}
				time.Sleep(5 * time.Millisecond)
			}
			cancel()
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			mu.Lock()
			defer mu.Unlock()
			for _, id := range ids {
				if runs[id] != 1 {
					t.Errorf("message %s ran its handler %d times, want once", id, runs[id])
				}
			}
			if got := w.Stats().Redeliveries; got != 0 {
				t.Errorf("Redeliveries = %d, want 0", got)
			}
		})
	}
}

// The retry scan lists the worker's pending messages and queues those that
// are due as tickets, which a lane claims right before running them. A
// message another worker takes in between (here one given back, hence
// idle for decades, that another worker's claim pass takes) must be left
// to it, even when a message that had been idle only briefly is claimed
// too: each is claimed with its own listed idle time as the bar.
func TestRetryScanLeavesWhatAnotherWorkerTookMeanwhile(t *testing.T) {
	servers := testServers(t)
	for name, open := range servers {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			c := New(open(), Options{Logger: slog.New(slog.DiscardHandler)})
			defer c.Close()
			rdb := c.Redis()
			stream := "taken-" + name
			w, err := c.NewWorker(WorkerConfig{
				Stream: stream, Group: "g", Consumer: "w1", ClaimMinIdle: time.Minute,
				Handler: HandlerFunc(func(ctx context.Context, m *Message) error { return nil }),
			})
			if err != nil {
				t.Fatal(err)
			}
			if err := rdb.XGroupCreateMkStream(ctx, stream, "g", "0").Err(); err != nil {
				t.Fatal(err)
			}
			given, _ := rdb.XAdd(ctx, &redis.XAddArgs{Stream: stream, Values: []any{"n", "1"}}).Result()
			failed, _ := rdb.XAdd(ctx, &redis.XAddArgs{Stream: stream, Values: []any{"n", "2"}}).Result()
			rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "g", Consumer: "w1", Streams: []string{stream, ">"}, Count: 2, Block: -1})
			// given was given back the Redis 7 way: idle for decades.
			rdb.Do(ctx, "XCLAIM", stream, "g", "w1", 0, given, "TIME", 1, "JUSTID")
			// failed failed a moment ago and is due now.
			rec := failureRecord{First: time.Now(), Last: time.Now(), RetryAt: time.Now().Add(-time.Second), Class: ClassHandler, Err: "x"}
			rdb.HSet(ctx, w.keys.failures(), failed, rec.encode())
			if err := w.retrier.scan(ctx); err != nil {
				t.Fatal(err)
			}
			queued, _ := w.processor.stop()
			if got := ids(queued); len(got) != 2 {
				t.Fatalf("the retry scan queued %v; want both messages", got)
			}
			// Another worker's claim pass takes the given-back message, and
			// some time passes.
			rdb.XClaimJustID(ctx, &redis.XClaimArgs{Stream: stream, Group: "g", Consumer: "w2", Messages: []string{given}})
			time.Sleep(30 * time.Millisecond)
			var claimed []string
			for _, m := range queued {
				if w.retrier.claimTicket(ctx, m) {
					claimed = append(claimed, m.ID)
				}
			}
			if len(claimed) != 1 || claimed[0] != failed {
				t.Errorf("lanes claimed %v; want only the failed message %s (another worker took the given-back one)", claimed, failed)
			}
			p, err := rdb.XPendingExt(ctx, &redis.XPendingExtArgs{Stream: stream, Group: "g", Start: given, End: given, Count: 1}).Result()
			if err != nil || len(p) != 1 || p[0].Consumer != "w2" {
				t.Errorf("the given-back message's pending entry is %+v (%v); want it with w2", p, err)
			}
		})
	}
}
