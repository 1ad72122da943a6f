package monitor

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/pelicanhq/pelican"
	"github.com/pelicanhq/pelican/internal/await"
	"github.com/pelicanhq/pelican/internal/backendtest"
)

// TestWorkers runs a Pelican worker whose handler always fails, next to
// a consumer that read once and went silent, and waits for the monitor
// to see the worker alive with its counters, the silent consumer dead,
// and the dead letters.
func TestWorkers(t *testing.T) {
	backendtest.Each(t, func(t *testing.T, c *pelican.Client) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		rdb := c.Redis()
		do(t, rdb, "XGROUP", "CREATE", "jobs", "g", "0", "MKSTREAM")
		do(t, rdb, "XGROUP", "CREATECONSUMER", "jobs", "g", "silent")
		for range 3 {
			if _, err := c.Publish(ctx, "jobs", map[string]string{"job": "x"}, nil); err != nil {
				t.Fatal(err)
			}
		}
		w, err := c.NewWorker(pelican.WorkerConfig{
			Stream: "jobs", Group: "g", Consumer: "worker",
			Handler:       pelican.HandlerFunc(func(context.Context, *pelican.Message) error { return errors.New("boom") }),
			MaxDeliveries: 2, Backoff: pelican.Delays{time.Millisecond}, RetryInterval: 5 * time.Millisecond,
			Block: 20 * time.Millisecond, ClaimMinIdle: time.Second, HeartbeatInterval: 10 * time.Millisecond,
			DeadConsumerAfter: -1,
		})
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- w.Run(ctx) }()
		defer func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("worker: %v", err)
			}
		}()

		m := New(c, Options{AliveWithin: time.Second})
		var st StreamStats
		await.True(t, "the stats show the dead letters and the silent consumer", func() bool {
			st, err = m.Stats(ctx, "jobs")
			if err != nil {
				t.Fatal(err)
			}
			g := st.Groups[0]
			return st.DeadLetters.Length == 3 && len(g.Consumers) == 2 && g.Consumers[1].Stats.DeadLettered == 3 &&
				!g.Consumers[0].Alive
		})
		g := st.Groups[0]
		silent, worker := g.Consumers[0], g.Consumers[1]
		if silent.Name != "silent" || silent.Worker || silent.Alive {
			t.Errorf("silent consumer %+v, want not a worker and dead", silent)
		}
		if worker.Name != "worker" || !worker.Worker || !worker.Alive || worker.Stats.Redeliveries < 3 {
			t.Errorf("worker %+v, want a live worker with 3 redeliveries or more", worker)
		}
		if g.DeadConsumers != 1 || g.Redeliveries != worker.Stats.Redeliveries {
			t.Errorf("group: %d dead consumers, %d redeliveries; want 1 and the worker's %d", g.DeadConsumers, g.Redeliveries, worker.Stats.Redeliveries)
		}
		if d := st.DeadLetters; d.EntriesAdded != 3 || !d.Exists || d.Stream != "jobs:dlq" {
			t.Errorf("dead letters %+v", d)
		}
	})
}
