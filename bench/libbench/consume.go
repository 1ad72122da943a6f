package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"runtime/pprof"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pelicanhq/pelican"
	"github.com/pelicanhq/pelican/internal/cputime"
)

const (
	benchStream = "bench"
	benchGroup  = "g"
	benchDLQ    = benchStream + ":dlq"
	consumer    = "bench"
)

// forceFallbacks is the -fallbacks flag.
var forceFallbacks bool

// errAlways is what the dead-letter benchmark's handler fails with.
var errAlways = errors.New("bench: always fails")

// runConsume measures one implementation consuming a preloaded stream:
// acknowledging every message (dead=false) or moving every message to the
// dead-letter stream (dead=true). It prints messages per second.
func runConsume(args []string, dead bool) error {
	fs := flag.NewFlagSet("consume", flag.ExitOnError)
	var f commonFlags
	f.register(fs, 300000, 4, 64)
	impl := fs.String("impl", "worker", "worker (pelican.Worker), loop (hand-written go-redis loop) or, for deadletter, loop-guarded (a loop that also moves each message once)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the measured part to this file")
	fs.BoolVar(&forceFallbacks, "fallbacks", false, "make the worker use only Redis 7 commands (Options.ForceFallbacks)")
	fs.Parse(args)

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

	if *cpuProfile != "" {
		pf, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer pf.Close()
		if err := pprof.StartCPUProfile(pf); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}

	var elapsed time.Duration
	cpu0, srv0 := cputime.Self(), cputime.Of(f.serverPID)
	switch *impl {
	case "worker":
		elapsed, err = consumeWorker(ctx, t, setup, f, dead)
	case "loop":
		elapsed, err = consumeLoop(ctx, t, setup, f, dead, false)
	case "loop-guarded":
		if !dead {
			return errors.New("-impl loop-guarded is for deadletter only")
		}
		elapsed, err = consumeLoop(ctx, t, setup, f, dead, true)
	default:
		return fmt.Errorf("unknown -impl %q", *impl)
	}
	if err != nil {
		return err
	}
	cpu, srv := cputime.Self()-cpu0, cputime.Of(f.serverPID)-srv0
	if dead {
		// Both implementations must have put every message in the
		// dead-letter stream, once.
		n, err := setup.XLen(ctx, benchDLQ).Result()
		if err != nil {
			return err
		}
		if n != int64(f.n) {
			return fmt.Errorf("the dead-letter stream holds %d entries, want %d", n, f.n)
		}
	}
	perMsg := func(d time.Duration) float64 { return d.Seconds() * 1e6 / float64(f.n) }
	fmt.Printf("%.0f %.3f %.3f\n", float64(f.n)/elapsed.Seconds(), perMsg(cpu), perMsg(srv))
	return nil
}

// consumeWorker runs a pelican.Worker with a no-op handler (or one that
// fails permanently) until every message is acknowledged (or moved).
func consumeWorker(ctx context.Context, t *target, setup *redis.Client, f commonFlags, dead bool) (time.Duration, error) {
	pc := pelican.New(t.client(), pelican.Options{Logger: quiet, ForceFallbacks: forceFallbacks})
	defer pc.Close()
	if _, err := pc.Capabilities(ctx); err != nil {
		return 0, err
	}
	h := pelican.HandlerFunc(func(ctx context.Context, m *pelican.Message) error { return nil })
	if dead {
		h = func(ctx context.Context, m *pelican.Message) error { return pelican.Permanent(errAlways) }
	}
	w, err := pc.NewWorker(pelican.WorkerConfig{
		Stream: benchStream, Group: benchGroup, Consumer: consumer, Handler: h,
		Concurrency: f.c, BatchSize: f.b,
	})
	if err != nil {
		return 0, err
	}
	count := func() int64 { return w.Stats().Processed }
	if dead {
		count = func() int64 { return w.Stats().DeadLettered }
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- w.Run(runCtx) }()
	end, err := waitDrained(ctx, setup, benchStream, benchGroup, int64(f.n), count, 5*time.Minute)
	stop()
	if rerr := <-done; rerr != nil && err == nil {
		err = rerr
	}
	if err != nil {
		return 0, err
	}
	return end.Sub(start), nil
}

// consumeLoop runs f.c goroutines that each read a batch (XREADGROUP
// COUNT f.b BLOCK 1000) and acknowledge it with one XACK, or move it to
// the dead-letter stream in one MULTI/EXEC (an XADD per message, with the
// metadata fields Pelican writes, and one XACK). With guarded set, the
// move is the one Pelican makes to move a message once when two consumers
// race on it: WATCH and MGET of a marker per message, then the MULTI/EXEC
// sets the markers too.
func consumeLoop(ctx context.Context, t *target, setup *redis.Client, f commonFlags, dead, guarded bool) (time.Duration, error) {
	rdb := t.client()
	defer rdb.Close()
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	var done atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, f.c)
	start := time.Now()
	for i := 0; i < f.c; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := loopLane(runCtx, rdb, f.b, dead, guarded, &done); err != nil && runCtx.Err() == nil {
				errs <- err
				stop()
			}
		}()
	}
	end, err := waitDrained(ctx, setup, benchStream, benchGroup, int64(f.n), done.Load, 5*time.Minute)
	stop()
	wg.Wait()
	close(errs)
	if lerr := <-errs; lerr != nil {
		return 0, lerr
	}
	if err != nil {
		return 0, err
	}
	return end.Sub(start), nil
}

func loopLane(ctx context.Context, rdb *redis.Client, batch int, dead, guarded bool, done *atomic.Int64) error {
	ids := make([]string, 0, batch)
	markers := make([]string, 0, batch)
	for ctx.Err() == nil {
		res, err := rdb.XReadGroup(ctx, &redis.XReadGroupArgs{
			Group: benchGroup, Consumer: consumer, Streams: []string{benchStream, ">"},
			Count: int64(batch), Block: time.Second,
		}).Result()
		if err == redis.Nil {
			continue
		}
		if err != nil {
			return fmt.Errorf("XREADGROUP: %w", err)
		}
		msgs := res[0].Messages
		ids = ids[:0]
		for _, m := range msgs {
			ids = append(ids, m.ID)
		}
		if !dead {
			if err := rdb.XAck(ctx, benchStream, benchGroup, ids...).Err(); err != nil {
				return fmt.Errorf("XACK: %w", err)
			}
			done.Add(int64(len(ids)))
			continue
		}
		move := func(p redis.Pipeliner) error {
			now := time.Now().UnixMilli()
			for i, m := range msgs {
				fields := make([]any, 0, 2*len(m.Values)+22)
				for k, v := range m.Values {
					fields = append(fields, k, v)
				}
				fields = append(fields,
					pelican.FieldOriginalID, m.ID,
					pelican.FieldOriginalStream, benchStream,
					pelican.FieldGroup, benchGroup,
					pelican.FieldConsumer, consumer,
					pelican.FieldDeliveries, 1,
					pelican.FieldFirstFailure, now,
					pelican.FieldLastFailure, now,
					pelican.FieldError, "pelican: permanent failure: bench: always fails",
					pelican.FieldErrorClass, pelican.ClassPermanent,
					pelican.FieldRedrives, 0,
					pelican.FieldDeadAt, now,
				)
				p.XAdd(ctx, &redis.XAddArgs{Stream: benchDLQ, Values: fields})
				if guarded {
					p.Set(ctx, markers[i], "1", 24*time.Hour)
				}
			}
			p.XAck(ctx, benchStream, benchGroup, ids...)
			return nil
		}
		if !guarded {
			_, err = rdb.TxPipelined(ctx, move)
		} else {
			markers = markers[:0]
			for _, id := range ids {
				markers = append(markers, benchStream+":pelican:dead:"+benchGroup+":"+id)
			}
			err = rdb.Watch(ctx, func(tx *redis.Tx) error {
				found, err := tx.MGet(ctx, markers...).Result()
				if err != nil {
					return err
				}
				for _, v := range found {
					if v != nil {
						return errors.New("a marker exists: nothing races in this benchmark")
					}
				}
				_, err = tx.TxPipelined(ctx, move)
				return err
			}, markers...)
		}
		if err != nil {
			return fmt.Errorf("MULTI/EXEC: %w", err)
		}
		done.Add(int64(len(ids)))
	}
	return nil
}
