package monitor

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/pelicanhq/pelican"
	"github.com/pelicanhq/pelican/embedded"
	"github.com/pelicanhq/pelican/engine"
	"github.com/pelicanhq/pelican/internal/backendtest"
	"github.com/pelicanhq/pelican/internal/pelicantest"
	"github.com/pelicanhq/pelican/internal/redistest"
)

// The cost of one scrape of a stream of 1M entries whose group holds 100k
// pending messages (4 consumers of 25k, all Pelican workers with
// heartbeats), with a second group that is up to date and a dead-letter
// stream of 1,000 entries. Each backend is filled once per benchmark run
// (a few seconds), before the timer starts.
//
//	go test -run '^$' -bench 'Scrape' -benchtime 20x -count 3 ./monitor/

const (
	benchEntries   = 1_000_000
	benchPending   = 100_000
	benchConsumers = 4
)

// benchBackend opens a server for the benchmark.
type benchBackend struct {
	name string
	open func(b *testing.B) *pelican.Client
}

var benchBackends = []benchBackend{
	{"embedded", func(b *testing.B) *pelican.Client {
		c, err := embedded.New(pelican.Options{Logger: backendtest.Quiet()})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { c.Close() })
		return c
	}},
	{"pelican-tcp", func(b *testing.B) *pelican.Client {
		p := pelicantest.StartPelican(b, engine.Config{})
		return tcpClient(b, p.Addr)
	}},
	{"redis7-tcp", func(b *testing.B) *pelican.Client {
		r := redistest.StartRedis(b)
		return tcpClient(b, r.Addr)
	}},
}

func tcpClient(b *testing.B, addr string) *pelican.Client {
	c := pelican.New(redis.NewClient(&redis.Options{Addr: addr}), pelican.Options{Logger: backendtest.Quiet()})
	b.Cleanup(func() { c.Close() })
	return c
}

// fillBench builds the benchmark's state in stream "bench".
func fillBench(b *testing.B, c *pelican.Client) {
	b.Helper()
	ctx := context.Background()
	rdb := c.Redis()
	const batch = 10_000
	for i := 0; i < benchEntries; i += batch {
		_, err := rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for j := i; j < i+batch; j++ {
				p.XAdd(ctx, &redis.XAddArgs{Stream: "bench", Values: []any{"n", j, "payload", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}})
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	mustDo(b, rdb, "XGROUP", "CREATE", "bench", "g", "0")
	mustDo(b, rdb, "XGROUP", "CREATE", "bench", "done", "$")
	now := time.Now().UnixMilli()
	for i := range benchConsumers {
		name := "worker-" + strconv.Itoa(i)
		mustDo(b, rdb, "XREADGROUP", "GROUP", "g", name, "COUNT", benchPending/benchConsumers, "STREAMS", "bench", ">")
		mustDo(b, rdb, "HSET", "bench:pelican:workers:g", name, now)
		mustDo(b, rdb, "HSET", "bench:pelican:stats:g", name, "1|1000|10|1|0|0|0|0|7")
	}
	_, err := rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for j := range 1000 {
			p.XAdd(ctx, &redis.XAddArgs{Stream: "bench:dlq", Values: []any{"n", j, "pelican:error", "boom"}})
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	st, err := Stats(ctx, c, "bench", Options{})
	if err != nil {
		b.Fatal(err)
	}
	if g, _ := st.Group("g"); st.Length != benchEntries || g.Pending != benchPending {
		b.Fatalf("built %d entries, %d pending", st.Length, g.Pending)
	}
}

func mustDo(b *testing.B, rdb redis.UniversalClient, args ...any) {
	b.Helper()
	if err := rdb.Do(context.Background(), args...).Err(); err != nil {
		b.Fatalf("%v: %v", args, err)
	}
}

// BenchmarkScrape measures Monitor.Stats and a Prometheus scrape
// (Registry.Gather of a Collector) per backend, with the default delivery
// sample and others.
func BenchmarkScrape(b *testing.B) {
	for _, be := range benchBackends {
		b.Run(be.name, func(b *testing.B) {
			c := be.open(b)
			fillBench(b, c)
			ctx := context.Background()
			for _, sample := range []int64{DefaultDeliverySample, 1000, -1, 100_000} {
				name := fmt.Sprintf("sample=%d", sample)
				if sample < 0 {
					name = "sample=off"
				}
				b.Run("Stats/"+name, func(b *testing.B) {
					m := New(c, Options{DeliverySample: sample})
					b.ReportAllocs()
					lat := make([]time.Duration, 0, b.N)
					for b.Loop() {
						t0 := time.Now()
						if _, err := m.Stats(ctx, "bench"); err != nil {
							b.Fatal(err)
						}
						lat = append(lat, time.Since(t0))
					}
					reportMax(b, lat)
				})
			}
			b.Run("Collect", func(b *testing.B) {
				reg := prometheus.NewRegistry()
				reg.MustRegister(NewCollector(New(c, Options{}), "bench"))
				b.ReportAllocs()
				lat := make([]time.Duration, 0, b.N)
				for b.Loop() {
					t0 := time.Now()
					mfs, err := reg.Gather()
					if err != nil || len(mfs) == 0 {
						b.Fatal(err)
					}
					lat = append(lat, time.Since(t0))
				}
				reportMax(b, lat)
			})
		})
	}
}

// reportMax adds the slowest and the 90th-percentile iteration to the
// report: a scrape must stay cheap every time, not only on average.
func reportMax(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)-1].Microseconds())/1000, "max-ms")
	b.ReportMetric(float64(lat[len(lat)*9/10].Microseconds())/1000, "p90-ms")
}

// BenchmarkScrapeCommands measures, on the same state, each command a
// scrape sends, alone: where the time of a scrape goes on each server.
func BenchmarkScrapeCommands(b *testing.B) {
	for _, be := range benchBackends {
		b.Run(be.name, func(b *testing.B) {
			c := be.open(b)
			fillBench(b, c)
			ctx := context.Background()
			rdb := c.Redis()
			first, err := rdb.XRangeN(ctx, "bench", "-", "+", 1).Result()
			if err != nil {
				b.Fatal(err)
			}
			cmds := []struct {
				name string
				args []any
			}{
				{"XINFO_STREAM", []any{"XINFO", "STREAM", "bench"}},
				{"XINFO_GROUPS", []any{"XINFO", "GROUPS", "bench"}},
				{"XINFO_CONSUMERS", []any{"XINFO", "CONSUMERS", "bench", "g"}},
				{"XPENDING_-_+_10000", []any{"XPENDING", "bench", "g", "-", "+", DefaultDeliverySample}},
				{"XPENDING_-_(first_10000", []any{"XPENDING", "bench", "g", "-", "(" + first[0].ID, DefaultGhostLimit}},
				{"XPENDING_summary", []any{"XPENDING", "bench", "g"}},
				{"HGETALL_workers", []any{"HGETALL", "bench:pelican:workers:g"}},
			}
			for _, cmd := range cmds {
				b.Run(cmd.name, func(b *testing.B) {
					for b.Loop() {
						if err := rdb.Do(ctx, cmd.args...).Err(); err != nil {
							b.Fatal(err)
						}
					}
				})
			}
		})
	}
}
