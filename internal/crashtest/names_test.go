package crashtest

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pelicanhq/pelican"
)

// TestDefaultNamesInTwoProcesses runs two worker processes on one host
// with the default consumer name: they take names of their own (the host
// and their PIDs), and no message is handled twice.
func TestDefaultNamesInTwoProcesses(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			addr := b.start(t)
			rdb := redis.NewClient(&redis.Options{Addr: addr})
			t.Cleanup(func() { rdb.Close() })
			keys := Keys{Stream: "names"}
			spec := workerSpec{addr: addr, stream: keys.Stream, group: "g", logDir: t.TempDir()}
			var workers []*worker
			for slot := range 2 {
				w, err := startWorker(t, spec, slot, "")
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(w.kill)
				workers = append(workers, w)
			}
			const total = 500
			msgs := make([]map[string]string, total)
			for n := range msgs {
				msgs[n] = map[string]string{FieldN: strconv.Itoa(n), FieldKind: string(KindOK)}
			}
			if _, err := pelican.New(rdb, pelican.Options{}).PublishBatch(ctx, keys.Stream, msgs, nil); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(20 * time.Second)
			for {
				n, _ := rdb.HLen(ctx, keys.Effects()).Result()
				p, err := rdb.XPending(ctx, keys.Stream, "g").Result()
				if n == total && err == nil && p.Count == 0 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("%d of %d messages processed after 20s", n, total)
				}
				time.Sleep(10 * time.Millisecond)
			}
			calls, err := rdb.HGetAll(ctx, keys.Calls()).Result()
			if err != nil {
				t.Fatal(err)
			}
			for n := range total {
				if c := calls[strconv.Itoa(n)]; c != "1" {
					t.Errorf("message %d handled %s times, want once", n, c)
				}
			}
			consumers, err := rdb.XInfoConsumers(ctx, keys.Stream, "g").Result()
			if err != nil || len(consumers) != 2 {
				t.Fatalf("consumers %+v, %v: want one per process", consumers, err)
			}
			for _, w := range workers {
				if !w.waitReady(10*time.Second) || !w.terminate(10*time.Second) {
					t.Errorf("a worker did not stop on SIGTERM; output:\n%s", w.out)
				}
			}
		})
	}
}
