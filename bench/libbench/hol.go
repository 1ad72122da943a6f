package main

import (
	"context"
	"flag"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/pelicanhq/pelican"
)

// runHOL measures head-of-line blocking: of n preloaded messages, every
// slow-every-th one's handler sleeps for -slow and the others return at
// once. It prints the seconds until every message was processed and
// acknowledged, the messages per second that makes, and the seconds until
// the last fast message was processed. Where a slow message holds up only
// its own handler, the fast messages are done long before the slow ones;
// where it holds up the messages read with it, they wait for it.
//
// It uses only the worker API that the previous worker had too, so that
// bench/library.sh can build it against an older library.
func runHOL(args []string) error {
	fs := flag.NewFlagSet("hol", flag.ExitOnError)
	var f commonFlags
	f.register(fs, 2000, 4, 64)
	impl := fs.String("impl", "worker", "worker (pelican.Worker), the only implementation")
	every := fs.Int("slow-every", 100, "every slow-every-th message is slow (0: none)")
	slow := fs.Duration("slow", 200*time.Millisecond, "how long a slow message's handler sleeps")
	fs.Parse(args)
	if *impl != "worker" {
		return fmt.Errorf("unknown -impl %q", *impl)
	}

	t, err := openTarget(f.backend, f.addr, f.c+8)
	if err != nil {
		return err
	}
	defer t.close()
	ctx := context.Background()
	setup := t.client()
	defer setup.Close()
	if err := preload(ctx, setup, benchStream, benchGroup, f.n, f.size); err != nil {
		return err
	}

	pc := pelican.New(t.client(), pelican.Options{Logger: quiet})
	defer pc.Close()
	if _, err := pc.Capabilities(ctx); err != nil {
		return err
	}
	var tally holTally
	w, err := pc.NewWorker(pelican.WorkerConfig{
		Stream: benchStream, Group: benchGroup, Consumer: consumer,
		Concurrency: f.c, BatchSize: f.b,
		Handler: pelican.HandlerFunc(func(ctx context.Context, m *pelican.Message) error {
			i, err := strconv.Atoi(m.Values["n"])
			if err != nil {
				return pelican.Permanent(fmt.Errorf("bench: message without its number: %w", err))
			}
			isSlow := *every > 0 && i%*every == *every-1
			if isSlow {
				select {
				case <-time.After(*slow):
				case <-ctx.Done():
					return ctx.Err()
				}
			}
			tally.finished(isSlow)
			return nil
		}),
	})
	if err != nil {
		return err
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	tally.start = time.Now()
	go func() { done <- w.Run(runCtx) }()
	end, err := waitDrained(ctx, setup, benchStream, benchGroup, int64(f.n), tally.count, 5*time.Minute)
	stop()
	if rerr := <-done; rerr != nil && err == nil {
		err = rerr
	}
	if err != nil {
		return err
	}
	elapsed := end.Sub(tally.start)
	fmt.Printf("%.3f %.0f %.3f\n", elapsed.Seconds(), float64(f.n)/elapsed.Seconds(), tally.lastFastAfter().Seconds())
	return nil
}

// holTally counts the messages whose handler returned, and when the last
// fast one did.
type holTally struct {
	start time.Time // set before the handlers run

	mu       sync.Mutex
	n        int64
	lastFast time.Time
}

func (t *holTally) finished(slow bool) {
	now := time.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	t.n++
	if !slow && now.After(t.lastFast) {
		t.lastFast = now
	}
}

func (t *holTally) count() int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.n
}

// lastFastAfter is the time from the start to the last fast message's
// end, 0 if there was none.
func (t *holTally) lastFastAfter() time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.lastFast.IsZero() {
		return 0
	}
	return t.lastFast.Sub(t.start)
}
