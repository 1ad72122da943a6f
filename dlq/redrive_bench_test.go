package dlq

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pelicanhq/pelican"
	"github.com/pelicanhq/pelican/embedded"
	"github.com/pelicanhq/pelican/internal/backendtest"
	"github.com/pelicanhq/pelican/internal/redistest"
)

// redriveBenchBackends are the servers the redrive benchmarks run on: the
// embedded engine (with XADD IDMP), the same forced onto the Redis 7
// paths, and a private redis-server 7 over loopback TCP.
var redriveBenchBackends = []struct {
	name string
	open func(b *testing.B) *pelican.Client
}{
	{"embedded", func(b *testing.B) *pelican.Client { return openRedriveBenchEmbedded(b, false) }},
	{"embedded-fallbacks", func(b *testing.B) *pelican.Client { return openRedriveBenchEmbedded(b, true) }},
	{"redis7", func(b *testing.B) *pelican.Client {
		r := redistest.StartRedis(b)
		c := pelican.New(redis.NewClient(&redis.Options{Addr: r.Addr}), pelican.Options{Logger: backendtest.Quiet()})
		b.Cleanup(func() { c.Close() })
		return c
	}},
}

func openRedriveBenchEmbedded(b *testing.B, fallbacks bool) *pelican.Client {
	c, err := embedded.New(pelican.Options{ForceFallbacks: fallbacks, Logger: backendtest.Quiet()})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	return c
}

// fillRedriveBench empties stream (keeping its group g) and adds n dead letters
// of it to its dead-letter stream, in pipelines of 1000.
func fillRedriveBench(b *testing.B, rdb redis.UniversalClient, stream string, n int) {
	b.Helper()
	ctx := context.Background()
	rdb.Del(ctx, stream)
	if err := rdb.XGroupCreateMkStream(ctx, stream, "g", "$").Err(); err != nil {
		b.Fatal(err)
	}
	for from := 0; from < n; from += 1000 {
		_, err := rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i := from; i < min(from+1000, n); i++ {
				p.XAdd(ctx, &redis.XAddArgs{Stream: stream + ":dlq", Values: []any{
					"n", i, "payload", `{"order":` + strconv.Itoa(i) + `,"sku":"ABC-123","qty":2}`,
					pelican.FieldOriginalID, "1-1", pelican.FieldOriginalStream, stream, pelican.FieldGroup, "g",
					pelican.FieldConsumer, "w1", pelican.FieldDeliveries, 3, pelican.FieldFirstFailure, 1, pelican.FieldLastFailure, 2,
					pelican.FieldError, "order " + strconv.Itoa(i) + " not found", pelican.FieldErrorClass, pelican.ClassHandler,
					pelican.FieldRedrives, 0, pelican.FieldDeadAt, 3,
				}})
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRedrive measures redrive at full speed: each iteration sends
// 10,000 dead letters back to their stream, counting, checks and
// checkpoint included. The msgs/s metric is the throughput.
func BenchmarkRedrive(b *testing.B) {
	const n = 10_000
	for _, be := range redriveBenchBackends {
		for _, batch := range []int{100, 500} {
			b.Run(be.name+"/batch="+strconv.Itoa(batch), func(b *testing.B) {
				c := be.open(b)
				q := ForStream(c, "bench")
				ctx := context.Background()
				b.ReportAllocs()
				b.ResetTimer()
				for range b.N {
					b.StopTimer()
					fillRedriveBench(b, c.Redis(), "bench", n)
					b.StartTimer()
					j, err := q.Redrive(ctx, Selector{All: true}, RedriveOptions{BatchSize: batch})
					if err != nil {
						b.Fatal(err)
					}
					p, err := j.Wait(ctx)
					if err != nil || p.Moved != n {
						b.Fatalf("progress %+v, %v", p, err)
					}
				}
				b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "msgs/s")
			})
		}
	}
}

// BenchmarkRedriveRate measures how closely a rate-limited redrive keeps
// to its rate: 4,000 messages at 2,000 per second. The rate/target metric
// is the achieved rate over the target (1 is exact; below 1, slower).
func BenchmarkRedriveRate(b *testing.B) {
	const n, target = 4000, 2000.0
	for _, be := range redriveBenchBackends {
		b.Run(be.name, func(b *testing.B) {
			c := be.open(b)
			q := ForStream(c, "bench")
			ctx := context.Background()
			var ratio float64
			for range b.N {
				b.StopTimer()
				fillRedriveBench(b, c.Redis(), "bench", n)
				b.StartTimer()
				start := time.Now()
				j, err := q.Redrive(ctx, Selector{All: true}, RedriveOptions{Rate: target})
				if err != nil {
					b.Fatal(err)
				}
				p, err := j.Wait(ctx)
				if err != nil || p.Moved != n {
					b.Fatalf("progress %+v, %v", p, err)
				}
				ratio += float64(n) / time.Since(start).Seconds() / target
			}
			b.ReportMetric(ratio/float64(b.N), "rate/target")
		})
	}
}
