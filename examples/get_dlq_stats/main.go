// Command get_dlq_stats shows what is in a dead-letter stream, with the
// dlq package: the count, the oldest and newest dead letters and counts
// by stream, group and error class (the seeds' get_dlq_stats), then the
// failures grouped by cause, "order 88214 not found" and "order 91007
// not found" being one problem, then a page of dead letters newest first.
// Two workers of different groups fill the dead-letter stream first.
// Browsing never consumes: the dead letters are all still there at the
// end.
//
//	go run ./examples/get_dlq_stats                  # embedded engine
//	go run ./examples/get_dlq_stats -redis 127.0.0.1:6379
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pelicanhq/pelican"
	"github.com/pelicanhq/pelican/dlq"
	"github.com/pelicanhq/pelican/embedded"
)

const stream = "examples:invoices" // its dead letters go to "examples:invoices:dlq"

func main() {
	addr := flag.String("redis", "", "use the Redis at `host:port` instead of the embedded engine")
	flag.Parse()
	// A safety net: whatever happens, give up after 10 seconds.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	err := run(ctx, *addr)
	cancel()
	if err != nil {
		fmt.Println("FAILED:", err)
		os.Exit(1)
	}
}

// invoices are the messages: an order, a customer and an amount.
var invoices = []map[string]string{
	{"order": "88214", "customer": "7", "amount": "19.90"},
	{"order": "91007", "customer": "7", "amount": "5.00"},
	{"order": "10001", "customer": "12", "amount": "120.00"},
	{"order": "10002", "customer": "31", "amount": "-3.00"},
	{"order": "40400", "customer": "12", "amount": "8.50"},
	{"order": "10003", "customer": "44", "amount": "64.00"},
	{"order": "50211", "customer": "9", "amount": "12.00"},
}

// The orders billing cannot find, and the customers shipping has no
// address for.
var (
	unknownOrders = map[string]bool{"88214": true, "91007": true, "40400": true}
	noAddress     = map[string]bool{"12": true, "9": true}
)

func run(ctx context.Context, addr string) error {
	c, err := connect(ctx, addr)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := fill(ctx, c); err != nil {
		return err
	}

	q := dlq.ForStream(c, stream)
	st, err := q.Stats(ctx)
	if err != nil {
		return err
	}
	fmt.Printf("\n%s: %d dead letters, %d with malformed metadata\n", q.Name(), st.Count, st.Malformed)
	fmt.Printf("  oldest  %s  order %s  %q\n", st.Oldest.ID, st.Oldest.Values["order"], st.Oldest.Error)
	fmt.Printf("  newest  %s  order %s  %q\n", st.Newest.ID, st.Newest.Values["order"], st.Newest.Error)
	fmt.Printf("  by stream %v\n  by group  %v\n  by class  %v\n", counts(st.ByStream), counts(st.ByGroup), counts(st.ByClass))

	groups, err := q.Failures(ctx, dlq.Selector{All: true})
	if err != nil {
		return err
	}
	fmt.Printf("\nFailures by cause (%d causes):\n", len(groups))
	for _, g := range groups {
		fmt.Printf("  %d × %q  [%s]  streams %v, classes %v\n", g.Count, g.Text, g.Fingerprint, counts(g.ByStream), counts(g.ByClass))
		fmt.Printf("      first seen %s, last seen %s; e.g. %s: %q\n", g.FirstSeen.Format("15:04:05.000"), g.LastSeen.Format("15:04:05.000"), g.Sample.ID, g.Sample.Error)
	}

	// A page at a time, newest first, following the cursor.
	fmt.Println("\nThe dead letters of group billing, newest first, 2 a page:")
	opts := dlq.ListOptions{Limit: 2, Reverse: true}
	listed := 0
	for page := 1; ; page++ {
		es, next, err := q.List(ctx, dlq.Selector{Group: "billing"}, opts)
		if err != nil {
			return err
		}
		for _, e := range es {
			fmt.Printf("  page %d: %s  order %-6s after %d deliveries: %s\n", page, e.ID, e.Values["order"], e.Deliveries, e.Error)
		}
		listed += len(es)
		if next == "" {
			break
		}
		opts.After = next
	}

	// Check the outcome: billing failed orders 88214, 91007, 40400 (not
	// found), 10002 (negative amount) and 50211 (twice timed out);
	// shipping the three orders of customers 12 and 9. Browsing consumed nothing. (The two groups of
	// three come in the order of their latest dead letter: either.)
	var got []string
	for _, g := range groups {
		got = append(got, fmt.Sprintf("%d %s", g.Count, g.Text))
	}
	slices.Sort(got)
	want := []string{
		"1 amount <n> is negative",
		"1 payment gateway timed out after <n>s",
		"3 customer <n> has no shipping address",
		"3 order <n> not found",
	}
	n, err := q.Len(ctx)
	if err != nil {
		return err
	}
	if st.Count != 8 || n != 8 || listed != 5 || !slices.Equal(got, want) ||
		st.ByGroup["billing"] != 5 || st.ByGroup["shipping"] != 3 || st.ByClass[pelican.ClassHandler] != 1 {
		return fmt.Errorf("count %d (want 8), %d left (want 8), %d listed for billing (want 5), by group %v, by class %v, failures %q (want %q)",
			st.Count, n, listed, st.ByGroup, st.ByClass, got, want)
	}
	return nil
}

// fill runs a billing and a shipping worker on the invoices until each
// has dead-lettered the ones it cannot process.
func fill(ctx context.Context, c *pelican.Client) error {
	for _, inv := range invoices {
		if _, err := c.Publish(ctx, stream, inv, nil); err != nil {
			return err
		}
	}
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	var dead atomic.Int64
	const wantDead = 8
	handlers := map[string]pelican.HandlerFunc{
		"billing": func(ctx context.Context, m *pelican.Message) error {
			switch {
			case unknownOrders[m.Values["order"]]:
				return pelican.Permanent(fmt.Errorf("order %s not found", m.Values["order"]))
			case strings.HasPrefix(m.Values["amount"], "-"):
				return pelican.Permanent(fmt.Errorf("amount %s is negative", m.Values["amount"]))
			case m.Values["order"] == "50211":
				// Not permanent: retried after the backoff, then
				// dead-lettered after MaxDeliveries attempts.
				return errors.New("payment gateway timed out after 30s")
			}
			return nil
		},
		"shipping": func(ctx context.Context, m *pelican.Message) error {
			if noAddress[m.Values["customer"]] {
				return pelican.Permanent(fmt.Errorf("customer %s has no shipping address", m.Values["customer"]))
			}
			return nil
		},
	}
	var wg sync.WaitGroup
	errs := make(chan error, len(handlers))
	for _, group := range slices.Sorted(maps.Keys(handlers)) {
		w, err := c.NewWorker(pelican.WorkerConfig{
			Stream: stream, Group: group, Consumer: group + "-1", Handler: handlers[group],
			MaxDeliveries: 2,
			Backoff:       pelican.Delays{50 * time.Millisecond}, // real ones are seconds to minutes
			Block:         100 * time.Millisecond,                // how long a read waits; it bounds shutdown too
			OnDeadLetter: func(ctx context.Context, d pelican.DeadLetter) {
				fmt.Printf("%-8s order %s: dead-lettered: %s\n", d.Group, d.Values["order"], d.Error)
				if dead.Add(1) == wantDead {
					stop()
				}
			},
		})
		if err != nil {
			return err
		}
		wg.Go(func() { errs <- w.Run(runCtx) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			return err
		}
	}
	if ctx.Err() != nil {
		return errors.New("the workers did not dead-letter every failing invoice in time")
	}
	return nil
}

// counts renders a count map in key order.
func counts(m map[string]int64) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s=%d", k, m[k]))
	}
	return strings.Join(parts, " ")
}

// connect returns a client of the embedded engine, or of the Redis at
// addr after deleting what an earlier run left there.
func connect(ctx context.Context, addr string) (*pelican.Client, error) {
	// Pelican logs dead letters; this example prints its own account.
	opts := pelican.Options{Logger: slog.New(slog.DiscardHandler)}
	if addr == "" {
		return embedded.New(opts)
	}
	c := pelican.New(redis.NewClient(&redis.Options{Addr: addr}), opts)
	// The stream, its dead letters and Pelican's bookkeeping all have
	// names starting with the stream's.
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
