// Command codecs shows typed payloads in three formats: a shop publishes
// orders as protobuf (codec/protocodec) and an older service still
// publishes msgpack (codec/msgpackcodec) to the same stream. Each message
// records its format in "pelican:content-type". The billing worker
// decodes protobuf: the msgpack order fails to decode, a permanent
// failure, and goes to the dead-letter stream at once with an error that
// says why. An audit worker reads both formats, choosing the codec by the
// message's content type. Binary payloads are stored as they are, not
// base64-encoded.
//
//	go run ./examples/codecs                  # embedded engine
//	go run ./examples/codecs -redis 127.0.0.1:6379
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pelicanhq/pelican"
	"github.com/pelicanhq/pelican/codec/msgpackcodec"
	"github.com/pelicanhq/pelican/codec/protocodec"
	"github.com/pelicanhq/pelican/embedded"
	"github.com/pelicanhq/pelican/examples/codecs/shop"
)

const stream = "examples:shop" // its dead letters go to "examples:shop:dlq"

// legacyOrder is what the older service publishes, in msgpack.
type legacyOrder struct {
	ID       int64  `msgpack:"id"`
	Customer string `msgpack:"customer"`
}

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

func run(ctx context.Context, addr string) error {
	// The shop's client encodes with protobuf: PublishValue takes
	// generated messages, and its workers decode them.
	c, err := connect(ctx, addr, pelican.Options{Codec: protocodec.Codec{}})
	if err != nil {
		return err
	}
	defer c.Close()
	// The older service's client, here over the same connection, encodes
	// with msgpack.
	legacy := pelican.New(c.Redis(), pelican.Options{Codec: msgpackcodec.Codec{}, Logger: c.Logger()})

	orders := []*shop.Order{
		{Id: 101, Customer: "ada", Lines: []*shop.Line{{Sku: "TEA-1", Quantity: 2, PriceCents: 450}}, TotalCents: 900},
		{Id: 102, Customer: "grace", Lines: []*shop.Line{{Sku: "SCONE", Quantity: 6, PriceCents: 275}}, TotalCents: 1650},
	}
	for _, o := range orders {
		if _, err := c.PublishValue(ctx, stream, o, nil); err != nil {
			return err
		}
	}
	if _, err := legacy.PublishValue(ctx, stream, legacyOrder{ID: 103, Customer: "edsger"}, nil); err != nil {
		return err
	}
	if err := show(ctx, c.Redis(), orders[0]); err != nil {
		return err
	}

	// billing decodes with its client's codec, protobuf. The msgpack
	// order cannot be decoded: Decode's error is permanent, so returning
	// it dead-letters the order after one delivery.
	var mu sync.Mutex
	var billed, audited []string
	var deadLetter pelican.DeadLetter
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	done := func() bool { return len(billed) == 2 && deadLetter.ID != "" && len(audited) == 3 }
	billing, err := c.NewWorker(pelican.WorkerConfig{
		Stream: stream, Group: "billing", Consumer: "billing-1", Block: 100 * time.Millisecond,
		Handler: pelican.HandlerFunc(func(ctx context.Context, m *pelican.Message) error {
			var o shop.Order
			if err := m.Decode(&o); err != nil {
				return fmt.Errorf("billing: %w", err)
			}
			fmt.Printf("billing: order %d for %s, %d cents\n", o.Id, o.Customer, o.TotalCents)
			mu.Lock()
			defer mu.Unlock()
			billed = append(billed, fmt.Sprint(o.Id))
			if done() {
				stop()
			}
			return nil
		}),
		OnDeadLetter: func(ctx context.Context, d pelican.DeadLetter) {
			fmt.Printf("billing: %s moved to the dead-letter stream after %d delivery (class %s, content type %s):\n  %s\n",
				d.OriginalID, d.Deliveries, d.Class, d.ContentType, d.Error)
			mu.Lock()
			defer mu.Unlock()
			deadLetter = d
			if done() {
				stop()
			}
		},
	})
	if err != nil {
		return err
	}
	// audit reads both formats: it picks the codec by the content type.
	audit, err := c.NewWorker(pelican.WorkerConfig{
		Stream: stream, Group: "audit", Consumer: "audit-1", Block: 100 * time.Millisecond,
		Handler: pelican.HandlerFunc(func(ctx context.Context, m *pelican.Message) error {
			var id int64
			switch m.ContentType() {
			case protocodec.ContentType:
				var o shop.Order
				if err := m.Decode(&o); err != nil {
					return err
				}
				id = o.Id
			case msgpackcodec.ContentType:
				var o legacyOrder
				if err := (msgpackcodec.Codec{}).Decode(m.Values, &o); err != nil {
					return pelican.Permanent(err)
				}
				id = o.ID
			default:
				return pelican.Permanent(fmt.Errorf("audit: unknown content type %q", m.ContentType()))
			}
			fmt.Printf("audit: order %d (%s)\n", id, m.ContentType())
			mu.Lock()
			defer mu.Unlock()
			audited = append(audited, fmt.Sprint(id))
			if done() {
				stop()
			}
			return nil
		}),
	})
	if err != nil {
		return err
	}
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, w := range []*pelican.Worker{billing, audit} {
		wg.Go(func() { errs[i] = w.Run(runCtx) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if ctx.Err() != nil {
		return fmt.Errorf("timed out: billed %v, audited %v, dead letter %q", billed, audited, deadLetter.ID)
	}

	// Check the outcome.
	slices.Sort(audited)
	if !slices.Equal(billed, []string{"101", "102"}) || !slices.Equal(audited, []string{"101", "102", "103"}) {
		return fmt.Errorf("billed %v (want 101, 102), audited %v (want 101, 102, 103)", billed, audited)
	}
	want := "billing: pelican: content type mismatch: the message is application/msgpack, the codec decodes application/x-protobuf"
	if deadLetter.Class != pelican.ClassPermanent || deadLetter.Deliveries != 1 || deadLetter.Error != want || deadLetter.ContentType != msgpackcodec.ContentType {
		return fmt.Errorf("dead letter %+v, want class permanent after 1 delivery, error %q", deadLetter, want)
	}
	for _, g := range []string{"billing", "audit"} {
		p, err := c.Redis().XPending(ctx, stream, g).Result()
		if err != nil {
			return err
		}
		if p.Count != 0 {
			return fmt.Errorf("group %s: %d messages pending, want 0", g, p.Count)
		}
	}
	return nil
}

// show prints the first entry's fields as stored: the protobuf payload is
// raw bytes, smaller than the same order in JSON.
func show(ctx context.Context, rdb redis.UniversalClient, o *shop.Order) error {
	entries, err := rdb.XRangeN(ctx, stream, "-", "+", 1).Result()
	if err != nil {
		return err
	}
	if len(entries) == 0 {
		return errors.New("the stream is empty")
	}
	payload, _ := entries[0].Values[pelican.PayloadField].(string)
	asJSON, err := json.Marshal(o)
	if err != nil {
		return err
	}
	fmt.Printf("entry %s:\n  %s = %q\n  payload = %q (%d bytes; %d as JSON)\n\n", entries[0].ID,
		pelican.FieldContentType, entries[0].Values[pelican.FieldContentType], payload, len(payload), len(asJSON))
	return nil
}

// connect returns a client of the embedded engine, or of the Redis at
// addr after deleting what an earlier run left there.
func connect(ctx context.Context, addr string, opts pelican.Options) (*pelican.Client, error) {
	// Pelican logs dead letters; this example prints its own account.
	opts.Logger = slog.New(slog.DiscardHandler)
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
