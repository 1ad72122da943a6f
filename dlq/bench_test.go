package dlq_test

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pelicanhq/pelican"
	"github.com/pelicanhq/pelican/dlq"
	"github.com/pelicanhq/pelican/embedded"
	"github.com/pelicanhq/pelican/engine"
	"github.com/pelicanhq/pelican/internal/pelicantest"
	"github.com/pelicanhq/pelican/internal/redistest"
)

// benchEntries is the size of the dead-letter stream the benchmarks read.
const benchEntries = 100_000

// benchErrors are the error texts of the benchmark's dead letters: 20
// problems, each with numbers, IDs or quoted values that differ from one
// message to the next, as real failures do.
var benchErrors = []string{
	"order %d not found",
	"customer %d has no payment method",
	`product "SKU-%d" is discontinued`,
	"inventory reservation %d-%d expired",
	"payment gateway returned 502 after %dms",
	"timeout after %d.5s calling shipping",
	"address validation failed for zip %05d",
	"duplicate invoice %d",
	"currency %d not supported",
	"user 3f2b9a1c-0d4e-4a5b-9c7d-%012d is locked",
	"rate limit exceeded, retry in %ds",
	"coupon 'SAVE%d' is not valid",
	"warehouse %d is closed",
	"tax rule %d missing for region",
	"shipment %d already dispatched",
	"refund %d exceeds captured amount",
	"fraud score %d above threshold",
	"email bounce for account %d",
	"checksum 0x%x mismatch",
	"parcel weight %dg over limit",
}

// benchDLQ fills key with benchEntries dead letters like the worker
// writes: a few fields of their own and the metadata, from 3 streams and
// 4 groups, in batches of pipelined XADDs.
func benchDLQ(b *testing.B, rdb redis.UniversalClient, key string) {
	b.Helper()
	ctx := context.Background()
	classes := []string{pelican.ClassHandler, pelican.ClassPermanent, pelican.ClassTimeout, pelican.ClassMaxDeliveries}
	now := time.Now().UnixMilli()
	for start := 0; start < benchEntries; start += 1000 {
		_, err := rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i := start; i < start+1000; i++ {
				text := benchErrors[i%len(benchErrors)]
				var errText string
				if text == benchErrors[3] {
					errText = fmt.Sprintf(text, i, i%7)
				} else {
					errText = fmt.Sprintf(text, i)
				}
				p.XAdd(ctx, &redis.XAddArgs{Stream: key, Values: []any{
					"order", i, "customer", i % 977, "payload", `{"items":[{"sku":"A-1","qty":2}],"total":"19.90"}`,
					pelican.FieldOriginalID, fmt.Sprintf("%d-0", now-int64(benchEntries-i)),
					pelican.FieldOriginalStream, fmt.Sprint("stream-", i%3),
					pelican.FieldGroup, fmt.Sprint("group-", i%4),
					pelican.FieldConsumer, "worker-1",
					pelican.FieldDeliveries, 3,
					pelican.FieldFirstFailure, now - 60_000,
					pelican.FieldLastFailure, now,
					pelican.FieldError, errText,
					pelican.FieldErrorClass, classes[i%len(classes)],
					pelican.FieldRedrives, 0,
					pelican.FieldDeadAt, now,
				}})
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// benchBackends are the servers the benchmarks run on: the embedded
// engine in process, Pelican served over loopback TCP, and a real
// redis-server 7 over loopback TCP.
var benchBackends = []struct {
	name string
	open func(b *testing.B) *pelican.Client
}{
	{"embedded", func(b *testing.B) *pelican.Client {
		c, err := embedded.New(pelican.Options{Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { c.Close() })
		return c
	}},
	{"pelican-tcp", func(b *testing.B) *pelican.Client {
		p := pelicantest.StartPelican(b, engine.Config{})
		c := pelican.New(redis.NewClient(&redis.Options{Addr: p.Addr}), pelican.Options{Logger: slog.New(slog.DiscardHandler)})
		b.Cleanup(func() { c.Close() })
		return c
	}},
	{"redis7-tcp", func(b *testing.B) *pelican.Client {
		r := redistest.StartRedis(b)
		c := pelican.New(redis.NewClient(&redis.Options{Addr: r.Addr}), pelican.Options{Logger: slog.New(slog.DiscardHandler)})
		b.Cleanup(func() { c.Close() })
		return c
	}},
}

// BenchmarkInsight measures Stats and Failures (fingerprint grouping) of
// a dead-letter stream of 100k entries, per call; for comparison, the
// bare reading of every entry (XRangeAll) and a page of List.
func BenchmarkInsight(b *testing.B) {
	for _, be := range benchBackends {
		b.Run(be.name, func(b *testing.B) {
			c := be.open(b)
			benchDLQ(b, c.Redis(), "bench:dlq")
			q := dlq.Open(c, "bench:dlq")
			ctx := context.Background()
			// The floor: reading every entry with XRANGE in pages of 1000
			// through go-redis, doing nothing with them.
			b.Run("XRangeAll", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					n, start := 0, "-"
					for {
						msgs, err := c.Redis().XRangeN(ctx, "bench:dlq", start, "+", 1000).Result()
						if err != nil {
							b.Fatal(err)
						}
						n += len(msgs)
						if len(msgs) < 1000 {
							break
						}
						start = "(" + msgs[len(msgs)-1].ID
					}
					if n != benchEntries {
						b.Fatalf("read %d entries", n)
					}
				}
			})
			b.Run("Stats", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					st, err := q.Stats(ctx)
					if err != nil || st.Count != benchEntries {
						b.Fatalf("Stats: %d entries, %v", st.Count, err)
					}
				}
			})
			b.Run("Failures", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					g, err := q.Failures(ctx, dlq.Selector{All: true})
					if err != nil || len(g) != len(benchErrors) {
						b.Fatalf("Failures: %d groups, %v", len(g), err)
					}
				}
			})
			b.Run("FailuresOfOneGroup", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					g, err := q.Failures(ctx, dlq.Selector{Group: "group-1"})
					if err != nil || len(g) != len(benchErrors)/4 {
						b.Fatalf("Failures: %d groups, %v", len(g), err)
					}
				}
			})
			b.Run("List100", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					es, _, err := q.List(ctx, dlq.Selector{All: true}, dlq.ListOptions{Reverse: true})
					if err != nil || len(es) != 100 {
						b.Fatalf("List: %d entries, %v", len(es), err)
					}
				}
			})
		})
	}
}
