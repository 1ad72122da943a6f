package crashtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pelicanhq/pelican"
	"github.com/pelicanhq/pelican/internal/await"
)

// TestWorkerSurvivesServerRestartWithDir runs a producer and a worker of
// the processing library against `pelican server --dir --appendfsync
// everysec`, kills the server with SIGKILL while the worker is part way
// through, publishes more while it is down, and starts it again on the
// same directory and port. The worker, left running, must reconnect by
// itself and process every message whose publication was acknowledged:
// the killed server loses nothing it acknowledged, and the worker loses
// nothing it was holding.
func TestWorkerSurvivesServerRestartWithDir(t *testing.T) {
	const (
		n      = 500
		stream = "orders"
		group  = "billing"
	)
	dir := t.TempDir()
	srv := startDurableServer(t, dir, "everysec")
	addr := srv.addr
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Second)
	defer cancel()

	// Clients that do not retry by themselves: the outage is the
	// library's to wait out, and the producer's to retry.
	newRedis := func() *redis.Client {
		return redis.NewClient(&redis.Options{
			Addr: addr, MaxRetries: -1, DialTimeout: 200 * time.Millisecond,
			ReadTimeout: 2 * time.Second, WriteTimeout: time.Second,
		})
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))

	// The worker records every message it processes, by number. The
	// handlers of the second quarter wait for the kill, which comes once
	// every lane holds one: the server dies with messages in the
	// handlers' hands and more read but not started, whose
	// acknowledgements can only reach the restarted server.
	const concurrency = 4
	killed := make(chan struct{})
	var waiting atomic.Int64 // handlers waiting for the kill
	var (
		mu        sync.Mutex
		processed = map[int]int{} // number -> times processed
		distinct  atomic.Int64
		unknown   []string
	)
	handler := pelican.HandlerFunc(func(ctx context.Context, m *pelican.Message) error {
		i, err := strconv.Atoi(m.Values[FieldN])
		if err == nil && i >= n/4 && i < n/2 {
			waiting.Add(1)
			defer waiting.Add(-1)
			select {
			case <-killed:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		mu.Lock()
		defer mu.Unlock()
		if err != nil || i < 0 || i >= n {
			unknown = append(unknown, fmt.Sprintf("%s %v", m.ID, m.Values))
			return nil
		}
		processed[i]++
		if processed[i] == 1 {
			distinct.Add(1)
		}
		return nil
	})
	workerRedis := newRedis()
	defer workerRedis.Close()
	worker, err := pelican.New(workerRedis, pelican.Options{Logger: quiet}).NewWorker(pelican.WorkerConfig{
		Stream: stream, Group: group, Consumer: "w1", Handler: handler,
		Concurrency: concurrency, BatchSize: 16,
		Block:          50 * time.Millisecond,
		HandlerTimeout: 5 * time.Second,
		Backoff:        pelican.Delays{20 * time.Millisecond},
		RetryInterval:  20 * time.Millisecond,
		ClaimMinIdle:   400 * time.Millisecond, ClaimInterval: 100 * time.Millisecond,
		HeartbeatInterval: 100 * time.Millisecond,
		ShutdownGrace:     2 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	missing := func(limit int) []int {
		mu.Lock()
		defer mu.Unlock()
		var out []int
		for i := range limit {
			if processed[i] == 0 {
				out = append(out, i)
			}
		}
		return out
	}
	workerCtx, stopWorker := context.WithCancel(ctx)
	defer stopWorker()
	ran := make(chan error, 1)
	go func() { ran <- worker.Run(workerCtx) }()

	// The producer publishes the first half in one batch, waits for the
	// kill, then publishes the second half one by one while the server is
	// down and restarting, retrying each message until its publication is
	// acknowledged.
	producerRedis := newRedis()
	defer producerRedis.Close()
	producer := pelican.New(producerRedis, pelican.Options{Logger: quiet})
	var (
		published atomic.Int64
		attempts  atomic.Int64 // failed publications, retried
	)
	publish := func(i int) error {
		for {
			_, err := producer.Publish(ctx, stream, map[string]string{FieldN: strconv.Itoa(i), FieldKind: string(KindOK)}, nil)
			if err == nil {
				published.Add(1)
				return nil
			}
			attempts.Add(1)
			if ctx.Err() != nil {
				return fmt.Errorf("publishing message %d: %w (last error: %v)", i, ctx.Err(), err)
			}
			select {
			case <-ctx.Done():
			case <-time.After(10 * time.Millisecond):
			}
		}
	}
	produced := make(chan error, 1)
	go func() {
		first := make([]map[string]string, n/2)
		for i := range first {
			first[i] = map[string]string{FieldN: strconv.Itoa(i), FieldKind: string(KindOK)}
		}
		if _, err := producer.PublishBatch(ctx, stream, first, nil); err != nil {
			produced <- fmt.Errorf("publishing the first half: %w", err)
			return
		}
		published.Add(int64(len(first)))
		select {
		case <-killed:
		case <-ctx.Done():
			produced <- ctx.Err()
			return
		}
		for i := n / 2; i < n; i++ {
			if err := publish(i); err != nil {
				produced <- err
				return
			}
		}
		produced <- nil
	}()

	// Kill the server once every lane holds a message of the second
	// quarter.
	if !poll(10*time.Second, func() bool { return waiting.Load() == concurrency }) {
		t.Fatalf("%d handlers wait for the kill, not %d; %d messages processed; worker stats %+v; server output:\n%s",
			waiting.Load(), concurrency, distinct.Load(), worker.Stats(), srv.out)
	}
	srv.kill()
	t.Logf("server killed after %d messages processed, %d published", distinct.Load(), published.Load())
	close(killed)

	// Keep the server down until the worker has seen the outage (go-redis
	// retries a dial for a while, which would hide a short one), so that
	// its own waiting and reconnecting is what brings it back.
	if !poll(10*time.Second, func() bool { return worker.Stats().Outages > 0 }) {
		t.Fatalf("the worker did not notice the server was gone; worker stats %+v", worker.Stats())
	}
	srv = startDurableServerAt(t, dir, "everysec", addr)
	if err := <-produced; err != nil {
		t.Fatalf("producer: %v; server output:\n%s", err, srv.out)
	}

	// Every acknowledged publication is in the restarted server.
	admin := newRedis()
	defer admin.Close()
	entries, err := admin.XRange(ctx, stream, "-", "+").Result()
	if err != nil {
		t.Fatalf("XRANGE after the restart: %v", err)
	}
	inStream := map[int]bool{}
	for _, e := range entries {
		if i, err := strconv.Atoi(fmt.Sprint(e.Values[FieldN])); err == nil {
			inStream[i] = true
		}
	}
	var notInStream []int
	for i := range n {
		if !inStream[i] {
			notInStream = append(notInStream, i)
		}
	}
	if len(notInStream) > 0 {
		t.Errorf("%d acknowledged publications are not in the stream after the restart: %v", len(notInStream), head(notInStream))
	}

	if !poll(10*time.Second, func() bool { return distinct.Load() == n }) {
		m := missing(n)
		pending, _ := admin.XPending(ctx, stream, group).Result()
		t.Fatalf("%d of %d messages never processed: %v; stream length %d, pending %+v; worker stats %+v; server output:\n%s",
			len(m), n, head(m), len(entries), pending, worker.Stats(), srv.out)
	}
	// Nothing the worker holds is left unacknowledged.
	await.Within(t, 5*time.Second, "the group has nothing pending", func() bool {
		p, err := admin.XPending(ctx, stream, group).Result()
		return err == nil && p.Count == 0
	})

	stopWorker()
	if err := <-ran; err != nil && !errors.Is(err, context.Canceled) {
		t.Errorf("worker Run: %v", err)
	}
	mu.Lock()
	dups := 0
	for _, c := range processed {
		dups += c - 1
	}
	if len(unknown) > 0 {
		t.Errorf("the worker processed messages never published: %v", unknown)
	}
	mu.Unlock()
	stats := worker.Stats()
	t.Logf("%d messages processed, %d twice or more; %d failed publications retried; worker stats %+v",
		n, dups, attempts.Load(), stats)
	srv.stop(t)
}

// poll polls cond, with pauses doubling up to 10ms, until it holds or d
// has passed, and reports whether it held.
func poll(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	pause := time.Millisecond
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(pause)
		pause = min(2*pause, 10*time.Millisecond)
	}
	return true
}

// head returns the first few numbers of s, for a failure message.
func head(s []int) []int {
	if len(s) > 20 {
		return s[:20]
	}
	return s
}
