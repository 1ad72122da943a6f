package server_test

import (
	"context"
	"strconv"
	"sync"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/pelicanhq/pelican/engine"
)

// TestAlwaysSharesFsyncs runs 50 clients writing at once with
// appendfsync always: every reply waits for an fsync covering its write,
// and concurrent writers share them, so there are far fewer fsyncs than
// writes.
func TestAlwaysSharesFsyncs(t *testing.T) {
	addr, eng := startServer(t, engine.Config{Persistence: engine.Persistence{Dir: t.TempDir(), AppendFsync: "always"}})
	ctx := context.Background()
	const clients, each = 50, 20
	before := eng.Fsyncs()
	var wg sync.WaitGroup
	for i := range clients {
		c := newClient(t, addr)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range each {
				if err := c.XAdd(ctx, &redis.XAddArgs{Stream: "s", Values: []any{"n", strconv.Itoa(i*each + j)}}).Err(); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	fsyncs := eng.Fsyncs() - before
	t.Logf("%d writes, %d fsyncs", clients*each, fsyncs)
	if fsyncs == 0 {
		t.Fatal("no fsync under appendfsync always")
	}
	if fsyncs > clients*each/2 {
		t.Errorf("%d fsyncs for %d writes from %d clients: writers do not share fsyncs", fsyncs, clients*each, clients)
	}
}
