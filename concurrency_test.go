package pelican_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pelicanhq/pelican"
	"github.com/pelicanhq/pelican/internal/await"
	"github.com/pelicanhq/pelican/internal/backendtest"
)

// A slow message holds up only its own handler: with Concurrency 4 and
// the default batch size, the seven messages read with a slow one finish
// while it still runs.
func TestSlowMessageDoesNotHoldBackOthers(t *testing.T) {
	backendtest.Each(t, func(t *testing.T, c *pelican.Client) {
		ids := publishN(t, c, "s", 8)
		slow := ids[2]
		release := make(chan struct{})
		var done atomic.Int64
		cfg := fastConfig("s", pelican.HandlerFunc(func(ctx context.Context, m *pelican.Message) error {
			if m.ID == slow {
				select {
				case <-release:
				case <-time.After(5 * time.Second):
				}
				return nil
			}
			done.Add(1)
			return nil
		}))
		cfg.Concurrency = 4
		w, stop := runWorker(t, c, cfg)
		await.True(t, "the seven fast messages are processed while the slow one runs", func() bool {
			return done.Load() == 7 && w.Stats().Processed == 7
		})
		close(release)
		await.True(t, "the slow message is processed", func() bool { return w.Stats().Processed == 8 })
		stop()
	})
}

// Concurrency bounds the handlers running at once, and is reached.
func TestConcurrencyIsHandlersRunningAtOnce(t *testing.T) {
	backendtest.Each(t, func(t *testing.T, c *pelican.Client) {
		publishN(t, c, "s", 40)
		var mu sync.Mutex
		running, most := 0, 0
		cfg := fastConfig("s", pelican.HandlerFunc(func(ctx context.Context, m *pelican.Message) error {
			mu.Lock()
			running++
			most = max(most, running)
			mu.Unlock()
			time.Sleep(20 * time.Millisecond)
			mu.Lock()
			running--
			mu.Unlock()
			return nil
		}))
		cfg.Concurrency, cfg.BatchSize = 5, 3
		w, stop := runWorker(t, c, cfg)
		await.True(t, "every message is processed", func() bool { return w.Stats().Processed == 40 })
		stop()
		mu.Lock()
		defer mu.Unlock()
		if most != 5 {
			t.Errorf("at most %d handlers ran at once, want Concurrency (5)", most)
		}
	})
}

// A worker whose handlers are slow, once it has seen them at work, reads
// only what it can start soon, leaving the rest of the stream to the
// group's other workers: a second worker gets a share of a backlog that
// arrives later.
func TestSlowWorkerLeavesMessagesToOthers(t *testing.T) {
	backendtest.Each(t, func(t *testing.T, c *pelican.Client) {
		publishN(t, c, "s", 4)
		var byWorker [2]atomic.Int64
		handler := func(i int) pelican.Handler {
			return pelican.HandlerFunc(func(ctx context.Context, m *pelican.Message) error {
				time.Sleep(50 * time.Millisecond)
				byWorker[i].Add(1)
				return nil
			})
		}
		cfg := fastConfig("s", handler(0))
		cfg.Concurrency = 2
		w1, stop1 := runWorker(t, c, cfg)
		await.True(t, "the first worker has seen its handlers at work", func() bool { return w1.Stats().Processed == 4 })
		publishN(t, c, "s", 30)
		cfg2 := fastConfig("s", handler(1))
		cfg2.Consumer, cfg2.Concurrency = "w2", 2
		w2, stop2 := runWorker(t, c, cfg2)
		await.True(t, "every message is processed", func() bool { return w1.Stats().Processed+w2.Stats().Processed == 34 })
		stop1()
		stop2()
		if n := byWorker[1].Load(); n < 5 {
			t.Errorf("the second worker processed %d of the 30 messages of the backlog; the first held the rest (read ahead of its slow handlers)", n)
		}
	})
}
