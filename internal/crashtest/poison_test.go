package crashtest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pelicanhq/pelican"
)

// TestPoisonMessageKillsOnlyItself publishes a batch with one message
// whose handler kills the worker process every time (SIGKILL, as a crash
// in a C library or the OOM killer would), and restarts the worker each
// time it dies: under the same consumer name (it replays its own pending
// messages) or with the default name (the new worker takes over the dead
// one's messages). Whatever the batch size, only the poison message
// reaches the dead-letter stream, after MaxDeliveries attempts of its own,
// and every other message is processed: none is charged for the crashes
// it sat through. It runs on Pelican's server with its newest commands
// and forced onto the Redis 7 fallbacks, and on redis-server 7.
func TestPoisonMessageKillsOnlyItself(t *testing.T) {
	servers := []struct {
		name      string
		start     func(t *testing.T) string
		fallbacks bool
	}{
		{"pelican-server", startPelicanServer, false},
		{"pelican-server-fallbacks", startPelicanServer, true},
		{"redis7", backends[1].start, false},
	}
	for _, srv := range servers {
		for _, batch := range []int{1, 8, 64} {
			for _, name := range []string{"w1", ""} {
				naming := "same-name"
				if name == "" {
					naming = "default-name"
				}
				t.Run(fmt.Sprintf("%s/batch%d/%s", srv.name, batch, naming), func(t *testing.T) {
					t.Parallel()
					poisonRun(t, srv.start(t), batch, name, srv.fallbacks)
				})
			}
		}
	}
}

func poisonRun(t *testing.T, addr string, batch int, name string, fallbacks bool) {
	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	t.Cleanup(func() { rdb.Close() })
	keys := Keys{Stream: "poison"}
	const total, poison = 21, 10
	msgs := make([]map[string]string, total)
	for n := range msgs {
		kind := KindOK
		if n == poison {
			kind = KindPoison
		}
		msgs[n] = map[string]string{FieldN: strconv.Itoa(n), FieldKind: string(kind)}
	}
	ids, err := pelican.New(rdb, pelican.Options{}).PublishBatch(ctx, keys.Stream, msgs, nil)
	if err != nil {
		t.Fatal(err)
	}
	spec := workerSpec{addr: addr, stream: keys.Stream, group: "g", logDir: t.TempDir(), batch: batch, fallbacks: fallbacks}
	settled := func() bool {
		effects, _ := rdb.HLen(ctx, keys.Effects()).Result()
		dead, _ := rdb.XLen(ctx, keys.DeadLetters()).Result()
		p, err := rdb.XPending(ctx, keys.Stream, "g").Result()
		return err == nil && effects == total-1 && dead == 1 && p.Count == 0
	}
	deaths := 0
	for run := 0; ; run++ {
		if run > 2*MaxDeliveries {
			t.Fatalf("not settled after %d runs of the worker", run)
		}
		w, err := startWorker(t, spec, 0, name)
		if err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(20 * time.Second)
		for !settled() && !w.hasExited() {
			if time.Now().After(deadline) {
				w.kill()
				log, _ := os.ReadFile(filepath.Join(spec.logDir, "slot0.log"))
				t.Fatalf("run %d: neither settled nor dead after 20s; output:\n%s\nlog:\n%s", run, w.out, log)
			}
			time.Sleep(10 * time.Millisecond)
		}
		if !w.hasExited() {
			if !w.waitReady(10*time.Second) || !w.terminate(10*time.Second) {
				t.Errorf("the last worker did not stop on SIGTERM; output:\n%s", w.out)
			}
			break
		}
		deaths++
		if w.err == nil || w.err.Error() != "signal: killed" {
			t.Fatalf("run %d: the worker exited with %v, not killed by the poison message; output:\n%s", run, w.err, w.out)
		}
	}
	if deaths != MaxDeliveries {
		t.Errorf("the poison message killed %d workers, want MaxDeliveries (%d)", deaths, MaxDeliveries)
	}
	calls, _ := rdb.HGetAll(ctx, keys.Calls()).Result()
	if got := calls[strconv.Itoa(poison)]; got != strconv.Itoa(MaxDeliveries) {
		t.Errorf("the poison message was handled %s times, want %d", got, MaxDeliveries)
	}
	dead, err := rdb.XRange(ctx, keys.DeadLetters(), "-", "+").Result()
	if err != nil || len(dead) != 1 {
		t.Fatalf("dead letters %v, %v: want the poison message alone", dead, err)
	}
	v := dead[0].Values
	if v[pelican.FieldOriginalID] != ids[poison] || v[pelican.FieldErrorClass] != pelican.ClassCrash || v[pelican.FieldDeliveries] != strconv.Itoa(MaxDeliveries) {
		t.Errorf("dead letter %v: want %s, class %s, %d deliveries", v, ids[poison], pelican.ClassCrash, MaxDeliveries)
	}
}
