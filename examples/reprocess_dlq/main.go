// Command reprocess_dlq reprocesses dead letters in place, with the dlq
// package (the seeds' reprocess_dlq): once the cause of their failure is
// fixed, each dead letter is handed to a handler; one it processes is
// deleted from the dead-letter stream, one that still fails stays, with a
// note of the attempt (how many, when, the error). A worker fills the
// dead-letter stream first, and a dead letter written by another tool,
// without Pelican's metadata, is reprocessed like the others. What can
// never succeed is deleted at the end.
//
//	go run ./examples/reprocess_dlq                  # embedded engine
//	go run ./examples/reprocess_dlq -redis 127.0.0.1:6379
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pelicanhq/pelican"
	"github.com/pelicanhq/pelican/dlq"
	"github.com/pelicanhq/pelican/embedded"
)

const stream = "examples:shipments" // its dead letters go to "examples:shipments:dlq"

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

// shipper ships parcels of the products in its catalog.
type shipper struct {
	mu      sync.Mutex
	catalog map[string]bool
	shipped []string // the shipments, in order
}

// ship ships the shipment described by values, or says why it cannot.
func (s *shipper) ship(values map[string]string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if w, err := strconv.Atoi(values["weight"]); err != nil || w <= 0 {
		return pelican.Permanent(fmt.Errorf("weight %q is invalid", values["weight"]))
	}
	if !s.catalog[values["product"]] {
		return pelican.Permanent(fmt.Errorf("product %s is not in the catalog", values["product"]))
	}
	s.shipped = append(s.shipped, values["shipment"])
	return nil
}

func run(ctx context.Context, addr string) error {
	c, err := connect(ctx, addr)
	if err != nil {
		return err
	}
	defer c.Close()
	s := &shipper{catalog: map[string]bool{"A-100": true}}

	// Products P-771 and P-772 are new: the catalog does not have them
	// yet. P-999 does not exist. Shipment 6 weighs nothing.
	shipments := []map[string]string{
		{"shipment": "1", "product": "A-100", "weight": "2"},
		{"shipment": "2", "product": "P-771", "weight": "1"},
		{"shipment": "3", "product": "P-772", "weight": "5"},
		{"shipment": "4", "product": "P-771", "weight": "3"},
		{"shipment": "5", "product": "P-999", "weight": "1"},
		{"shipment": "6", "product": "A-100", "weight": "0"},
	}
	if err := fill(ctx, c, s, shipments, 5); err != nil {
		return err
	}
	// Another tool dead-lettered shipment 7 its own way: no metadata.
	q := dlq.ForStream(c, stream)
	if err := c.Redis().XAdd(ctx, &redis.XAddArgs{Stream: q.Name(), Values: map[string]any{
		"shipment": "7", "product": "P-772", "weight": "4", "note": "moved by the old consumer",
	}}).Err(); err != nil {
		return err
	}
	st, err := q.Stats(ctx)
	if err != nil {
		return err
	}
	fmt.Printf("\n%s holds %d dead letters, %d without Pelican's metadata\n", q.Name(), st.Count, st.Malformed)

	// The catalog team adds the new products; reprocess 10 at most.
	s.mu.Lock()
	s.catalog["P-771"], s.catalog["P-772"] = true, true
	s.mu.Unlock()
	fmt.Println("\nP-771 and P-772 are in the catalog now. Reprocessing:")
	handler := func(ctx context.Context, e dlq.Entry) error {
		err := s.ship(e.Values)
		fmt.Printf("  %s shipment %s (%s): %v\n", e.ID, e.Values["shipment"], e.Values["product"], outcome(err))
		return err
	}
	res, err := q.Reprocess(ctx, dlq.Selector{All: true}, handler, dlq.ReprocessOptions{Limit: 10})
	if err != nil {
		return err
	}
	fmt.Printf("%d reprocessed and deleted, %d still failing\n", res.Succeeded, res.Failed)

	// Try the ones of the missing product once more, selected by their
	// error's fingerprint.
	missing := dlq.Fingerprint("product P-999 is not in the catalog")
	fmt.Println("\nOnce more, the shipments of products not in the catalog:")
	if _, err := q.Reprocess(ctx, dlq.Selector{Fingerprint: missing}, handler, dlq.ReprocessOptions{}); err != nil {
		return err
	}

	// What is left, with the notes of the attempts.
	left, _, err := q.List(ctx, dlq.Selector{All: true}, dlq.ListOptions{})
	if err != nil {
		return err
	}
	fmt.Println("\nLeft in the dead-letter stream:")
	for _, e := range left {
		n := e.Reprocessed
		fmt.Printf("  %s shipment %s: %d failed reprocessing attempts, the last at %s: %s\n",
			e.ID, e.Values["shipment"], n.Attempts, n.LastAttempt.Format("15:04:05.000"), n.LastError)
	}

	// A weight of zero will never ship: delete that dead letter.
	deleted, err := q.Delete(ctx, dlq.Selector{Fingerprint: dlq.Fingerprint(`weight "0" is invalid`)})
	if err != nil {
		return err
	}
	fmt.Printf("\nDeleted %d dead letter that can never succeed.\n", deleted)

	// Check the outcome: shipments 2, 3, 4 and 7 shipped on reprocessing;
	// 5 is left, after two attempts; 6 was deleted.
	final, _, err := q.List(ctx, dlq.Selector{All: true}, dlq.ListOptions{})
	if err != nil {
		return err
	}
	var got []string
	for _, e := range final {
		got = append(got, fmt.Sprintf("shipment %s after %d attempts", e.Values["shipment"], e.Reprocessed.Attempts))
	}
	want := []string{"shipment 5 after 2 attempts"}
	wantShipped := []string{"1", "2", "3", "4", "7"}
	if res.Succeeded != 4 || res.Failed != 2 || deleted != 1 || !slices.Equal(got, want) || !slices.Equal(s.shipped, wantShipped) {
		return fmt.Errorf("reprocessed %d (want 4), failed %d (want 2), deleted %d (want 1), left %q (want %q), shipped %q (want %q)",
			res.Succeeded, res.Failed, deleted, got, want, s.shipped, wantShipped)
	}
	return nil
}

func outcome(err error) string {
	if err == nil {
		return "shipped"
	}
	return "still failing: " + err.Error()
}

// fill runs a worker on the shipments until it has dead-lettered want of
// them.
func fill(ctx context.Context, c *pelican.Client, s *shipper, shipments []map[string]string, want int64) error {
	for _, sh := range shipments {
		if _, err := c.Publish(ctx, stream, sh, nil); err != nil {
			return err
		}
	}
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	var dead atomic.Int64
	w, err := c.NewWorker(pelican.WorkerConfig{
		Stream: stream, Group: "shipping", Consumer: "shipping-1",
		Handler: pelican.HandlerFunc(func(ctx context.Context, m *pelican.Message) error { return s.ship(m.Values) }),
		Block:   100 * time.Millisecond, // how long a read waits; it bounds shutdown too
		OnDeadLetter: func(ctx context.Context, d pelican.DeadLetter) {
			fmt.Printf("shipment %s: dead-lettered: %s\n", d.Values["shipment"], d.Error)
			if dead.Add(1) == want {
				stop()
			}
		},
	})
	if err != nil {
		return err
	}
	if err := w.Run(runCtx); err != nil {
		return err
	}
	if ctx.Err() != nil {
		return errors.New("the worker did not dead-letter every failing shipment in time")
	}
	return nil
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
