package pelican_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pelicanhq/pelican"
	"github.com/pelicanhq/pelican/internal/await"
	"github.com/pelicanhq/pelican/internal/backendtest"
)

// Two workers left with the default consumer name, in one process (as
// on one host), get names of their own: no message is handled twice.
func TestDefaultConsumerNamesAreUnique(t *testing.T) {
	backendtest.Each(t, func(t *testing.T, c *pelican.Client) {
		const n = 200
		ids := publishN(t, c, "s", n)
		var mu sync.Mutex
		runs := map[string]int{}
		h := pelican.HandlerFunc(func(ctx context.Context, m *pelican.Message) error {
			mu.Lock()
			runs[m.ID]++
			mu.Unlock()
			time.Sleep(time.Millisecond)
			return nil
		})
		var workers []*pelican.Worker
		for range 2 {
			cfg := fastConfig("s", h)
			cfg.Consumer = ""
			w, _ := runWorker(t, c, cfg)
			workers = append(workers, w)
		}
		a, b := workers[0].Consumer(), workers[1].Consumer()
		host, _ := os.Hostname()
		if a == b || !strings.HasPrefix(a, fmt.Sprintf("%s-%d", host, os.Getpid())) {
			t.Errorf("default consumer names %q and %q; want two names starting with <host>-<pid>", a, b)
		}
		await.True(t, "every message is processed", func() bool {
			return workers[0].Stats().Processed+workers[1].Stats().Processed == n
		})
		mu.Lock()
		defer mu.Unlock()
		for _, id := range ids {
			if runs[id] != 1 {
				t.Errorf("message %s handled %d times, want once", id, runs[id])
			}
		}
	})
}

// A worker refuses to start under a name a live worker holds, with an
// error that says what to do; once that worker has stopped, the name is
// free.
func TestLiveConsumerNameIsRefused(t *testing.T) {
	backendtest.Each(t, func(t *testing.T, c *pelican.Client) {
		h := pelican.HandlerFunc(func(ctx context.Context, m *pelican.Message) error { return nil })
		first, stop := runWorker(t, c, fastConfig("s", h))
		await.True(t, "the first worker beats", func() bool {
			ws, err := c.Workers(context.Background(), "s", "g")
			return err == nil && len(ws) == 1 && ws[0].Alive
		})
		second, err := c.NewWorker(fastConfig("s", h))
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		err = second.Run(ctx)
		if !errors.Is(err, pelican.ErrConsumerInUse) {
			t.Fatalf("Run under a live worker's name = %v, want ErrConsumerInUse", err)
		}
		for _, want := range []string{`"w1"`, fmt.Sprintf("pid %d", os.Getpid()), "own Consumer name", "leave Consumer empty"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("the error %q does not say %q", err, want)
			}
		}
		if first.Stats().Processed != 0 {
			t.Error("the first worker processed something out of nowhere")
		}
		stop()
		ws, err := c.Workers(context.Background(), "s", "g")
		if err != nil || len(ws) != 1 || ws[0].Alive {
			t.Errorf("after the first worker stopped, Workers = %+v, %v; want it listed, not alive", ws, err)
		}
		third, stop3 := runWorker(t, c, fastConfig("s", h))
		publishN(t, c, "s", 3)
		await.True(t, "the worker under the freed name processes", func() bool { return third.Stats().Processed == 3 })
		stop3()
	})
}

// A worker whose process is gone gives up its name at once to a worker
// of the same host, however fresh its last heartbeat: a supervisor's
// restart replays the dead worker's messages right away.
func TestDeadProcessNameIsTakenAtOnce(t *testing.T) {
	backendtest.Each(t, func(t *testing.T, c *pelican.Client) {
		ctx := context.Background()
		// A process that has exited: its PID is free.
		cmd := exec.Command("true")
		if err := cmd.Run(); err != nil {
			t.Skip("no true(1) to get a dead PID from:", err)
		}
		host, _ := os.Hostname()
		ns, _ := os.Readlink("/proc/self/ns/pid")
		if ns == "" {
			t.Skip("no PID namespace to probe processes in")
		}
		rdb := c.Redis()
		rdb.XGroupCreateMkStream(ctx, "s", "g", "0")
		ids := publishN(t, c, "s", 2)
		rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "g", Consumer: "w1", Streams: []string{"s", ">"}, Count: 2, Block: -1})
		beat := fmt.Sprintf("2|%d|%d|%d|%s|deadbeef|run|%s", time.Now().UnixMilli(), 60_000, cmd.Process.Pid, ns, host)
		rdb.HSet(ctx, "s:pelican:workers:g", "w1", beat)
		var handled sync.Map
		w, stop := runWorker(t, c, fastConfig("s", pelican.HandlerFunc(func(ctx context.Context, m *pelican.Message) error {
			handled.Store(m.ID, true)
			return nil
		})))
		await.True(t, "the dead worker's messages are replayed", func() bool { return w.Stats().Processed == 2 })
		stop()
		for _, id := range ids {
			if _, ok := handled.Load(id); !ok {
				t.Errorf("%s was not replayed", id)
			}
		}
	})
}
