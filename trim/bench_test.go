package trim

import (
	"context"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/pelicanhq/pelican"
	"github.com/pelicanhq/pelican/embedded"
	"github.com/pelicanhq/pelican/internal/backendtest"
	"github.com/pelicanhq/pelican/internal/redistest"
)

// The cost of one safe trim of a stream of 1M entries:
//
//   - Steady: the group keeps up; since the last run 10k entries were
//     added, delivered and acknowledged, and the run removes 10k.
//   - Behind: the group holds the oldest 100k entries pending; a run
//     with MaxLen 900k removes nothing but scans 100k entries (the
//     default ScanLimit) to report them unprocessed.
//
// On servers with ACKED the benchmarks also time the XTRIM alone, with
// and without ACKED.
//
//	go test -run '^$' -bench 'Run' -benchtime 10x -count 3 ./trim/

const benchEntries = 1_000_000

var benchBackends = []struct {
	name string
	open func(b *testing.B) *pelican.Client
}{
	{"embedded", func(b *testing.B) *pelican.Client { return openEmbedded(b, false) }},
	{"embedded-fallbacks", func(b *testing.B) *pelican.Client { return openEmbedded(b, true) }},
	{"redis7-tcp", func(b *testing.B) *pelican.Client {
		r := redistest.StartRedis(b)
		c := pelican.New(redis.NewClient(&redis.Options{Addr: r.Addr}), pelican.Options{Logger: backendtest.Quiet()})
		b.Cleanup(func() { c.Close() })
		return c
	}},
}

func openEmbedded(b *testing.B, fallbacks bool) *pelican.Client {
	c, err := embedded.New(pelican.Options{Logger: backendtest.Quiet(), ForceFallbacks: fallbacks})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	return c
}

// addDelivered adds n entries to "bench" and has group "g" read and
// acknowledge them.
func addDelivered(b *testing.B, rdb redis.UniversalClient, n int) {
	b.Helper()
	ctx := context.Background()
	const batch = 10_000
	for i := 0; i < n; i += batch {
		cmds, err := rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for j := i; j < min(i+batch, n); j++ {
				p.XAdd(ctx, &redis.XAddArgs{Stream: "bench", Values: []any{"n", j, "payload", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}})
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		ids := make([]string, len(cmds))
		for k, cmd := range cmds {
			ids[k] = cmd.(*redis.StringCmd).Val()
		}
		if err := rdb.Do(ctx, "XREADGROUP", "GROUP", "g", "c", "COUNT", len(ids), "STREAMS", "bench", ">").Err(); err != nil {
			b.Fatal(err)
		}
		if err := rdb.XAck(ctx, "bench", "g", ids...).Err(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRun(b *testing.B) {
	ctx := context.Background()
	for _, be := range benchBackends {
		b.Run(be.name+"/steady", func(b *testing.B) {
			c := be.open(b)
			rdb := c.Redis()
			if err := rdb.XGroupCreateMkStream(ctx, "bench", "g", "$").Err(); err != nil {
				b.Fatal(err)
			}
			addDelivered(b, rdb, benchEntries)
			p := Policy{Stream: "bench", MaxLen: benchEntries, Safe: true}
			b.Run("Run", func(b *testing.B) {
				for b.Loop() {
					b.StopTimer()
					addDelivered(b, rdb, 10_000)
					b.StartTimer()
					r, err := Run(ctx, c, p)
					if err != nil || r.Removed != 10_000 {
						b.Fatalf("%+v, %v", r, err)
					}
				}
			})
			if caps, _ := c.Capabilities(ctx); caps.RefPolicies {
				// The server's part alone.
				b.Run("XTRIM_MAXLEN_1000000_ACKED", func(b *testing.B) {
					for b.Loop() {
						b.StopTimer()
						addDelivered(b, rdb, 10_000)
						b.StartTimer()
						if n, err := rdb.Do(ctx, "XTRIM", "bench", "MAXLEN", benchEntries, "ACKED").Int64(); err != nil || n != 10_000 {
							b.Fatal(n, err)
						}
					}
				})
				b.Run("XTRIM_MAXLEN_1000000", func(b *testing.B) {
					for b.Loop() {
						b.StopTimer()
						addDelivered(b, rdb, 10_000)
						b.StartTimer()
						if n, err := rdb.Do(ctx, "XTRIM", "bench", "MAXLEN", benchEntries).Int64(); err != nil || n != 10_000 {
							b.Fatal(n, err)
						}
					}
				})
			}
		})
		b.Run(be.name+"/behind", func(b *testing.B) {
			c := be.open(b)
			rdb := c.Redis()
			if err := rdb.XGroupCreateMkStream(ctx, "bench", "g", "$").Err(); err != nil {
				b.Fatal(err)
			}
			addDelivered(b, rdb, benchEntries)
			// The oldest 100k back in the PEL: move the group back and
			// read them again without acknowledging.
			if err := rdb.XGroupSetID(ctx, "bench", "g", "0").Err(); err != nil {
				b.Fatal(err)
			}
			if err := rdb.Do(ctx, "XREADGROUP", "GROUP", "g", "c", "COUNT", 100_000, "STREAMS", "bench", ">").Err(); err != nil {
				b.Fatal(err)
			}
			p := Policy{Stream: "bench", MaxLen: benchEntries - 100_000, Safe: true}
			b.Run("Run", func(b *testing.B) {
				for b.Loop() {
					r, err := Run(ctx, c, p)
					if err != nil || r.Removed != 0 || r.Unprocessed != 100_000 {
						b.Fatalf("%+v, %v", r, err)
					}
				}
			})
			if caps, _ := c.Capabilities(ctx); caps.RefPolicies {
				// The server's part alone.
				b.Run("XTRIM_MAXLEN_900000_ACKED", func(b *testing.B) {
					for b.Loop() {
						if n, err := rdb.Do(ctx, "XTRIM", "bench", "MAXLEN", benchEntries-100_000, "ACKED").Int64(); err != nil || n != 0 {
							b.Fatal(n, err)
						}
					}
				})
			}
		})
	}
}
