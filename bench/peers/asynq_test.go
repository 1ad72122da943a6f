package main

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/pelicanhq/pelican/engine"
	"github.com/pelicanhq/pelican/internal/pelicantest"
)

// TestAsynqOnPelicanServer runs asynq's client, server and inspector
// against pelican server: tasks processed (one retried, one scheduled),
// and a running task cancelled through asynq's pub/sub channel. It lives
// in this module so that Pelican's own module does not depend on asynq.
func TestAsynqOnPelicanServer(t *testing.T) {
	p := pelicantest.StartPelican(t, engine.Config{})
	ctx := context.Background()
	newClient := func() *redis.Client {
		rdb := redis.NewClient(&redis.Options{Addr: p.Addr})
		t.Cleanup(func() { rdb.Close() })
		return rdb
	}
	client := asynq.NewClientFromRedisClient(newClient())

	const n = 20
	var mu sync.Mutex
	seen := map[string]int{}
	started := make(chan string, 1)
	cancelled := make(chan error, 1)
	srv := asynq.NewServerFromRedisClient(newClient(), asynq.Config{
		Concurrency:              4,
		DelayedTaskCheckInterval: 100 * time.Millisecond,
		RetryDelayFunc:           func(int, error, *asynq.Task) time.Duration { return 10 * time.Millisecond },
		Logger:                   nopLogger{},
		LogLevel:                 asynq.FatalLevel,
	})
	mux := asynq.NewServeMux()
	mux.HandleFunc("noop", func(ctx context.Context, task *asynq.Task) error {
		mu.Lock()
		defer mu.Unlock()
		seen[string(task.Payload())]++
		if string(task.Payload()) == "3" && seen["3"] == 1 {
			return errors.New("failing once")
		}
		return nil
	})
	mux.HandleFunc("wait", func(ctx context.Context, task *asynq.Task) error {
		id, _ := asynq.GetTaskID(ctx)
		started <- id
		<-ctx.Done()
		cancelled <- ctx.Err()
		return ctx.Err()
	})
	if err := srv.Start(mux); err != nil {
		t.Fatalf("starting the asynq server: %v", err)
	}
	defer srv.Shutdown()

	for i := range n {
		var opts []asynq.Option
		if i == 5 {
			opts = append(opts, asynq.ProcessIn(300*time.Millisecond))
		}
		if _, err := client.EnqueueContext(ctx, asynq.NewTask("noop", []byte(strconv.Itoa(i))), opts...); err != nil {
			t.Fatalf("enqueueing task %d: %v", i, err)
		}
	}
	done := func() bool {
		mu.Lock()
		defer mu.Unlock()
		for i := range n {
			if seen[strconv.Itoa(i)] == 0 {
				return false
			}
		}
		return true
	}
	for deadline := time.Now().Add(20 * time.Second); !done(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			mu.Lock()
			t.Fatalf("tasks processed after 20 s: %v", seen)
		}
	}
	mu.Lock()
	if seen["3"] != 2 {
		t.Errorf("the failing task ran %d times, want 2 (one retry)", seen["3"])
	}
	mu.Unlock()

	// Cancellation goes from the inspector to the server through PUBLISH
	// and the server's SUBSCRIBE.
	if _, err := client.EnqueueContext(ctx, asynq.NewTask("wait", nil)); err != nil {
		t.Fatalf("enqueueing the task to cancel: %v", err)
	}
	var id string
	select {
	case id = <-started:
	case <-time.After(10 * time.Second):
		t.Fatal("the task to cancel did not start")
	}
	// The server subscribes in the background: wait until it has.
	check := newClient()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		list, err := check.Do(ctx, "CLIENT", "LIST", "TYPE", "pubsub").Text()
		if err != nil {
			t.Fatalf("CLIENT LIST TYPE pubsub: %v", err)
		}
		if list != "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the asynq server did not subscribe to its cancellation channel")
		}
	}
	insp := asynq.NewInspectorFromRedisClient(newClient())
	if err := insp.CancelProcessing(id); err != nil {
		t.Fatalf("CancelProcessing: %v", err)
	}
	select {
	case err := <-cancelled:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("the handler's context ended with %v, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the running task was not cancelled")
	}
}
