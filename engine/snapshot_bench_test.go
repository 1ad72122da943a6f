package engine

import (
	"fmt"
	"io"
	"testing"

	"github.com/pelicanhq/pelican/stream"
)

// benchStreamEngine returns an engine holding one stream of n entries and
// a group with pending entries spread over ten consumers.
func benchStreamEngine(b *testing.B, n, pending int) *Engine {
	e := New(Config{})
	b.Cleanup(func() { e.Close() })
	s := stream.New()
	fv := [][]byte{[]byte("payload"), []byte("0123456789")}
	for i := 1; i <= n; i++ {
		if err := s.Append(stream.ID{Ms: uint64(i)}, fv, stream.DefaultLimits); err != nil {
			b.Fatal(err)
		}
	}
	g := s.CreateGroup([]byte("workers"), stream.ID{}, 0)
	var cs []*stream.Consumer
	for i := range 10 {
		c, _ := g.LookupOrCreateConsumer([]byte(fmt.Sprint("consumer-", i)), 1)
		cs = append(cs, c)
	}
	for i := 1; i <= pending; i++ {
		g.Deliver(stream.ID{Ms: uint64(i)}, cs[i%len(cs)], int64(i))
	}
	e.mu.Lock()
	e.addLocked(e.dbs[0], []byte("big"), &object{kind: kindStream, stream: s})
	e.mu.Unlock()
	return e
}

// BenchmarkSnapshotLocked1M measures the part of a save done under the
// engine lock for a stream of 1M entries with 100k pending entries.
func BenchmarkSnapshotLocked1M(b *testing.B) {
	e := benchStreamEngine(b, 1_000_000, 100_000)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		e.mu.Lock()
		e.snapshotLocked()
		e.mu.Unlock()
	}
}

// BenchmarkWriteRDB1M measures writing that snapshot (without the lock).
func BenchmarkWriteRDB1M(b *testing.B) {
	e := benchStreamEngine(b, 1_000_000, 100_000)
	e.mu.Lock()
	snap := e.snapshotLocked()
	e.mu.Unlock()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if err := snap.writeRDB(io.Discard, false); err != nil {
			b.Fatal(err)
		}
	}
}
