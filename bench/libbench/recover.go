package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pelicanhq/pelican"
)

const (
	recStream = "rec"
	holder    = "holder"
	rescuer   = "rescuer"
)

// runRecover measures how long the messages of a dead worker take to be
// processed by another: a holder worker takes all n messages (its handler
// never returns) and dies; a rescuer worker, already running, processes
// them once they have been idle for ClaimMinIdle. Over TCP the holder is a
// separate process, killed with SIGKILL; on the embedded engine (which
// dies with its process) it runs in this process and its death is
// simulated by closing its connections.
//
// The holder has the rescuer's BatchSize and the Concurrency -hold-c,
// by default n: the worker of the second edition holds about as many
// messages as it has busy handlers, so it needs n handlers to hold every
// message. (The worker before it, whose Concurrency counted read loops
// that each held a batch, held c×b; with n loops it holds every message
// too, in the first n/b loops.)
//
// It prints the seconds from the death to the last message processed, the
// number of extra deliveries (a message processed more than once after the
// death), the number of messages never processed, and the number processed
// before the death (which must be 0: the holder's heartbeats protect them).
func runRecover(args []string) error {
	fs := flag.NewFlagSet("recover", flag.ExitOnError)
	var f commonFlags
	f.register(fs, 1000, 10, 100)
	minIdle := fs.Duration("min-idle", time.Second, "ClaimMinIdle of both workers")
	block := fs.Duration("block", 0, "the rescuer's Block (0: Pelican's default)")
	settle := fs.Duration("settle", 600*time.Millisecond, "how long the holder holds the messages before it dies")
	holdC := fs.Int("hold-c", 0, "the holder's Concurrency (0: -n, enough to hold every message)")
	fs.Parse(args)
	if *holdC == 0 {
		*holdC = f.n
	}

	t, err := openTarget(f.backend, f.addr, f.c+8)
	if err != nil {
		return err
	}
	defer t.close()
	ctx := context.Background()
	setup := t.client()
	defer setup.Close()
	if err := preload(ctx, setup, recStream, benchGroup, f.n, f.size); err != nil {
		return err
	}

	// The holder takes every message.
	var kill func() error
	if t.db == nil {
		exe, err := os.Executable()
		if err != nil {
			return err
		}
		cmd := exec.Command(exe, "hold", "-addr", f.addr, "-c", strconv.Itoa(*holdC), "-b", strconv.Itoa(f.b), "-min-idle", minIdle.String())
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			return fmt.Errorf("starting the holder: %w", err)
		}
		defer cmd.Process.Kill() // a no-op once it is dead
		kill = func() error {
			if err := cmd.Process.Kill(); err != nil {
				return err
			}
			cmd.Wait()
			return nil
		}
	} else {
		hc := t.clientWithPool(*holdC + 8)
		if _, err := startHolder(ctx, pelican.New(hc, pelican.Options{Logger: quiet}), *holdC, f.b, *minIdle); err != nil {
			return err
		}
		kill = hc.Close
	}
	if err := waitHeld(ctx, setup, int64(f.n), 30*time.Second); err != nil {
		return err
	}

	// The rescuer starts while the holder is alive.
	var mu sync.Mutex
	seen := map[string]int{}
	var last time.Time
	rc := pelican.New(t.client(), pelican.Options{Logger: quiet})
	defer rc.Close()
	w, err := rc.NewWorker(pelican.WorkerConfig{
		Stream: recStream, Group: benchGroup, Consumer: rescuer,
		Concurrency: f.c, BatchSize: f.b, ClaimMinIdle: *minIdle, Block: *block,
		Handler: pelican.HandlerFunc(func(ctx context.Context, m *pelican.Message) error {
			now := time.Now()
			mu.Lock()
			seen[m.Values["n"]]++
			last = now
			mu.Unlock()
			return nil
		}),
	})
	if err != nil {
		return err
	}
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	done := make(chan error, 1)
	go func() { done <- w.Run(runCtx) }()
	time.Sleep(*settle)

	mu.Lock()
	early := len(seen)
	mu.Unlock()
	died := time.Now()
	if err := kill(); err != nil {
		return fmt.Errorf("killing the holder: %w", err)
	}
	deadline := died.Add(time.Minute)
	for {
		mu.Lock()
		got := len(seen)
		mu.Unlock()
		if got >= f.n {
			break
		}
		if time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Millisecond)
	}
	// Give duplicates, if any, time to show: another claim round.
	time.Sleep(2 * *minIdle)
	stop()
	<-done

	mu.Lock()
	defer mu.Unlock()
	dups, missing := 0, 0
	for i := 0; i < f.n; i++ {
		c := seen[strconv.Itoa(i)]
		if c == 0 {
			missing++
		}
		if c > 1 {
			dups += c - 1
		}
	}
	pend, err := setup.XPending(ctx, recStream, benchGroup).Result()
	if err != nil {
		return err
	}
	if missing > 0 || pend.Count > 0 {
		fmt.Fprintf(os.Stderr, "libbench: %d messages never processed, %d still pending\n", missing, pend.Count)
	}
	fmt.Printf("%.3f %d %d %d\n", last.Sub(died).Seconds(), dups, missing, early)
	return nil
}

// waitHeld polls until the holder has n messages pending.
func waitHeld(ctx context.Context, rdb *redis.Client, n int64, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		p, err := rdb.XPending(ctx, recStream, benchGroup).Result()
		if err != nil && err != redis.Nil {
			return fmt.Errorf("XPENDING: %w", err)
		}
		if err == nil && p.Consumers[holder] == n {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the holder did not take %d messages within %v", n, timeout)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// startHolder runs a worker whose handler never returns, so that it holds
// every message it reads, and keeps them alive with its heartbeats.
func startHolder(ctx context.Context, pc *pelican.Client, c, b int, minIdle time.Duration) (*pelican.Worker, error) {
	block := make(chan struct{})
	w, err := pc.NewWorker(pelican.WorkerConfig{
		Stream: recStream, Group: benchGroup, Consumer: holder,
		Concurrency: c, BatchSize: b, ClaimMinIdle: minIdle,
		Handler: pelican.HandlerFunc(func(ctx context.Context, m *pelican.Message) error {
			<-block
			return nil
		}),
	})
	if err != nil {
		return nil, err
	}
	go w.Run(ctx)
	return w, nil
}

// runHold is the holder process: it holds messages until it is killed.
func runHold(args []string) error {
	fs := flag.NewFlagSet("hold", flag.ExitOnError)
	var f commonFlags
	f.register(fs, 1000, 10, 100)
	minIdle := fs.Duration("min-idle", time.Second, "ClaimMinIdle")
	fs.Parse(args)
	t, err := openTarget("tcp", f.addr, f.c+8)
	if err != nil {
		return err
	}
	if _, err := startHolder(context.Background(), pelican.New(t.client(), pelican.Options{Logger: quiet}), f.c, f.b, *minIdle); err != nil {
		return err
	}
	select {}
}
