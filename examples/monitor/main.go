// Command monitor shows the monitoring API: a worker processes shipments
// and dead-letters the ones without an address, while a second group
// ("audit") reads them and acknowledges nothing. The monitor then reports
// the stream, its groups and consumers and the dead-letter stream; a
// Watcher fires alerts on PEL size and dead-letter depth (logged with the
// group's delivery counts); and the Prometheus collector's text output
// shows the same figures as metrics.
//
//	go run ./examples/monitor                  # embedded engine
//	go run ./examples/monitor -redis 127.0.0.1:6379
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"
	"github.com/redis/go-redis/v9"

	"github.com/pelicanhq/pelican"
	"github.com/pelicanhq/pelican/embedded"
	"github.com/pelicanhq/pelican/monitor"
)

const stream = "examples:parcels"

func main() {
	addr := flag.String("redis", "", "use the Redis at `host:port` instead of the embedded engine")
	flag.Parse()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second) // a safety net
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
	rdb := c.Redis()

	for i := 1; i <= 12; i++ {
		if _, err := c.Publish(ctx, stream, map[string]string{"shipment": fmt.Sprint(i)}, nil); err != nil {
			return err
		}
	}
	// The audit group reads everything and acknowledges nothing: its
	// consumer is stuck.
	if err := rdb.XGroupCreate(ctx, stream, "audit", "0").Err(); err != nil {
		return err
	}
	if err := rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "audit", Consumer: "audit-1", Streams: []string{stream, ">"}}).Err(); err != nil {
		return err
	}
	if err := dispatch(ctx, c); err != nil {
		return err
	}

	// The figures.
	m := monitor.New(c, monitor.Options{})
	st, err := m.Stats(ctx, stream)
	if err != nil {
		return err
	}
	fmt.Printf("\n%s: %d entries, %d ever added\n", st.Stream, st.Length, st.EntriesAdded)
	for _, g := range st.Groups {
		oldest := "none pending"
		if g.OldestPendingID != "" {
			oldest = fmt.Sprintf("oldest pending %s, %v old", g.OldestPendingID, g.OldestPendingAge.Round(time.Millisecond))
		}
		fmt.Printf("  group %-8s pending %2d, lag %d, %s, %d dead consumers, %d redeliveries\n",
			g.Name, g.Pending, g.Lag, oldest, g.DeadConsumers, g.Redeliveries)
		for _, cs := range g.Consumers {
			fmt.Printf("    consumer %-10s pending %2d, alive %v, Pelican worker %v, processed %d, dead-lettered %d\n",
				cs.Name, cs.Pending, cs.Alive, cs.Worker, cs.Stats.Processed, cs.Stats.DeadLettered)
		}
	}
	d := st.DeadLetters
	fmt.Printf("  dead letters in %s: %d (oldest %s, newest %s)\n", d.Stream, d.Length, d.OldestID, d.NewestID)

	// Alerts: the audit group's PEL and the dead-letter depth are over
	// their thresholds. The Watcher logs each with the delivery counts.
	var fired []string
	w := &monitor.Watcher{
		Monitor:    monitor.New(c, monitor.Options{}),
		Streams:    []string{stream},
		Thresholds: monitor.Thresholds{Pending: 5, DLQLength: 2, Deliveries: 10},
		OnFire:     func(a monitor.Alert) { fired = append(fired, a.Name+" "+a.Group) },
		Logger:     slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{ReplaceAttr: dropTime})),
	}
	fmt.Println()
	if _, err := w.Check(ctx); err != nil {
		return err
	}

	// Prometheus: register the collector; promhttp.Handler serves the same
	// text. A few families are printed here.
	reg := prometheus.NewRegistry()
	reg.MustRegister(monitor.NewCollector(monitor.New(c, monitor.Options{}), stream))
	mfs, err := reg.Gather()
	if err != nil {
		return err
	}
	fmt.Println()
	for _, mf := range mfs {
		switch mf.GetName() {
		case "pelican_group_pending_messages", "pelican_dlq_length", "pelican_consumer_alive", "pelican_delivery_count":
			if _, err := expfmt.MetricFamilyToText(os.Stdout, mf); err != nil {
				return err
			}
		}
	}

	// The outcome.
	audit, _ := st.Group("audit")
	slices.Sort(fired)
	if want := []string{"dlq_length ", "pending audit"}; !slices.Equal(fired, want) || audit.Pending != 12 || d.Length != 3 {
		return fmt.Errorf("alerts %q (want %q), audit pending %d (want 12), %d dead letters (want 3)", fired, want, audit.Pending, d.Length)
	}
	return nil
}

// dispatch runs a worker of group "dispatch" until the three shipments
// without an address are dead letters and its heartbeat has published its
// counters.
func dispatch(ctx context.Context, c *pelican.Client) error {
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	w, err := c.NewWorker(pelican.WorkerConfig{
		Stream: stream, Group: "dispatch", Consumer: "dispatch-1",
		Handler: pelican.HandlerFunc(func(ctx context.Context, m *pelican.Message) error {
			if n := m.Values["shipment"]; n == "4" || n == "8" || n == "12" {
				return pelican.Permanent(errors.New("shipment " + n + " has no address"))
			}
			return nil
		}),
		Block:             100 * time.Millisecond,
		HeartbeatInterval: 20 * time.Millisecond, // the counters the monitor reads come with heartbeats
	})
	if err != nil {
		return err
	}
	fmt.Println("dispatching 12 shipments; 4, 8 and 12 have no address")
	done := make(chan error, 1)
	go func() { done <- w.Run(runCtx) }()
	m := monitor.New(c, monitor.Options{})
	for {
		g, err := m.Group(ctx, stream, "dispatch")
		if err == nil && len(g.Consumers) == 1 && g.Consumers[0].Stats.Processed+g.Consumers[0].Stats.DeadLettered == 12 {
			break
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		time.Sleep(10 * time.Millisecond)
	}
	stop()
	return <-done
}

// dropTime leaves the time out of the log lines, to keep them short.
func dropTime(groups []string, a slog.Attr) slog.Attr {
	if len(groups) == 0 && a.Key == slog.TimeKey {
		return slog.Attr{}
	}
	if a.Key == "since" {
		return slog.Attr{}
	}
	return a
}

// connect returns a client of the embedded engine, or of the Redis at
// addr after deleting what an earlier run left there.
func connect(ctx context.Context, addr string) (*pelican.Client, error) {
	opts := pelican.Options{Logger: slog.New(slog.DiscardHandler)}
	if addr == "" {
		return embedded.New(opts)
	}
	c := pelican.New(redis.NewClient(&redis.Options{Addr: addr}), opts)
	keys, err := c.Redis().Keys(ctx, stream+"*").Result()
	if err == nil && len(keys) > 0 {
		err = c.Redis().Del(ctx, keys...).Err()
	}
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("cleaning up %s: %w", addr, err)
	}
	return c, nil
}
