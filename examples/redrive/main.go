// Command redrive shows a managed redrive of dead letters: a billing
// worker fails on invoices of a country it has no tax rate for, and they
// land in the dead-letter stream; once the rate is configured, a dry run
// says what a redrive would do, and a rate-limited redrive sends them back
// with progress. An audit group reads the same stream: it processed the
// invoices the first time and skips the redriven copies, which are for
// billing only. An invoice that can never succeed fails again, comes back
// with its redrive count, and is parked by the next redrive.
//
//	go run ./examples/redrive                  # embedded engine
//	go run ./examples/redrive -redis 127.0.0.1:6379
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pelicanhq/pelican"
	"github.com/pelicanhq/pelican/dlq"
	"github.com/pelicanhq/pelican/embedded"
)

const stream = "examples:bills" // dead letters in "examples:bills:dlq"

func main() {
	addr := flag.String("redis", "", "use the Redis at `host:port` instead of the embedded engine")
	flag.Parse()
	// A safety net: whatever happens, give up after 20 seconds.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	err := run(ctx, *addr)
	cancel()
	if err != nil {
		fmt.Println("FAILED:", err)
		os.Exit(1)
	}
}

// counters of the two groups' handlers.
var billed, billingFailures, audited atomic.Int64

func run(ctx context.Context, addr string) error {
	c, err := connect(ctx, addr)
	if err != nil {
		return err
	}
	defer c.Close()

	// Billing has no tax rate for Iceland until we configure one.
	var icelandRate atomic.Bool
	billing := func(ctx context.Context, m *pelican.Message) error {
		if m.Values["amount"] == "oops" {
			billingFailures.Add(1)
			return pelican.Permanent(fmt.Errorf("invoice %s: amount %q is not a number", m.Values["invoice"], m.Values["amount"]))
		}
		if m.Values["country"] == "IS" && !icelandRate.Load() {
			billingFailures.Add(1)
			return pelican.Permanent(fmt.Errorf("no tax rate for country %s (invoice %s)", m.Values["country"], m.Values["invoice"]))
		}
		billed.Add(1)
		return nil
	}
	audit := func(ctx context.Context, m *pelican.Message) error {
		audited.Add(1)
		return nil
	}
	workers, stop, err := startWorkers(ctx, c, billing, audit)
	if err != nil {
		return err
	}
	defer stop()

	// 40 invoices; every fifth is for Iceland, and invoice 7 is broken.
	for i := range 40 {
		country := "FR"
		if i%5 == 2 {
			country = "IS"
		}
		amount := strconv.Itoa(100 + i)
		if i == 7 {
			amount = "oops"
		}
		if _, err := c.Publish(ctx, stream, map[string]string{"invoice": strconv.Itoa(i), "country": country, "amount": amount}, nil); err != nil {
			return err
		}
	}
	q := dlq.ForStream(c, stream)
	if err := waitFor(ctx, "8 dead letters and 40 audited", func() bool {
		return length(ctx, c, q.Name()) == 8 && audited.Load() == 40
	}); err != nil {
		return err
	}
	fmt.Printf("billing billed %d invoices; %d are in %s; audit saw all %d\n\n", billed.Load(), length(ctx, c, q.Name()), q.Name(), audited.Load())

	// The tax rate is configured: first the dry run.
	icelandRate.Store(true)
	plan, err := q.PlanRedrive(ctx, dlq.Selector{All: true}, dlq.RedriveOptions{})
	if err != nil {
		return err
	}
	fmt.Printf("dry run: %d selected, %d would be redriven, %d parked, %d skipped\n", plan.Selected, plan.Redrive, plan.Park, plan.Skip)
	for _, t := range plan.Targets {
		problem := "ok"
		if t.Problem != "" {
			problem = t.Problem
		}
		fmt.Printf("  to %s for group %s: %d (%s)\n", t.Stream, t.Group, t.Count, problem)
	}
	for _, e := range plan.Samples[:2] {
		fmt.Printf("  sample %s: invoice %s, %q (fingerprint %s)\n", e.ID, e.Values["invoice"], e.Error, e.Fingerprint)
	}

	// The redrive itself, at 40 messages per second, with progress.
	fmt.Println("\nredriving at 40 messages per second:")
	job, err := q.Redrive(ctx, dlq.Selector{All: true}, dlq.RedriveOptions{Rate: 40, OnProgress: func(p dlq.Progress) {
		if !p.Done {
			fmt.Printf("  moved %d/%d\n", p.Moved, p.Total)
		}
	}})
	if err != nil {
		return err
	}
	start := time.Now()
	p, err := job.Wait(ctx)
	if err != nil {
		return err
	}
	fmt.Printf("job %s: moved %d in %v\n", job.ID(), p.Moved, time.Since(start).Round(10*time.Millisecond))
	if err := waitFor(ctx, "billing processes the redriven invoices and audit skips them", func() bool {
		return billed.Load() == 39 && length(ctx, c, q.Name()) == 1 && workers.audit.Stats().NotOurs == 8
	}); err != nil {
		return err
	}
	fmt.Printf("billing has now billed %d invoices; audit skipped %d redriven copies without its handler\n", billed.Load(), workers.audit.Stats().NotOurs)

	// Invoice 7 failed again and came back with its redrive count. With a
	// redrive limit of 1, the next redrive parks it instead of looping.
	job, err = q.Redrive(ctx, dlq.Selector{All: true}, dlq.RedriveOptions{RedriveLimit: 1})
	if err != nil {
		return err
	}
	if p, err = job.Wait(ctx); err != nil {
		return err
	}
	parked, err := c.Redis().XRange(ctx, q.Parked().Name(), "-", "+").Result()
	if err != nil {
		return err
	}
	fmt.Printf("\nsecond redrive: moved %d, parked %d\n", p.Moved, p.Parked)
	for _, m := range parked {
		fmt.Printf("  parked in %s: invoice %v, redrives %v, %q\n", q.Parked().Name(), m.Values["invoice"], m.Values[pelican.FieldRedrives], m.Values[pelican.FieldError])
	}
	jobs, err := q.RedriveJobs(ctx)
	if err != nil {
		return err
	}
	fmt.Println("\nthe jobs' checkpoints:")
	for _, j := range jobs {
		fmt.Printf("  %s: %s, %d selected, moved %d, parked %d\n", j.ID, j.State, j.Total, j.Moved, j.Parked)
	}

	// Check the outcome.
	switch {
	case billed.Load() != 39, audited.Load() != 40, workers.audit.Stats().NotOurs != 8:
		return fmt.Errorf("billed %d (want 39), audited %d (want 40), audit skipped %d (want 8)", billed.Load(), audited.Load(), workers.audit.Stats().NotOurs)
	case length(ctx, c, q.Name()) != 0 || len(parked) != 1 || parked[0].Values["invoice"] != "7":
		return fmt.Errorf("%d left in %s, parked %v; want none left and invoice 7 parked", length(ctx, c, q.Name()), q.Name(), parked)
	}
	return nil
}

// workers are the example's two workers.
type workers struct{ billing, audit *pelican.Worker }

// startWorkers runs a billing and an audit worker on the stream, and
// returns them with a function that stops them.
func startWorkers(ctx context.Context, c *pelican.Client, billing, audit pelican.HandlerFunc) (workers, func(), error) {
	var ws workers
	runCtx, cancel := context.WithCancel(ctx)
	var done []chan error
	for _, g := range []struct {
		group string
		h     pelican.HandlerFunc
		into  **pelican.Worker
	}{{"billing", billing, &ws.billing}, {"audit", audit, &ws.audit}} {
		w, err := c.NewWorker(pelican.WorkerConfig{
			Stream: stream, Group: g.group, Consumer: g.group + "-1", Handler: g.h,
			Block: 50 * time.Millisecond, // how long a read waits; it bounds shutdown too
		})
		if err != nil {
			cancel()
			return ws, nil, err
		}
		*g.into = w
		ch := make(chan error, 1)
		go func() { ch <- w.Run(runCtx) }()
		done = append(done, ch)
	}
	stop := func() {
		cancel()
		for _, ch := range done {
			<-ch
		}
	}
	// Both groups must exist before anything is published.
	err := waitFor(ctx, "both groups", func() bool {
		groups, err := c.Redis().XInfoGroups(ctx, stream).Result()
		return err == nil && len(groups) == 2
	})
	if err != nil {
		stop()
	}
	return ws, stop, err
}

// waitFor polls cond until it holds or ctx ends.
func waitFor(ctx context.Context, what string, cond func() bool) error {
	for !cond() {
		select {
		case <-ctx.Done():
			return errors.New("timed out waiting for " + what)
		case <-time.After(10 * time.Millisecond):
		}
	}
	return nil
}

func length(ctx context.Context, c *pelican.Client, key string) int64 {
	return c.Redis().XLen(ctx, key).Val()
}

// connect returns a client of the embedded engine, or of the Redis at
// addr after deleting what an earlier run left there.
func connect(ctx context.Context, addr string) (*pelican.Client, error) {
	// Pelican logs failures, dead letters and redrives; this example
	// prints its own account of them instead.
	opts := pelican.Options{Logger: slog.New(slog.DiscardHandler)}
	if addr == "" {
		return embedded.New(opts)
	}
	c := pelican.New(redis.NewClient(&redis.Options{Addr: addr}), opts)
	// The stream, its dead letters, the parked stream and Pelican's
	// bookkeeping all have names starting with the stream's.
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
