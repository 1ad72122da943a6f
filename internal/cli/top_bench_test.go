package cli

import (
	"context"
	"fmt"
	"strconv"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/pelicanhq/pelican"
	"github.com/pelicanhq/pelican/embedded"
	"github.com/pelicanhq/pelican/internal/backendtest"
	"github.com/pelicanhq/pelican/internal/redistest"
)

// fillTopBench makes streams streams of entries entries each, with a
// group whose two consumers hold pending of them.
func fillTopBench(b *testing.B, rdb redis.UniversalClient, streams, entries, pending int) {
	b.Helper()
	ctx := context.Background()
	for s := range streams {
		key := "bench-" + strconv.Itoa(s)
		for done := 0; done < entries; done += 10_000 {
			_, err := rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
				for i := done; i < min(done+10_000, entries); i++ {
					p.XAdd(ctx, &redis.XAddArgs{Stream: key, Values: []string{"n", strconv.Itoa(i)}})
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
		}
		if err := rdb.XGroupCreate(ctx, key, "g", "0").Err(); err != nil {
			b.Fatal(err)
		}
		for _, w := range []string{"w1", "w2"} {
			if err := rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "g", Consumer: w, Streams: []string{key, ">"}, Count: int64(pending / 2)}).Err(); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkTopRefresh measures one refresh of top (every stream read, no
// discovery) on a redis-server and on the embedded engine: many small
// streams, and one stream with a large pending list.
func BenchmarkTopRefresh(b *testing.B) {
	shapes := []struct{ streams, entries, pending int }{
		{100, 1000, 100},
		{1, 1_000_000, 100_000},
	}
	backends := []struct {
		name string
		open func(b *testing.B) *pelican.Client
	}{
		{"redis", func(b *testing.B) *pelican.Client {
			r := redistest.StartRedis(b)
			return pelican.New(redis.NewClient(&redis.Options{Addr: r.Addr}), pelican.Options{Logger: backendtest.Quiet()})
		}},
		{"embedded", func(b *testing.B) *pelican.Client {
			c, err := embedded.New(pelican.Options{Logger: backendtest.Quiet()})
			if err != nil {
				b.Fatal(err)
			}
			return c
		}},
	}
	for _, be := range backends {
		for _, sh := range shapes {
			b.Run(fmt.Sprintf("%s/streams=%d/entries=%d/pending=%d", be.name, sh.streams, sh.entries, sh.pending), func(b *testing.B) {
				c := be.open(b)
				defer c.Close()
				fillTopBench(b, c.Redis(), sh.streams, sh.entries, sh.pending)
				s := newTopSampler(c, nil)
				ctx := context.Background()
				if _, err := s.sample(ctx, topRequest{}); err != nil { // discovery
					b.Fatal(err)
				}
				b.ReportAllocs()
				for b.Loop() {
					snap, err := s.sample(ctx, topRequest{})
					if err != nil || len(snap.streams) != sh.streams {
						b.Fatalf("refresh: %v", err)
					}
				}
			})
		}
	}
}
