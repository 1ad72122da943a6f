package pelican_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/pelicanhq/pelican"
	"github.com/pelicanhq/pelican/embedded"
)

func ExampleClient_Publish() {
	ctx := context.Background()
	c, err := embedded.New(pelican.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	id, err := c.Publish(ctx, "orders", map[string]string{"order": "42", "total": "19.90"}, nil)
	if err != nil {
		log.Fatal(err)
	}
	// A message is an ordinary stream entry: any Redis client can read it.
	entries, err := c.Redis().XRange(ctx, "orders", id, id).Result()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(entries[0].Values["order"], entries[0].Values["total"])
	// Output: 42 19.90
}

// Publishing with an idempotency key adds the message once, however often
// a producer retries: the retry gets the first publish's ID back.
func ExampleClient_Publish_idempotencyKey() {
	ctx := context.Background()
	c, err := embedded.New(pelican.Options{ProducerID: "checkout"})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	opts := &pelican.PublishOptions{IdempotencyKey: "order-42"}
	first, err := c.Publish(ctx, "orders", map[string]string{"order": "42"}, opts)
	if err != nil {
		log.Fatal(err)
	}
	retry, err := c.Publish(ctx, "orders", map[string]string{"order": "42"}, opts)
	if err != nil {
		log.Fatal(err)
	}
	n, err := c.Redis().XLen(ctx, "orders").Result()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("same ID:", first == retry)
	fmt.Println("entries:", n)
	// Output:
	// same ID: true
	// entries: 1
}

// Trimming on publish keeps a stream from growing forever. Approx trims
// only whole nodes of entries, which costs far less; exact trimming, as
// here, keeps exactly MaxLen entries.
func ExamplePublishOptions() {
	ctx := context.Background()
	c, err := embedded.New(pelican.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	for i := range 10 {
		_, err := c.Publish(ctx, "events", map[string]string{"n": fmt.Sprint(i)}, &pelican.PublishOptions{MaxLen: 3})
		if err != nil {
			log.Fatal(err)
		}
	}
	entries, err := c.Redis().XRange(ctx, "events", "-", "+").Result()
	if err != nil {
		log.Fatal(err)
	}
	var kept []string
	for _, e := range entries {
		kept = append(kept, e.Values["n"].(string))
	}
	fmt.Println(strings.Join(kept, " "))
	// Output: 7 8 9
}

func ExampleClient_NewWorker() {
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	c, err := embedded.New(pelican.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	for _, order := range []string{"41", "42", "43"} {
		if _, err := c.Publish(ctx, "orders", map[string]string{"order": order}, nil); err != nil {
			log.Fatal(err)
		}
	}
	handled := 0
	w, err := c.NewWorker(pelican.WorkerConfig{
		Stream:   "orders",
		Group:    "billing",
		Consumer: "billing-1",
		Handler: pelican.HandlerFunc(func(ctx context.Context, m *pelican.Message) error {
			fmt.Println("billing order", m.Values["order"])
			if handled++; handled == 3 {
				stop() // Run shuts down gracefully, acknowledging all three
			}
			return nil
		}),
	})
	if err != nil {
		log.Fatal(err)
	}
	if err := w.Run(ctx); err != nil {
		log.Fatal(err)
	}
	fmt.Println("processed:", w.Stats().Processed)
	// Output:
	// billing order 41
	// billing order 42
	// billing order 43
	// processed: 3
}

// PublishValue and Message.Decode carry a typed payload as JSON.
func ExampleMessage_Decode() {
	type Order struct {
		ID    int      `json:"id"`
		Items []string `json:"items"`
	}
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	c, err := embedded.New(pelican.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	if _, err := c.PublishValue(ctx, "orders", Order{ID: 42, Items: []string{"tea", "scones"}}, nil); err != nil {
		log.Fatal(err)
	}
	w, err := c.NewWorker(pelican.WorkerConfig{
		Stream: "orders", Group: "billing", Consumer: "billing-1",
		Handler: pelican.HandlerFunc(func(ctx context.Context, m *pelican.Message) error {
			defer stop()
			var o Order
			if err := m.Decode(&o); err != nil {
				return pelican.Permanent(err) // it will never decode
			}
			fmt.Printf("order %d: %v\n", o.ID, o.Items)
			return nil
		}),
	})
	if err != nil {
		log.Fatal(err)
	}
	if err := w.Run(ctx); err != nil {
		log.Fatal(err)
	}
	// Output: order 42: [tea scones]
}

// A handler that is told to slow down returns RetryAfter: the message
// stays pending and comes back after the delay, with its delivery counted.
func ExampleRetryAfter() {
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	// Pelican logs each failure; this example prints its own account.
	c, err := embedded.New(pelican.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	if _, err := c.Publish(ctx, "emails", map[string]string{"to": "ada@example.com"}, nil); err != nil {
		log.Fatal(err)
	}
	w, err := c.NewWorker(pelican.WorkerConfig{
		Stream: "emails", Group: "senders", Consumer: "sender-1",
		Handler: pelican.HandlerFunc(func(ctx context.Context, m *pelican.Message) error {
			if m.Deliveries == 1 {
				fmt.Println("delivery 1: rate limited")
				return pelican.RetryAfter(200*time.Millisecond, errors.New("429 Too Many Requests"))
			}
			fmt.Printf("delivery %d: sent\n", m.Deliveries)
			stop()
			return nil
		}),
		Block: 100 * time.Millisecond, // how long a read waits; it bounds shutdown too
	})
	if err != nil {
		log.Fatal(err)
	}
	start := time.Now()
	if err := w.Run(ctx); err != nil {
		log.Fatal(err)
	}
	fmt.Println("waited at least 200ms:", time.Since(start) >= 200*time.Millisecond)
	// Output:
	// delivery 1: rate limited
	// delivery 2: sent
	// waited at least 200ms: true
}

// A message that can never succeed is moved to the dead-letter stream at
// once, with metadata saying why.
func ExamplePermanent() {
	ctx := context.Background()
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	c, err := embedded.New(pelican.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	if _, err := c.Publish(ctx, "orders", map[string]string{"order": "not-a-number"}, nil); err != nil {
		log.Fatal(err)
	}
	w, err := c.NewWorker(pelican.WorkerConfig{
		Stream: "orders", Group: "billing", Consumer: "billing-1",
		Handler: pelican.HandlerFunc(func(ctx context.Context, m *pelican.Message) error {
			return pelican.Permanent(fmt.Errorf("bad order %q", m.Values["order"]))
		}),
		OnDeadLetter: func(ctx context.Context, d pelican.DeadLetter) {
			fmt.Printf("dead after %d delivery: %s (%s)\n", d.Deliveries, d.Error, d.Class)
			stop()
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	if err := w.Run(runCtx); err != nil {
		log.Fatal(err)
	}
	dead, err := c.Redis().XRange(ctx, "orders:dlq", "-", "+").Result()
	if err != nil {
		log.Fatal(err)
	}
	v := dead[0].Values
	fmt.Println(v["order"], v[pelican.FieldOriginalStream], v[pelican.FieldGroup], v[pelican.FieldErrorClass])
	// Output:
	// dead after 1 delivery: bad order "not-a-number" (permanent)
	// not-a-number orders billing permanent
}

// In exactly-once mode a handler queues its Redis writes on m.Tx(). They
// are applied together with the message's acknowledgement when the
// handler returns nil, and discarded when it fails: here the first attempt
// at the deposit of 20 fails after queuing its write, and the balance
// still counts every deposit once.
func ExampleMessage_Tx() {
	ctx := context.Background()
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	c, err := embedded.New(pelican.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	for _, amount := range []string{"10", "20", "30"} {
		if _, err := c.Publish(ctx, "deposits", map[string]string{"amount": amount}, nil); err != nil {
			log.Fatal(err)
		}
	}
	var done atomic.Int64 // the handler runs on more than one goroutine
	w, err := c.NewWorker(pelican.WorkerConfig{
		Stream: "deposits", Group: "ledger", Consumer: "ledger-1",
		ExactlyOnce: true,
		Handler: pelican.HandlerFunc(func(ctx context.Context, m *pelican.Message) error {
			amount, err := strconv.Atoi(m.Values["amount"])
			if err != nil {
				return pelican.Permanent(err)
			}
			m.Tx().IncrBy(ctx, "balance", int64(amount))
			if amount == 20 && m.Deliveries == 1 {
				return errors.New("ledger timed out") // the queued INCRBY is dropped
			}
			if done.Add(1) == 3 {
				stop()
			}
			return nil
		}),
		Backoff: pelican.Delays{50 * time.Millisecond},
		Block:   100 * time.Millisecond, // how long a read waits; it bounds shutdown too
	})
	if err != nil {
		log.Fatal(err)
	}
	if err := w.Run(runCtx); err != nil {
		log.Fatal(err)
	}
	balance, err := c.Redis().Get(ctx, "balance").Result()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("balance:", balance)
	// Output: balance: 60
}

func ExampleExponentialBackoff() {
	b := pelican.ExponentialBackoff{Base: time.Second, Max: 30 * time.Second}
	for attempt := 1; attempt <= 6; attempt++ {
		fmt.Println(attempt, b.Delay(attempt))
	}
	// Output:
	// 1 1s
	// 2 2s
	// 3 4s
	// 4 8s
	// 5 16s
	// 6 30s
}

func ExampleDelays() {
	d := pelican.Delays{time.Second, 10 * time.Second, time.Minute}
	for attempt := 1; attempt <= 4; attempt++ {
		fmt.Println(attempt, d.Delay(attempt))
	}
	// Output:
	// 1 1s
	// 2 10s
	// 3 1m0s
	// 4 1m0s
}
